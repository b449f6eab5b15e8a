import { Stack } from "expo-router";
import { StatusBar } from "expo-status-bar";
import { useEffect, useState } from "react";
import { Provider } from "react-redux";

import { restoreSession } from "@/features/session/session";
import { type AppStore, makeStore } from "@/store";

export default function RootLayout() {
  const [store] = useState<AppStore>(makeStore);
  useEffect(() => {
    void restoreSession(store.dispatch);
  }, [store]);
  return (
    <Provider store={store}>
      <StatusBar style="auto" />
      <Stack screenOptions={{ headerShown: false }} />
    </Provider>
  );
}
