// Every screen in here needs a signed-in user: the others are sent to sign in.
import { Redirect, Stack } from "expo-router";
import { ActivityIndicator, View } from "react-native";

import { useRealtime } from "@/features/realtime/useRealtime";
import { useAppSelector } from "@/store";

export default function SignedInLayout() {
  const status = useAppSelector((s) => s.session.status);
  useRealtime(status === "signedIn");
  if (status === "signedOut") return <Redirect href="/sign-in" />;
  if (status === "restoring") {
    return (
      <View style={{ flex: 1, alignItems: "center", justifyContent: "center" }}>
        <ActivityIndicator accessibilityLabel="Opening NIJA" />
      </View>
    );
  }
  return <Stack screenOptions={{ headerShown: false }} />;
}
