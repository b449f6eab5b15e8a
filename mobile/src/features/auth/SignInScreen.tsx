import { Link, useLocalSearchParams, useRouter } from "expo-router";
import { useState } from "react";

import { refreshInCookie } from "@/api/config";
import { toAppError } from "@/api/errors";
import { useLogInMutation } from "@/api/nija";
import { completeSignIn } from "@/features/session/session";
import { useAppDispatch } from "@/store";
import { Button } from "@/ui/Button";
import { Field } from "@/ui/Field";
import { FormError, Screen } from "@/ui/Screen";

import { placeError } from "./fieldErrors";

export function SignInScreen() {
  // A sign-up or confirmation just now passes the address on.
  const params = useLocalSearchParams<{ email?: string }>();
  const [email, setEmail] = useState(params.email ?? "");
  const [password, setPassword] = useState("");
  const [logIn, { isLoading, error }] = useLogInMutation();
  const dispatch = useAppDispatch();
  const router = useRouter();
  const errors = placeError(toAppError(error));

  async function submit() {
    const answer = await logIn({ email: email.trim(), password, refresh_cookie: refreshInCookie() });
    if (!("data" in answer) || !answer.data) return;
    if (answer.data.challenge === "SOFTWARE_TOKEN_MFA" && answer.data.session) {
      router.push({ pathname: "/mfa", params: { email: email.trim(), session: answer.data.session } });
      return;
    }
    await completeSignIn(dispatch, answer.data, email.trim());
    router.replace("/dashboard");
  }

  return (
    <Screen title="Sign in to NIJA">
      <FormError message={errors.form} />
      <Field label="Email" value={email} onChangeText={setEmail} keyboardType="email-address" autoComplete="email" error={errors.email} />
      <Field label="Password" value={password} onChangeText={setPassword} secureTextEntry autoComplete="current-password" error={errors.password} />
      <Button label="Sign in" onPress={submit} busy={isLoading} disabled={!email || !password} />
      <Link href={{ pathname: "/forgot-password", params: { email: email.trim() } }} accessibilityRole="link">
        Forgot password?
      </Link>
      <Link href="/sign-up" accessibilityRole="link">
        New to NIJA? Create an account
      </Link>
    </Screen>
  );
}
