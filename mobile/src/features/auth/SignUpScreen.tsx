import { Link, useRouter } from "expo-router";
import { useState } from "react";
import { Text, View } from "react-native";

import { toAppError } from "@/api/errors";
import { useSignUpMutation } from "@/api/nija";
import { Button } from "@/ui/Button";
import { Field } from "@/ui/Field";
import { FormError, Screen } from "@/ui/Screen";
import { useTheme } from "@/ui/theme";

import { placeError } from "./fieldErrors";
import { PASSWORD_RULES, passwordOk } from "./password";

export function SignUpScreen() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [signUp, { isLoading, error }] = useSignUpMutation();
  const router = useRouter();
  const theme = useTheme();
  const errors = placeError(toAppError(error));

  async function submit() {
    const answer = await signUp({ email: email.trim(), password });
    if (!("data" in answer) || !answer.data) return;
    if (answer.data.confirmed) {
      router.replace({ pathname: "/sign-in", params: { email: email.trim() } });
    } else {
      router.replace({ pathname: "/confirm", params: { email: email.trim() } });
    }
  }

  return (
    <Screen title="Create your NIJA account">
      <FormError message={errors.form} />
      <Field label="Email" value={email} onChangeText={setEmail} keyboardType="email-address" autoComplete="email" error={errors.email} />
      <Field label="Password" value={password} onChangeText={setPassword} secureTextEntry autoComplete="new-password" error={errors.password} />
      <View accessibilityLabel="Password rules" accessible={false}>
        {PASSWORD_RULES.map((rule) => {
          const met = rule.met(password);
          return (
            <Text
              key={rule.label}
              accessibilityLabel={`${rule.label}: ${met ? "met" : "not met"}`}
              style={{ color: met ? theme.success : theme.muted, marginBottom: 2 }}
            >
              {met ? "✓" : "○"} {rule.label}
            </Text>
          );
        })}
      </View>
      <Button label="Create account" onPress={submit} busy={isLoading} disabled={!email || !passwordOk(password)} />
      <Link href="/sign-in" accessibilityRole="link">
        Have an account? Sign in
      </Link>
    </Screen>
  );
}
