import * as LocalAuthentication from "expo-local-authentication";
import * as SecureStore from "expo-secure-store";
import { fireEvent } from "expo-router/testing-library";

import { restoreSession } from "@/features/session/session";
import { makeStore } from "@/store";
import { accessToken, DASHBOARD, fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

const auth = LocalAuthentication as jest.Mocked<typeof LocalAuthentication>;
const NEW_PASSWORD = "Brand-New-Passw0rd!";

beforeEach(async () => {
  auth.hasHardwareAsync.mockResolvedValue(false); // no lock in the way
  await SecureStore.setItemAsync("nija.refresh_token", "refresh-1");
});

async function securityScreen(api: ReturnType<typeof fakeApi>) {
  api
    .on("POST", "/v1/auth/refresh", { body: { access_token: accessToken("u-1"), expires_in: 900 } })
    .on("GET", "/v1/dashboard", { body: DASHBOARD });
  const store = makeStore();
  await restoreSession(store.dispatch);
  const { screen } = await renderApp("/dashboard", store);
  await screen.findByLabelText("Equity: 100,250.50");
  await fireEvent.press(screen.getByLabelText("Security"));
  return { screen, store };
}

test("a password change ends every session, this one too: the app asks to sign in again", async () => {
  const api = fakeApi().on("POST", "/v1/auth/password/change", {
    status: 403,
    body: { error: { code: "wrong_password", message: "the current password is not right" } },
  });
  api.on("POST", "/v1/auth/password/change", { status: 204 });
  const { screen, store } = await securityScreen(api);

  await fireEvent.changeText(await screen.findByLabelText("Current password"), "Not-Mine-Passw0rd!");
  await fireEvent.changeText(screen.getByLabelText("New password"), NEW_PASSWORD);
  await fireEvent.press(screen.getByRole("button", { name: "Change password" }));
  expect(await screen.findByLabelText("Current password: That is not your current password.")).toBeTruthy();
  expect(store.getState().session.status).toBe("signedIn"); // a wrong password is not an ended session

  await fireEvent.changeText(screen.getByLabelText("Current password"), "Old-Passw0rd-123!");
  await fireEvent.press(screen.getByRole("button", { name: "Change password" }));
  expect(await screen.findByRole("button", { name: "Sign in" })).toBeTruthy();
  const change = api.calls.filter((c) => c.path === "/v1/auth/password/change").at(-1);
  expect(change?.body).toEqual({ current_password: "Old-Passw0rd-123!", new_password: NEW_PASSWORD });
  expect(change?.authorization).toBe(`Bearer ${accessToken("u-1")}`);
  expect(await SecureStore.getItemAsync("nija.refresh_token")).toBeNull();
});

test("sign out everywhere ends the sessions of every device with this one's refresh token", async () => {
  const api = fakeApi().on("POST", "/v1/auth/logout", { status: 204 });
  const { screen } = await securityScreen(api);
  await fireEvent.press(await screen.findByRole("button", { name: "Sign out everywhere" }));
  expect(await screen.findByRole("button", { name: "Sign in" })).toBeTruthy();
  expect(api.calls.find((c) => c.path === "/v1/auth/logout")?.body).toEqual({ refresh_token: "refresh-1", everywhere: true });
  expect(await SecureStore.getItemAsync("nija.refresh_token")).toBeNull();
});
