// What an admin allows this account (GET /v1/me's `permissions`), read only.
import { StyleSheet, Text, View } from "react-native";

import { useMeQuery } from "@/api/nija";
import type { Permissions } from "@/api/types";
import { money } from "@/ui/format";
import { useTheme } from "@/ui/theme";

export function permissionLines(p: Permissions): { label: string; value: string }[] {
  const list = (items: string[] | null, everything: string) =>
    items === null ? everything : items.length ? items.join(", ") : "none";
  const cap = (value: string | null) => (value === null ? "no limit" : `${money(value)} (in the symbol's quote currency)`);
  return [
    { label: "Trading", value: p.trading_enabled ? "on" : "turned off by an administrator" },
    { label: "Brokers", value: list(p.allowed_brokers, "all brokers") },
    { label: "Symbols", value: list(p.allowed_symbols, "all symbols") },
    { label: "Largest order", value: cap(p.max_order_value) },
    { label: "Largest position", value: cap(p.max_position_value) },
  ];
}

export function PermissionsCard() {
  const theme = useTheme();
  const { data } = useMeQuery();
  const permissions = data?.permissions;
  if (!permissions) return null;
  return (
    <View style={[styles.card, { borderColor: theme.border }]}>
      <Text accessibilityRole="header" style={[styles.title, { color: theme.text }]}>
        What you may trade
      </Text>
      <Text style={{ color: theme.muted, marginBottom: 8 }}>Set by NIJA&apos;s administrators.</Text>
      {permissionLines(permissions).map(({ label, value }) => (
        <View key={label} accessible accessibilityLabel={`${label}: ${value}`} style={styles.row}>
          <Text style={[styles.label, { color: theme.muted }]}>{label}</Text>
          <Text style={{ color: theme.text, flex: 1 }}>{value}</Text>
        </View>
      ))}
    </View>
  );
}

const styles = StyleSheet.create({
  card: { borderWidth: StyleSheet.hairlineWidth, borderRadius: 8, padding: 16, marginBottom: 24 },
  title: { fontSize: 18, fontWeight: "700", marginBottom: 4 },
  row: { flexDirection: "row", paddingVertical: 4 },
  label: { width: 140 },
});
