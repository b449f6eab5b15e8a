import AsyncStorage from "@react-native-async-storage/async-storage";
import { fireEvent } from "expo-router/testing-library";

import * as SecureStore from "expo-secure-store";

import { restoreSession } from "@/features/session/session";
import { signedIn } from "@/features/session/sessionSlice";
import { makeStore } from "@/store";
import { accessToken, DASHBOARD, fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

beforeEach(async () => {
  await AsyncStorage.clear();
});

async function signedInAt(url: string, user = "u-1") {
  const store = makeStore();
  store.dispatch(signedIn({ accessToken: accessToken(user), email: `${user}@example.com` }));
  const { screen } = await renderApp(url, store);
  return { screen, store };
}

/** AsyncStorage's value for `key` once it is there (`present`) or gone: the app writes it from async
 * listeners. Polled outside act(): an async waitFor callback would overlap the renders' act scopes. */
async function settled(key: string, present: boolean): Promise<string | null> {
  for (let i = 0; i < 100; i += 1) {
    const value = await AsyncStorage.getItem(key);
    if (present ? value !== null : value === null) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return AsyncStorage.getItem(key);
}

async function stored(user: string): Promise<Record<string, unknown>> {
  const text = await settled(`nija.offline.${user}`, true);
  expect(text).not.toBeNull();
  return JSON.parse(text ?? "{}") as Record<string, unknown>;
}

const ORDER = {
  order_id: "int_1",
  client_order_id: "nj",
  broker: "paper",
  symbol: "ETH/USD",
  side: "sell",
  type: "market",
  quantity: "1",
  status: "filled",
  filled_quantity: "1",
  fees: "0",
  cancel_requested: false,
  created_at: "2026-12-05T10:00:00Z",
  updated_at: "2026-12-05T10:00:00Z",
};

test("each good answer is kept for the signed-in user, with its time", async () => {
  fakeApi().on("GET", "/v1/dashboard", { body: DASHBOARD });
  const { screen } = await signedInAt("/dashboard");
  await screen.findByLabelText("Equity: 100,250.50");
  const kept = (await stored("u-1")) as Record<string, { data: unknown; at: string }>;
  expect(kept.dashboard?.data).toEqual(DASHBOARD);
  expect(Number.isNaN(Date.parse(kept.dashboard?.at ?? ""))).toBe(false);
});

test("when the API cannot be reached the kept dashboard is shown read-only with its time", async () => {
  await AsyncStorage.setItem("nija.offline.u-1", JSON.stringify({ dashboard: { data: DASHBOARD, at: "2026-12-05T09:30:00Z" } }));
  fakeApi();
  const { screen } = await signedInAt("/dashboard");
  expect(await screen.findByLabelText(/^Offline: showing your data as of /)).toBeTruthy();
  expect(screen.getByLabelText("Equity: 100,250.50")).toBeTruthy();
});

test("a kept list is shown offline, and no further page is offered", async () => {
  const orders = { pages: [{ items: [ORDER], next_token: "more" }], pageParams: [undefined] };
  await AsyncStorage.setItem("nija.offline.u-1", JSON.stringify({ orders: { data: orders, at: "2026-12-05T09:30:00Z" } }));
  fakeApi();
  const { screen } = await signedInAt("/orders");
  expect(await screen.findByLabelText(/^Offline: /)).toBeTruthy();
  expect(screen.getByLabelText("Sell 1 ETH/USD on paper, filled")).toBeTruthy();
  expect(screen.queryByRole("button", { name: "More orders" })).toBeNull();
});

test("another user, offline, never sees what was kept for the previous one, which is erased", async () => {
  await AsyncStorage.setItem("nija.offline.u-1", JSON.stringify({ dashboard: { data: DASHBOARD, at: "2026-12-05T09:00:00Z" } }));
  fakeApi();
  const { screen } = await signedInAt("/dashboard", "u-2");
  expect(await screen.findByLabelText("Offline: the NIJA service cannot be reached.")).toBeTruthy();
  expect(screen.queryByLabelText(/^Equity: /)).toBeNull();
  expect(await settled("nija.offline.u-1", false)).toBeNull();
});

async function startedAt(url: string) {
  const store = makeStore();
  await restoreSession(store.dispatch);
  const { screen } = await renderApp(url, store);
  return { screen, store };
}

test("started without the API, the last user's kept dashboard is shown read-only", async () => {
  await AsyncStorage.setItem("nija.offline.u-1", JSON.stringify({ dashboard: { data: DASHBOARD, at: "2026-12-05T09:30:00Z" } }));
  const api = fakeApi(); // nothing answers: the refresh and the health check fail as a dead network does
  await SecureStore.setItemAsync("nija.refresh_token", "kept-refresh");
  const { screen, store } = await startedAt("/");
  expect(store.getState().session).toEqual({ status: "offline", userId: "u-1" });
  expect(await screen.findByLabelText(/^Offline: showing your data as of /)).toBeTruthy();
  expect(screen.getByLabelText("Equity: 100,250.50")).toBeTruthy();
  expect(api.calls.every((call) => call.method === "GET" || call.path === "/v1/auth/refresh")).toBe(true);
  await SecureStore.deleteItemAsync("nija.refresh_token");
});

test("offline, the API answering again renews the kept session and the screen goes live", async () => {
  await AsyncStorage.setItem("nija.offline.u-1", JSON.stringify({ dashboard: { data: DASHBOARD, at: "2026-12-05T09:30:00Z" } }));
  await SecureStore.setItemAsync("nija.refresh_token", "kept-refresh");
  fakeApi();
  const store = makeStore();
  await restoreSession(store.dispatch);
  expect(store.getState().session.status).toBe("offline");
  fakeApi()
    .on("POST", "/v1/auth/refresh", { body: { access_token: accessToken("u-1"), expires_in: 900 } })
    .on("GET", "/v1/dashboard", ({ headers }) =>
      headers.get("Authorization") ? { body: { ...DASHBOARD, equity: "100300" } } : { status: 401, body: { error: { code: "unauthenticated", message: "no token" } } },
    );
  const { screen } = await renderApp("/dashboard", store);
  expect(await screen.findByLabelText("Equity: 100,300.00")).toBeTruthy();
  expect(store.getState().session).toMatchObject({ status: "signedIn", userId: "u-1" });
  expect(screen.queryByLabelText(/^Offline: /)).toBeNull();
  await SecureStore.deleteItemAsync("nija.refresh_token");
});

test("started with the API there but no session to renew, the app asks to sign in and erases what was kept", async () => {
  await AsyncStorage.setItem("nija.offline.u-1", JSON.stringify({ dashboard: { data: DASHBOARD, at: "2026-12-05T09:30:00Z" } }));
  fakeApi().on("GET", "/health", { body: { status: "ok" } });
  const store = makeStore();
  await restoreSession(store.dispatch);
  expect(store.getState().session).toEqual({ status: "signedOut" });
  expect(await settled("nija.offline.u-1", false)).toBeNull();
});

// Last in the file: expo-router's test harness keeps a sign-out's navigation for any render after it.
test("signing out erases the kept data", async () => {
  fakeApi().on("GET", "/v1/dashboard", { body: DASHBOARD });
  const { screen } = await signedInAt("/dashboard", "u-1");
  await screen.findByLabelText("Equity: 100,250.50");
  await stored("u-1");
  await fireEvent.press(screen.getByRole("button", { name: "Sign out" }));
  expect(await settled("nija.offline.u-1", false)).toBeNull();
  expect(await screen.findByRole("button", { name: "Sign in" })).toBeTruthy(); // and the app is back at sign-in
});
