import { act, fireEvent, waitFor } from "expo-router/testing-library";
import * as SecureStore from "expo-secure-store";

import { signedOut } from "@/features/session/sessionSlice";
import { accessToken, DASHBOARD, fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

const EMAIL = "trader@example.com";
const PASSWORD = "My-Passw0rd-123!";

type Screen = Awaited<ReturnType<typeof renderApp>>["screen"];
let screen: Screen;

async function fillIn(email = EMAIL, password = PASSWORD) {
  await fireEvent.changeText(screen.getByLabelText("Email"), email);
  await fireEvent.changeText(screen.getByLabelText("Password"), password);
  await fireEvent.press(screen.getByRole("button", { name: "Sign in" }));
}

async function started() {
  const rendered = await renderApp("/sign-in");
  screen = rendered.screen;
  await act(async () => {
    rendered.store.dispatch(signedOut());
  });
  return rendered.store;
}

test("a right password signs in: the refresh token goes to the secure store, the dashboard shows", async () => {
  const api = fakeApi()
    .on("POST", "/v1/auth/login", {
      body: { access_token: accessToken("u-1"), id_token: "id", refresh_token: "refresh-1", expires_in: 900, token_type: "Bearer" },
    })
    .on("GET", "/v1/dashboard", { body: DASHBOARD });
  const store = await started();
  await fillIn();

  expect(await screen.findByLabelText("Equity: 100,250.50")).toBeTruthy();
  expect(screen.getByLabelText("Today's PnL: +250.50")).toBeTruthy();
  expect(api.calls[0]).toMatchObject({ method: "POST", path: "/v1/auth/login", body: { email: EMAIL, password: PASSWORD } });
  expect(api.calls[1]).toMatchObject({ path: "/v1/dashboard", authorization: `Bearer ${accessToken("u-1")}` });
  expect(SecureStore.setItemAsync).toHaveBeenCalledWith("nija.refresh_token", "refresh-1", {
    keychainAccessible: SecureStore.WHEN_UNLOCKED_THIS_DEVICE_ONLY,
  });
  expect(store.getState().session).toMatchObject({ status: "signedIn", userId: "u-1", email: EMAIL });
});

test("a wrong password is said next to the password", async () => {
  fakeApi().on("POST", "/v1/auth/login", {
    status: 401,
    body: { error: { code: "unauthenticated", message: "incorrect email or password" } },
  });
  await started();
  await fillIn(EMAIL, "wrong-password");
  expect(await screen.findByLabelText("Password: Wrong email or password.")).toBeTruthy();
});

test("a locked account is told when to try again", async () => {
  fakeApi().on("POST", "/v1/auth/login", {
    status: 429,
    headers: { "Retry-After": "840" },
    body: { error: { code: "locked", message: "too many failed sign-ins" } },
  });
  await started();
  await fillIn();
  expect(await screen.findByText("Too many attempts. Try again in 840 seconds.")).toBeTruthy();
});

test("the service down is a clear message, not a blank screen", async () => {
  fakeApi();
  await started();
  await fillIn();
  expect(await screen.findByText("The NIJA service cannot be reached. Check your connection.")).toBeTruthy();
});

test("with MFA on, the authenticator code finishes the sign-in", async () => {
  const api = fakeApi()
    .on("POST", "/v1/auth/login", { body: { challenge: "SOFTWARE_TOKEN_MFA", session: "s-1" } })
    .on("POST", "/v1/auth/mfa/verify", {
      body: { access_token: accessToken("u-2"), id_token: "id", refresh_token: "refresh-2", expires_in: 900 },
    })
    .on("GET", "/v1/dashboard", { body: DASHBOARD });
  await started();
  await fillIn();
  await fireEvent.changeText(await screen.findByLabelText("Authenticator code"), "123456");
  await fireEvent.press(screen.getByRole("button", { name: "Verify" }));
  expect(await screen.findByLabelText("Equity: 100,250.50")).toBeTruthy();
  expect(api.calls.find((c) => c.path === "/v1/auth/mfa/verify")?.body).toEqual({ email: EMAIL, session: "s-1", code: "123456", refresh_cookie: false });
});

test("signing out forgets the user's data and the stored token", async () => {
  fakeApi()
    .on("POST", "/v1/auth/login", { body: { access_token: accessToken("u-3"), refresh_token: "refresh-3", expires_in: 900 } })
    .on("GET", "/v1/dashboard", { body: DASHBOARD });
  const store = await started();
  await fillIn();
  await screen.findByLabelText("Equity: 100,250.50");
  await fireEvent.press(screen.getByRole("button", { name: "Sign out" }));
  await waitFor(() => expect(screen.getByRole("button", { name: "Sign in" })).toBeTruthy());
  expect(store.getState().session).toEqual({ status: "signedOut" });
  expect(JSON.stringify(store.getState().api.queries)).not.toContain("100250.5");
  expect(SecureStore.deleteItemAsync).toHaveBeenCalled();
});
