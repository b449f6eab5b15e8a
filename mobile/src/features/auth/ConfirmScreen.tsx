import { useLocalSearchParams, useRouter } from "expo-router";
import { useState } from "react";
import { Text } from "react-native";

import { toAppError } from "@/api/errors";
import { useConfirmMutation } from "@/api/nija";
import { Button } from "@/ui/Button";
import { Field } from "@/ui/Field";
import { FormError, Screen } from "@/ui/Screen";
import { useTheme } from "@/ui/theme";

import { placeError } from "./fieldErrors";

export function ConfirmScreen() {
  const params = useLocalSearchParams<{ email?: string }>();
  const [email, setEmail] = useState(params.email ?? "");
  const [code, setCode] = useState("");
  const [confirm, { isLoading, error }] = useConfirmMutation();
  const router = useRouter();
  const theme = useTheme();
  const errors = placeError(toAppError(error));

  async function submit() {
    const answer = await confirm({ email: email.trim(), code: code.trim() });
    if ("error" in answer) return;
    router.replace({ pathname: "/sign-in", params: { email: email.trim() } });
  }

  return (
    <Screen title="Confirm your email">
      <Text style={{ color: theme.muted, marginBottom: 12 }}>We emailed you a code. Enter it to finish.</Text>
      <FormError message={errors.form} />
      <Field label="Email" value={email} onChangeText={setEmail} keyboardType="email-address" error={errors.email} />
      <Field label="Confirmation code" value={code} onChangeText={setCode} keyboardType="number-pad" autoComplete="one-time-code" error={errors.code} />
      <Button label="Confirm" onPress={submit} busy={isLoading} disabled={!email || !code} />
    </Screen>
  );
}
