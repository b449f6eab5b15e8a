import { useEffect } from "react";
import { AppState } from "react-native";
import { useStore } from "react-redux";

import { websocketUrl } from "@/api/config";
import type { AppStore } from "@/store";

import { RealtimeConnection } from "./connection";

/** Keeps the one socket open while the user is signed in and the app is in the foreground. */
export function useRealtime(signedIn: boolean): void {
  const store = useStore() as AppStore;
  useEffect(() => {
    if (!signedIn) return;
    const connection = new RealtimeConnection({
      dispatch: store.dispatch,
      url: () => {
        const token = store.getState().session.accessToken;
        return token ? websocketUrl(token) : undefined;
      },
    });
    if (AppState.currentState !== "background") connection.start();
    const watching = AppState.addEventListener("change", (state) => {
      if (state === "active") connection.start();
      else if (state === "background") connection.stop();
    });
    return () => {
      watching.remove();
      connection.stop();
    };
  }, [signedIn, store]);
}
