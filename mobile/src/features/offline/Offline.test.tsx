import AsyncStorage from "@react-native-async-storage/async-storage";
import { fireEvent, waitFor } from "expo-router/testing-library";

import { signedIn } from "@/features/session/sessionSlice";
import { makeStore } from "@/store";
import { accessToken, DASHBOARD, fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

beforeEach(async () => {
  await AsyncStorage.clear();
});

// The snapshot write waits 500 ms after the last answer: let the last one land before jest leaves.
afterAll(() => new Promise((resolve) => setTimeout(resolve, 700)));

async function signedInAt(url: string, user = "u-1") {
  const store = makeStore();
  store.dispatch(signedIn({ accessToken: accessToken(user), email: `${user}@example.com` }));
  const { screen } = await renderApp(url, store);
  return { screen, store };
}

async function stored(user: string): Promise<Record<string, unknown>> {
  let text: string | null = null;
  await waitFor(async () => {
    text = await AsyncStorage.getItem(`nija.offline.${user}`);
    expect(text).not.toBeNull();
  });
  return JSON.parse(text ?? "{}") as Record<string, unknown>;
}

test("the last good dashboard is kept and shown read-only, with its time, when the API cannot be reached", async () => {
  const api = fakeApi().on("GET", "/v1/dashboard", { body: DASHBOARD });
  const first = await signedInAt("/dashboard");
  await first.screen.findByLabelText("Equity: 100,250.50");
  expect(Object.keys(await stored("u-1"))).toContain("dashboard");

  // Later, the service is down: a new start of the app, the same user.
  fakeApi();
  const { screen } = await signedInAt("/dashboard");
  expect(await screen.findByLabelText(/^Offline: showing your data as of /)).toBeTruthy();
  expect(screen.getByLabelText("Equity: 100,250.50")).toBeTruthy();
  expect(api.calls).toHaveLength(1);
});

test("lists are kept too, and no further page is offered offline", async () => {
  const order = { order_id: "int_1", client_order_id: "nj", broker: "paper", symbol: "ETH/USD", side: "sell", type: "market", quantity: "1", status: "filled", filled_quantity: "1", fees: "0", cancel_requested: false, created_at: "2026-12-05T10:00:00Z", updated_at: "2026-12-05T10:00:00Z" };
  fakeApi().on("GET", "/v1/orders", { body: { items: [order], next_token: "more" } });
  const first = await signedInAt("/orders");
  await first.screen.findByLabelText("Sell 1 ETH/USD on paper, filled");
  await stored("u-1");

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
  await waitFor(async () => expect(await AsyncStorage.getItem("nija.offline.u-1")).toBeNull());
});

// Last in the file: expo-router's test harness keeps a sign-out's navigation for any render after it.
test("signing out erases the kept data", async () => {
  fakeApi().on("GET", "/v1/dashboard", { body: DASHBOARD });
  const { screen } = await signedInAt("/dashboard", "u-1");
  await screen.findByLabelText("Equity: 100,250.50");
  await stored("u-1");
  await fireEvent.press(screen.getByRole("button", { name: "Sign out" }));
  await waitFor(async () => expect(await AsyncStorage.getItem("nija.offline.u-1")).toBeNull());
});
