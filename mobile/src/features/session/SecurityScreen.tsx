import { ScrollView, StyleSheet, Switch, Text, View } from "react-native";

import { PermissionsCard } from "@/features/account/PermissionsCard";
import { useAppDispatch, useAppSelector } from "@/store";
import { Button } from "@/ui/Button";
import { NavBar } from "@/ui/NavBar";
import { useTheme } from "@/ui/theme";

import { AccountSessions } from "./AccountSessions";
import { saveLockPrefs } from "./lock";

const TIMEOUTS = [
  { s: 30, label: "30 seconds" },
  { s: 60, label: "1 minute" },
  { s: 300, label: "5 minutes" },
];

export function SecurityScreen() {
  const { prefs, available } = useAppSelector((s) => s.lock);
  const dispatch = useAppDispatch();
  const theme = useTheme();
  return (
    <View style={{ flex: 1, backgroundColor: theme.background }}>
      <NavBar />
      <ScrollView contentContainerStyle={styles.content}>
        <Text accessibilityRole="header" style={[styles.title, { color: theme.text }]}>
          Security
        </Text>
        <PermissionsCard />
        {available ? (
          <>
            <View style={styles.row}>
              <Text style={{ color: theme.text, flex: 1 }}>Lock with fingerprint or face</Text>
              <Switch
                accessibilityLabel="Lock with fingerprint or face"
                value={prefs.enabled}
                onValueChange={(enabled) => void saveLockPrefs(dispatch, { ...prefs, enabled })}
              />
            </View>
            <Text style={{ color: theme.muted, marginVertical: 8 }}>Lock again after the app was away for:</Text>
            {TIMEOUTS.map((t) => (
              <Button
                key={t.s}
                label={`${t.label}${prefs.timeoutS === t.s ? " (chosen)" : ""}`}
                onPress={() => void saveLockPrefs(dispatch, { ...prefs, timeoutS: t.s })}
                disabled={!prefs.enabled}
              />
            ))}
          </>
        ) : (
          <Text style={{ color: theme.muted }}>
            This device has no fingerprint or face unlock set up, so NIJA does not lock. Set one up in the device&apos;s
            settings to use it.
          </Text>
        )}
        <AccountSessions />
      </ScrollView>
    </View>
  );
}

const styles = StyleSheet.create({
  content: { padding: 24, maxWidth: 720, width: "100%", alignSelf: "center" },
  title: { fontSize: 26, fontWeight: "700", marginBottom: 16 },
  row: { flexDirection: "row", alignItems: "center" },
});
