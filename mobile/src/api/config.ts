// Where the API is. The web build is served by the platform itself (same origin); Expo Go on a phone
// reaches the machine that serves the bundle; EXPO_PUBLIC_API_URL (a deployed stage's ApiUrl
// output, or a local stack elsewhere) overrides both.
import Constants from "expo-constants";
import { Platform } from "react-native";

export const LOCAL_API_PORT = 8000;

export function apiBaseUrl(): string {
  const configured = process.env.EXPO_PUBLIC_API_URL;
  if (configured) return configured.replace(/\/+$/, "");
  if (Platform.OS === "web" && typeof window !== "undefined" && window.location?.origin) {
    return window.location.origin;
  }
  const host = Constants.expoConfig?.hostUri?.split(":")[0];
  return `http://${host ?? "127.0.0.1"}:${LOCAL_API_PORT}`;
}

/** Web clients keep the refresh token in an HttpOnly cookie the API sets (`refresh_cookie`), out of
 * reach of every script on the page, and a reload keeps the session; native ones keep it in the
 * platform's secure store and send it in the body. */
export function refreshInCookie(): boolean {
  return Platform.OS === "web";
}

/** The realtime socket: the local stack's /ws, or a deployed stage's WebSocketUrl output. */
export function websocketUrl(accessToken: string): string {
  const configured = process.env.EXPO_PUBLIC_WS_URL;
  const base = configured ? configured.replace(/\/+$/, "") : `${apiBaseUrl().replace(/^http/, "ws")}/ws`;
  return `${base}?token=${encodeURIComponent(accessToken)}`;
}
