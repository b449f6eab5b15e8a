// The password and the sessions, on the Security screen: a password change ends every session (this
// one too: the API cannot spare it), so the app signs out and asks for the new password; "Sign out
// everywhere" ends the sessions of every device.
import { useState } from "react";
import { Text } from "react-native";

import { toAppError } from "@/api/errors";
import { useChangePasswordMutation } from "@/api/nija";
import { PASSWORD_RULES, passwordOk } from "@/features/auth/password";
import { useAppDispatch } from "@/store";
import { Button } from "@/ui/Button";
import { Field } from "@/ui/Field";
import { FormError } from "@/ui/Screen";
import { useTheme } from "@/ui/theme";

import { signOut, signOutEverywhere } from "./session";

export function AccountSessions() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [change, { isLoading, error }] = useChangePasswordMutation();
  const dispatch = useAppDispatch();
  const theme = useTheme();
  const appError = toAppError(error);
  const currentError = appError?.code === "wrong_password" ? appError.message : undefined;
  const nextError = appError?.code === "weak_password" ? appError.message : undefined;
  const formError = appError && !currentError && !nextError ? appError.message : undefined;

  async function submit() {
    const answer = await change({ current_password: current, new_password: next });
    if ("error" in answer) return;
    await signOut(dispatch); // every session ended: sign in again with the new password
  }

  return (
    <>
      <Text accessibilityRole="header" style={{ color: theme.text, fontSize: 20, fontWeight: "600", marginTop: 24 }}>
        Password and sessions
      </Text>
      <FormError message={formError} />
      <Field label="Current password" value={current} onChangeText={setCurrent} secureTextEntry autoComplete="current-password" error={currentError} />
      <Field label="New password" value={next} onChangeText={setNext} secureTextEntry autoComplete="new-password" error={nextError} />
      {PASSWORD_RULES.filter((rule) => !rule.met(next)).map((rule) => (
        <Text key={rule.label} style={{ color: theme.muted }}>
          ○ {rule.label}
        </Text>
      ))}
      <Text style={{ color: theme.muted, marginVertical: 8 }}>Changing it signs you out on every device, this one too.</Text>
      <Button label="Change password" onPress={submit} busy={isLoading} disabled={!current || !passwordOk(next)} />
      <Button label="Sign out everywhere" onPress={() => void signOutEverywhere(dispatch)} />
    </>
  );
}
