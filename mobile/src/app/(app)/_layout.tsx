// Every screen in here needs a signed-in user (the others are sent to sign in), unlocked when the
// device can unlock with a fingerprint or face, and hidden from the app switcher while away.
import { Redirect, Stack } from "expo-router";
import { ActivityIndicator, View } from "react-native";

import { useRealtime } from "@/features/realtime/useRealtime";
import { useLockWatch } from "@/features/session/lock";
import { LockScreen, PrivacyCover } from "@/features/session/LockScreen";
import { useAppSelector } from "@/store";

function Opening() {
  return (
    <View style={{ flex: 1, alignItems: "center", justifyContent: "center" }}>
      <ActivityIndicator accessibilityLabel="Opening NIJA" />
    </View>
  );
}

export default function SignedInLayout() {
  const status = useAppSelector((s) => s.session.status);
  const lock = useAppSelector((s) => s.lock);
  const { covered } = useLockWatch();
  useRealtime(status === "signedIn");
  if (status === "signedOut") return <Redirect href="/sign-in" />;
  if (status === "restoring" || lock.available === undefined) return <Opening />;
  if (lock.locked) return <LockScreen />;
  return (
    <View style={{ flex: 1 }}>
      <Stack screenOptions={{ headerShown: false }} />
      {covered ? <PrivacyCover /> : null}
    </View>
  );
}
