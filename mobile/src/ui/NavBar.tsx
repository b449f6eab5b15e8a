// Between the signed-in screens.
import { Link, usePathname } from "expo-router";
import { StyleSheet, Text, View } from "react-native";

import type { ConnectionState } from "@/features/realtime/realtimeSlice";
import { useAppSelector } from "@/store";

import { useTheme } from "./theme";

const PLACES = [
  { href: "/dashboard", label: "Dashboard" },
  { href: "/orders", label: "Orders" },
  { href: "/positions", label: "Positions" },
  { href: "/trades", label: "Trades" },
  { href: "/security", label: "Security" },
] as const;

export function NavBar() {
  const theme = useTheme();
  const here = usePathname();
  const connection = useAppSelector((s) => s.realtime.state);
  return (
    <View accessibilityRole="tablist" style={[styles.bar, { borderColor: theme.border }]}>
      {PLACES.map((place) => {
        const current = here === place.href || here.startsWith(`${place.href}/`);
        return (
          <Link
            key={place.href}
            href={place.href}
            accessibilityRole="tab"
            accessibilityLabel={place.label}
            accessibilityState={{ selected: current }}
            style={[styles.link, { color: current ? theme.accent : theme.muted }]}
          >
            {place.label}
          </Link>
        );
      })}
      <Text
        accessibilityLabel={`Live updates: ${CONNECTION[connection]}`}
        style={[styles.state, { color: connection === "live" ? theme.success : theme.muted }]}
      >
        {connection === "live" ? "● Live" : `○ ${CONNECTION[connection]}`}
      </Text>
    </View>
  );
}

const CONNECTION: Record<ConnectionState, string> = {
  idle: "off",
  connecting: "connecting",
  live: "on",
  reconnecting: "reconnecting",
};

const styles = StyleSheet.create({
  state: { marginLeft: 12, fontSize: 13, alignSelf: "center" },
  bar: { flexDirection: "row", justifyContent: "center", borderBottomWidth: StyleSheet.hairlineWidth, paddingVertical: 10 },
  link: { marginHorizontal: 12, fontSize: 15, fontWeight: "600" },
});
