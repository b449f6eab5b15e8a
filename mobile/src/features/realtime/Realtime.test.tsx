import { waitFor } from "expo-router/testing-library";

import { signedIn } from "@/features/session/sessionSlice";
import { makeStore } from "@/store";
import { accessToken, DASHBOARD, fakeApi } from "@/testing/fakeApi";
import { fakeSockets } from "@/testing/fakeSocket";
import { renderApp } from "@/testing/renderApp";

const TOKEN = accessToken("u-1");
const QUEUED = {
  order_id: "int_1",
  client_order_id: "nj_1",
  broker: "paper",
  symbol: "BTC/USD",
  side: "buy",
  type: "market",
  quantity: "0.01",
  status: "queued",
  filled_quantity: "0",
  fees: "0",
  cancel_requested: false,
  created_at: "2026-12-05T10:00:00Z",
  updated_at: "2026-12-05T10:00:00Z",
};

async function signedInAt(url: string) {
  const store = makeStore();
  store.dispatch(signedIn({ accessToken: TOKEN, email: "u1@example.com" }));
  const { screen } = await renderApp(url, store);
  return { screen, store };
}

test("an order's new status arrives on the socket and shows without reading the list again", async () => {
  const api = fakeApi().on("GET", "/v1/orders", { body: { items: [QUEUED] } });
  const sockets = fakeSockets();
  const { screen } = await signedInAt("/orders");
  await screen.findByLabelText("Buy 0.01 BTC/USD on paper, queued");

  const socket = sockets.latest();
  expect(socket.url).toBe(`ws://127.0.0.1:8000/ws?token=${encodeURIComponent(TOKEN)}`);
  await socket.accept();
  expect(screen.getByLabelText("Live updates: on")).toBeTruthy();
  await socket.push({ type: "order", order_id: "int_1", status: "filled", filled_quantity: "0.01", average_fill_price: "97000", order_type: "market" });

  expect(await screen.findByLabelText("Buy 0.01 BTC/USD at 97000 on paper, filled")).toBeTruthy();
  expect(api.calls.filter((c) => c.path === "/v1/orders")).toHaveLength(1);
});

test("a fill changes the dashboard's figures", async () => {
  fakeApi()
    .on("GET", "/v1/dashboard", { body: DASHBOARD })
    .on("GET", "/v1/dashboard", { body: { ...DASHBOARD, equity: "100300", cash: "98000" } });
  const sockets = fakeSockets();
  const { screen } = await signedInAt("/dashboard");
  await screen.findByLabelText("Equity: 100,250.50");
  await sockets.latest().accept();

  await sockets.latest().push({ type: "fill", order_id: "int_1", trade_id: "t1", quantity: "0.01", price: "97000" });

  expect(await screen.findByLabelText("Equity: 100,300.00")).toBeTruthy();
  expect(screen.getByLabelText("Cash: 98,000.00")).toBeTruthy();
});

test("malformed messages are dropped and nothing breaks", async () => {
  fakeApi().on("GET", "/v1/orders", { body: { items: [QUEUED] } });
  const sockets = fakeSockets();
  const { screen, store } = await signedInAt("/orders");
  await screen.findByLabelText("Buy 0.01 BTC/USD on paper, queued");
  await sockets.latest().accept();

  for (const junk of ["not json", { type: "order" }, { type: "order", order_id: 5, status: "x" }, { type: "nonsense" }, [1, 2], null]) {
    await sockets.latest().push(junk);
  }

  expect(store.getState().realtime.dropped).toBe(6);
  expect(screen.getByLabelText("Buy 0.01 BTC/USD on paper, queued")).toBeTruthy();
});

test("a dropped socket comes back after a backoff and the lists are read again for what was missed", async () => {
  const api = fakeApi()
    .on("GET", "/v1/orders", { body: { items: [QUEUED] } })
    .on("GET", "/v1/orders", { body: { items: [{ ...QUEUED, status: "filled", filled_quantity: "0.01" }] } });
  const sockets = fakeSockets();
  const { screen } = await signedInAt("/orders");
  await screen.findByLabelText("Buy 0.01 BTC/USD on paper, queued");
  await sockets.latest().accept();

  await sockets.latest().drop();
  expect(screen.getByLabelText("Live updates: reconnecting")).toBeTruthy();
  await waitFor(() => expect(sockets.opened).toHaveLength(2), { timeout: 2000 });
  await sockets.latest().accept();

  expect(await screen.findByLabelText("Buy 0.01 BTC/USD on paper, filled")).toBeTruthy();
  expect(api.calls.filter((c) => c.path === "/v1/orders")).toHaveLength(2);
});

test("an account an admin disabled is signed out", async () => {
  fakeApi().on("GET", "/v1/dashboard", { body: DASHBOARD });
  const sockets = fakeSockets();
  const { screen, store } = await signedInAt("/dashboard");
  await screen.findByLabelText("Equity: 100,250.50");
  await sockets.latest().accept();

  await sockets.latest().push({ type: "account_disabled" });

  expect(await screen.findByRole("button", { name: "Sign in" })).toBeTruthy();
  expect(store.getState().session.status).toBe("signedOut");
  expect(sockets.latest().closedByApp).toBe(1000);
});
