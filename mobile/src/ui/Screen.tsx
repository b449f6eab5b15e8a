import type { ReactNode } from "react";
import { ScrollView, StyleSheet, Text } from "react-native";

import { useTheme } from "./theme";

export function Screen({ title, children }: { title: string; children: ReactNode }) {
  const theme = useTheme();
  return (
    <ScrollView
      style={{ backgroundColor: theme.background }}
      contentContainerStyle={styles.content}
      keyboardShouldPersistTaps="handled"
    >
      <Text accessibilityRole="header" style={[styles.title, { color: theme.text }]}>
        {title}
      </Text>
      {children}
    </ScrollView>
  );
}

export function FormError({ message }: { message?: string }) {
  const theme = useTheme();
  if (!message) return null;
  return (
    <Text accessibilityRole="alert" style={[styles.error, { color: theme.danger }]}>
      {message}
    </Text>
  );
}

const styles = StyleSheet.create({
  content: { padding: 24, maxWidth: 560, width: "100%", alignSelf: "center" },
  title: { fontSize: 26, fontWeight: "700", marginBottom: 20 },
  error: { marginBottom: 12, fontSize: 14 },
});
