// A forgotten password: a code by email, then the code and a new password. The API answers the first
// step alike for any address, so the screen does too: "if it has an account".
import { useLocalSearchParams, useRouter } from "expo-router";
import { useState } from "react";
import { Text } from "react-native";

import { toAppError } from "@/api/errors";
import { useForgotPasswordMutation, useResetPasswordMutation } from "@/api/nija";
import { Button } from "@/ui/Button";
import { Field } from "@/ui/Field";
import { FormError, Screen } from "@/ui/Screen";
import { useTheme } from "@/ui/theme";

import { placeError } from "./fieldErrors";
import { PasswordRules } from "./PasswordRules";
import { passwordOk } from "./password";

export function ForgotPasswordScreen() {
  const params = useLocalSearchParams<{ email?: string }>();
  const [email, setEmail] = useState(params.email ?? "");
  const [sent, setSent] = useState(false);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [forgot, asked] = useForgotPasswordMutation();
  const [reset, resetting] = useResetPasswordMutation();
  const router = useRouter();
  const theme = useTheme();
  const errors = placeError(toAppError(sent ? resetting.error : asked.error));

  async function sendCode() {
    const answer = await forgot({ email: email.trim() });
    if (!("error" in answer)) setSent(true);
  }

  async function setNewPassword() {
    const answer = await reset({ email: email.trim(), code: code.trim(), new_password: password });
    if ("error" in answer) return;
    router.replace({ pathname: "/sign-in", params: { email: email.trim() } });
  }

  if (!sent) {
    return (
      <Screen title="Reset your password">
        <Text style={{ color: theme.muted, marginBottom: 12 }}>We will email you a code to choose a new password.</Text>
        <FormError message={errors.form} />
        <Field label="Email" value={email} onChangeText={setEmail} keyboardType="email-address" autoComplete="email" error={errors.email} />
        <Button label="Send code" onPress={sendCode} busy={asked.isLoading} disabled={!email} />
      </Screen>
    );
  }
  return (
    <Screen title="Choose a new password">
      <Text style={{ color: theme.muted, marginBottom: 12 }}>
        If {email.trim()} has an account, we emailed it a code. Every device signed in to it will be signed out.
      </Text>
      <FormError message={errors.form} />
      <Field label="Reset code" value={code} onChangeText={setCode} keyboardType="number-pad" autoComplete="one-time-code" error={errors.code} />
      <Field label="New password" value={password} onChangeText={setPassword} secureTextEntry autoComplete="new-password" error={errors.password} />
      <PasswordRules password={password} />
      <Button label="Set new password" onPress={setNewPassword} busy={resetting.isLoading} disabled={!code || !passwordOk(password)} />
      <Button label="Send another code" onPress={sendCode} busy={asked.isLoading} />
    </Screen>
  );
}
