import { useLocalSearchParams, useRouter } from "expo-router";
import { useState } from "react";

import { refreshInCookie } from "@/api/config";
import { toAppError } from "@/api/errors";
import { useVerifyMfaMutation } from "@/api/nija";
import { completeSignIn } from "@/features/session/session";
import { useAppDispatch } from "@/store";
import { Button } from "@/ui/Button";
import { Field } from "@/ui/Field";
import { FormError, Screen } from "@/ui/Screen";

import { placeError } from "./fieldErrors";

export function MfaScreen() {
  const { email = "", session = "" } = useLocalSearchParams<{ email?: string; session?: string }>();
  const [code, setCode] = useState("");
  const [verify, { isLoading, error }] = useVerifyMfaMutation();
  const dispatch = useAppDispatch();
  const router = useRouter();
  const appError = toAppError(error);
  const errors = placeError(appError?.status === 401 && appError.code !== "invalid_code" ? { ...appError, message: "This sign-in has expired. Sign in again." } : appError);

  async function submit() {
    const answer = await verify({ email, session, code: code.trim(), refresh_cookie: refreshInCookie() });
    if (!("data" in answer) || !answer.data) return;
    await completeSignIn(dispatch, answer.data, email);
    router.replace("/dashboard");
  }

  return (
    <Screen title="Enter your authenticator code">
      <FormError message={errors.form ?? errors.password} />
      <Field label="Authenticator code" value={code} onChangeText={setCode} keyboardType="number-pad" autoComplete="one-time-code" maxLength={6} error={errors.code} />
      <Button label="Verify" onPress={submit} busy={isLoading} disabled={code.trim().length !== 6} />
    </Screen>
  );
}
