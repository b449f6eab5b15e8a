import * as LocalAuthentication from "expo-local-authentication";
import * as SecureStore from "expo-secure-store";
import { act, fireEvent } from "expo-router/testing-library";
import { AppState, type AppStateStatus } from "react-native";

import { restoreSession } from "@/features/session/session";
import { makeStore } from "@/store";
import { accessToken, DASHBOARD, fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

const auth = LocalAuthentication as jest.Mocked<typeof LocalAuthentication>;
let listeners: ((state: AppStateStatus) => void)[] = [];
const appState = (state: AppStateStatus) => listeners.forEach((listener) => listener(state));

beforeEach(async () => {
  listeners = [];
  auth.hasHardwareAsync.mockResolvedValue(true);
  auth.isEnrolledAsync.mockResolvedValue(true);
  auth.authenticateAsync.mockResolvedValue({ success: true });
  jest.spyOn(AppState, "addEventListener").mockImplementation((type, listener) => {
    if (type === "change") listeners.push(listener as (state: AppStateStatus) => void);
    return { remove: () => undefined } as ReturnType<typeof AppState.addEventListener>;
  });
  await SecureStore.setItemAsync("nija.refresh_token", "refresh-1");
});

/** The app started with a kept session, as after a restart. */
async function restarted() {
  fakeApi()
    .on("POST", "/v1/auth/refresh", { body: { access_token: accessToken("u-1"), expires_in: 900 } })
    .on("GET", "/v1/dashboard", { body: DASHBOARD });
  const store = makeStore();
  await restoreSession(store.dispatch);
  return (await renderApp("/dashboard", store)).screen;
}

test("a start with a kept session asks for the fingerprint or face, with the passcode as fallback", async () => {
  const screen = await restarted();
  await fireEvent.press(await screen.findByRole("button", { name: "Unlock" }));
  expect(await screen.findByLabelText("Equity: 100,250.50")).toBeTruthy();
  expect(auth.authenticateAsync).toHaveBeenCalledWith(expect.objectContaining({ disableDeviceFallback: false }));
});

test("a failed unlock says so and keeps the account hidden", async () => {
  auth.authenticateAsync.mockResolvedValue({ success: false, error: "user_cancel" });
  const screen = await restarted();
  await fireEvent.press(await screen.findByRole("button", { name: "Unlock" }));
  expect(await screen.findByText("Not unlocked. Try again, or use your device passcode.")).toBeTruthy();
  expect(screen.queryByLabelText(/^Equity: /)).toBeNull();
});

test("away longer than the timeout locks again; the app switcher sees a cover, not the account", async () => {
  const screen = await restarted();
  await fireEvent.press(await screen.findByRole("button", { name: "Unlock" }));
  await screen.findByLabelText("Equity: 100,250.50");
  const now = jest.spyOn(Date, "now");
  now.mockReturnValue(1_000_000);
  await act(async () => appState("background"));
  expect(screen.getByLabelText("NIJA")).toBeTruthy(); // the cover
  now.mockReturnValue(1_000_000 + 61_000);
  await act(async () => appState("active"));
  expect(await screen.findByRole("button", { name: "Unlock" })).toBeTruthy();
  now.mockRestore();
});

test("without biometric hardware the app says so and locks nobody out", async () => {
  auth.hasHardwareAsync.mockResolvedValue(false);
  const screen = await restarted();
  expect(await screen.findByLabelText("Equity: 100,250.50")).toBeTruthy();
  await fireEvent.press(screen.getByLabelText("Security"));
  expect(await screen.findByText(/This device has no fingerprint or face unlock set up/)).toBeTruthy();
});

test("the user can turn the lock off", async () => {
  const screen = await restarted();
  await fireEvent.press(await screen.findByRole("button", { name: "Unlock" }));
  await screen.findByLabelText("Equity: 100,250.50");
  await fireEvent.press(screen.getByLabelText("Security"));
  await fireEvent(await screen.findByLabelText("Lock with fingerprint or face"), "valueChange", false);
  const now = jest.spyOn(Date, "now");
  now.mockReturnValue(2_000_000);
  await act(async () => appState("background"));
  now.mockReturnValue(2_000_000 + 600_000);
  await act(async () => appState("active"));
  expect(screen.queryByRole("button", { name: "Unlock" })).toBeNull();
  now.mockRestore();
});
