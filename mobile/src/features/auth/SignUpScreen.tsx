import { Link, useRouter } from "expo-router";
import { useState } from "react";

import { toAppError } from "@/api/errors";
import { useSignUpMutation } from "@/api/nija";
import { Button } from "@/ui/Button";
import { Field } from "@/ui/Field";
import { FormError, Screen } from "@/ui/Screen";

import { placeError } from "./fieldErrors";
import { PasswordRules } from "./PasswordRules";
import { passwordOk } from "./password";

export function SignUpScreen() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [signUp, { isLoading, error }] = useSignUpMutation();
  const router = useRouter();
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
      <PasswordRules password={password} />
      <Button label="Create account" onPress={submit} busy={isLoading} disabled={!email || !passwordOk(password)} />
      <Link href="/sign-in" accessibilityRole="link">
        Have an account? Sign in
      </Link>
    </Screen>
  );
}
