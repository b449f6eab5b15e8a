import { Redirect } from "expo-router";
import { ActivityIndicator, View } from "react-native";

import { useAppSelector } from "@/store";

export default function Index() {
  const status = useAppSelector((s) => s.session.status);
  if (status === "restoring") {
    return (
      <View style={{ flex: 1, alignItems: "center", justifyContent: "center" }}>
        <ActivityIndicator accessibilityLabel="Opening NIJA" />
      </View>
    );
  }
  return <Redirect href={status === "signedOut" ? "/sign-in" : "/dashboard"} />;
}
