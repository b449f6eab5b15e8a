// Between the signed-in screens.
import { Link, usePathname } from "expo-router";
import { StyleSheet, View } from "react-native";

import { useTheme } from "./theme";

const PLACES = [
  { href: "/dashboard", label: "Dashboard" },
  { href: "/orders", label: "Orders" },
  { href: "/positions", label: "Positions" },
  { href: "/trades", label: "Trades" },
] as const;

export function NavBar() {
  const theme = useTheme();
  const here = usePathname();
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
    </View>
  );
}

const styles = StyleSheet.create({
  bar: { flexDirection: "row", justifyContent: "center", borderBottomWidth: StyleSheet.hairlineWidth, paddingVertical: 10 },
  link: { marginHorizontal: 12, fontSize: 15, fontWeight: "600" },
});
