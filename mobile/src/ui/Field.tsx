import { StyleSheet, Text, TextInput, type TextInputProps, View } from "react-native";

import { useTheme } from "./theme";

interface Props extends TextInputProps {
  label: string;
  error?: string;
}

/** A labelled input with its error beside it; screen readers and tests find it by its label. */
export function Field({ label, error, ...input }: Props) {
  const theme = useTheme();
  return (
    <View style={styles.field}>
      <Text style={[styles.label, { color: theme.text }]}>{label}</Text>
      <TextInput
        accessibilityLabel={label}
        aria-invalid={error ? true : undefined}
        style={[styles.input, { color: theme.text, borderColor: error ? theme.danger : theme.border }]}
        placeholderTextColor={theme.muted}
        autoCapitalize="none"
        {...input}
      />
      {error ? (
        <Text accessibilityRole="alert" accessibilityLabel={`${label}: ${error}`} style={[styles.error, { color: theme.danger }]}>
          {error}
        </Text>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  field: { marginBottom: 12 },
  label: { fontSize: 14, marginBottom: 4 },
  input: { borderWidth: 1, borderRadius: 8, paddingHorizontal: 12, paddingVertical: 10, fontSize: 16 },
  error: { marginTop: 4, fontSize: 13 },
});
