import AsyncStorage from "@react-native-async-storage/async-storage";
import { fireEvent, waitFor } from "expo-router/testing-library";

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

async function stored(user: string): Promise<Record<string, unknown>> {
  let text: string | null = null;
  await waitFor(async () => {
    text = await AsyncStorage.getItem(`nija.offline.${user}`);
    expect(text).not.toBeNull();
  });
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
