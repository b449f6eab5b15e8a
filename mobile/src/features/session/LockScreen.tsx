import { useState } from "react";
import { StyleSheet, Text, View } from "react-native";

import { useAppDispatch } from "@/store";
import { Button } from "@/ui/Button";
import { useTheme } from "@/ui/theme";

import { unlock } from "./lock";

export function LockScreen() {
  const dispatch = useAppDispatch();
  const theme = useTheme();
  const [failed, setFailed] = useState(false);
  return (
    <View style={[styles.screen, { backgroundColor: theme.background }]}>
      <Text accessibilityRole="header" style={[styles.title, { color: theme.text }]}>
        NIJA is locked
      </Text>
      {failed ? (
        <Text accessibilityRole="alert" style={{ color: theme.danger, marginBottom: 12 }}>
          Not unlocked. Try again, or use your device passcode.
        </Text>
      ) : null}
      <Button label="Unlock" onPress={async () => setFailed(!(await unlock(dispatch)))} />
    </View>
  );
}

/** What the app switcher shows of the app: nothing of the account. */
export function PrivacyCover() {
  const theme = useTheme();
  return (
    <View accessible accessibilityLabel="NIJA" style={[StyleSheet.absoluteFill, styles.screen, { backgroundColor: theme.background }]}>
      <Text style={[styles.title, { color: theme.text }]}>NIJA</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, alignItems: "center", justifyContent: "center", padding: 24 },
  title: { fontSize: 26, fontWeight: "700", marginBottom: 16 },
});
