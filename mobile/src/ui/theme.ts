// Light and dark, following the system setting.
import { useColorScheme } from "react-native";

const LIGHT = { background: "#ffffff", text: "#111827", muted: "#6b7280", border: "#d1d5db", danger: "#b91c1c", success: "#047857", accent: "#2563eb" };
const DARK = { background: "#0b0f17", text: "#f3f4f6", muted: "#9ca3af", border: "#374151", danger: "#f87171", success: "#34d399", accent: "#60a5fa" };

export type Theme = typeof LIGHT;

export function useTheme(): Theme {
  return useColorScheme() === "dark" ? DARK : LIGHT;
}
