// The pool's password rules under a new-password field, each ticked as the typed password meets it.
import { Text, View } from "react-native";

import { useTheme } from "@/ui/theme";

import { PASSWORD_RULES } from "./password";

export function PasswordRules({ password }: { password: string }) {
  const theme = useTheme();
  return (
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
  );
}
