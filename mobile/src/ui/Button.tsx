import { ActivityIndicator, Pressable, StyleSheet, Text } from "react-native";

import { useTheme } from "./theme";

interface Props {
  label: string;
  onPress: () => void;
  busy?: boolean;
  disabled?: boolean;
}

export function Button({ label, onPress, busy = false, disabled = false }: Props) {
  const theme = useTheme();
  const off = disabled || busy;
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityLabel={label}
      accessibilityState={{ disabled: off, busy }}
      disabled={off}
      onPress={onPress}
      style={[styles.button, { backgroundColor: theme.accent, opacity: off ? 0.5 : 1 }]}
    >
      {busy ? <ActivityIndicator color="#fff" /> : <Text style={styles.text}>{label}</Text>}
    </Pressable>
  );
}

const styles = StyleSheet.create({
  button: { borderRadius: 8, paddingVertical: 12, alignItems: "center", marginVertical: 6 },
  text: { color: "#fff", fontSize: 16, fontWeight: "600" },
});
