import { StyleSheet, Text, View } from "react-native";

import { useTheme } from "@/ui/theme";

export function OfflineBanner({ since }: { since?: string }) {
  const theme = useTheme();
  const when = since ? new Date(since).toLocaleString() : undefined;
  const text = when
    ? `Offline: showing your data as of ${when}. Nothing can be changed until the connection is back.`
    : "Offline: the NIJA service cannot be reached.";
  return (
    <View accessibilityRole="alert" accessibilityLabel={text} style={[styles.banner, { borderColor: theme.danger }]}>
      <Text style={{ color: theme.danger }}>{text}</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  banner: { borderWidth: 1, borderRadius: 8, padding: 10, marginBottom: 12 },
});
