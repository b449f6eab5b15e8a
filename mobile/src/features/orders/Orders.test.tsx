import { fireEvent } from "expo-router/testing-library";

import type { Order } from "@/api/types";
import { signedIn, signedOut } from "@/features/session/sessionSlice";
import { makeStore } from "@/store";
import { accessToken, fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

function order(n: number, fields: Partial<Order> = {}): Order {
  return {
    order_id: `int_${n}`,
    client_order_id: `nj_${n}`,
    broker: "paper",
    symbol: "BTC/USD",
    side: "buy",
    type: "market",
    quantity: "0.01",
    status: "filled",
    filled_quantity: "0.01",
    average_fill_price: "97000.5",
    fees: "0.97",
    cancel_requested: false,
    created_at: "2026-12-05T10:00:00Z",
    updated_at: "2026-12-05T10:00:01Z",
    ...fields,
  };
}

async function signedInAt(url: string) {
  const store = makeStore();
  store.dispatch(signedIn({ accessToken: accessToken("u-1"), email: "u1@example.com" }));
  return (await renderApp(url, store)).screen;
}

test("orders show with their status and refusal reason, page by page", async () => {
  const api = fakeApi()
    .on("GET", "/v1/orders", { body: { items: [order(1), order(2, { symbol: "ETH/USD" })], next_token: "page-2" } })
    .on("GET", "/v1/orders?next_token=page-2", {
      body: { items: [order(3, { status: "rejected", reason_code: "daily_loss_limit", filled_quantity: "0", average_fill_price: null })] },
    });
  const screen = await signedInAt("/orders");

  expect(await screen.findByLabelText("Buy 0.01 BTC/USD at 97000.5 on paper, filled")).toBeTruthy();
  await fireEvent.press(screen.getByRole("button", { name: "More orders" }));
  expect(await screen.findByLabelText("Buy 0.01 BTC/USD on paper, rejected: daily loss limit")).toBeTruthy();
  expect(screen.queryByRole("button", { name: "More orders" })).toBeNull();
  expect(api.calls.map((c) => c.path)).toEqual(["/v1/orders", "/v1/orders?next_token=page-2"]);
});

test("an order's detail says why it was refused", async () => {
  fakeApi().on("GET", "/v1/orders/int_9", {
    body: order(9, { status: "rejected", reason_code: "kill_switch_halted", reason_message: "your kill switch is engaged" }),
  });
  const screen = await signedInAt("/orders/int_9");
  expect(await screen.findByLabelText("Status: rejected: kill switch halted")).toBeTruthy();
  expect(screen.getByLabelText("Reason: your kill switch is engaged")).toBeTruthy();
});

test("no orders, no positions and no trades each say so; a failure says what happened", async () => {
  fakeApi()
    .on("GET", "/v1/orders", { body: { items: [] } })
    .on("GET", "/v1/positions", { body: { items: [] } })
    .on("GET", "/v1/trades", { status: 503, body: { error: { code: "service_unavailable", message: "the table did not answer" } } });
  const screen = await signedInAt("/orders");
  expect(await screen.findByText("No orders yet.")).toBeTruthy();
  await fireEvent.press(screen.getByLabelText("Positions"));
  expect(await screen.findByText("No open positions.")).toBeTruthy();
  await fireEvent.press(screen.getByLabelText("Trades"));
  expect(await screen.findByText("the table did not answer")).toBeTruthy();
});

test("positions show their quantity, average price and unrealized PnL", async () => {
  fakeApi().on("GET", "/v1/positions", {
    body: {
      items: [
        { broker: "paper", symbol: "ETH/USD", quantity: "2", average_price: "3000", realized_pnl: "0", unrealized_pnl: "-12.5" },
        { broker: "paper", symbol: "SOL/USD", quantity: "0", average_price: "150", realized_pnl: "4", unrealized_pnl: "0" },
      ],
    },
  });
  const screen = await signedInAt("/positions");
  expect(await screen.findByLabelText("2 ETH/USD on paper, Average price 3,000.00, unrealized PnL -12.50")).toBeTruthy();
  expect(screen.queryByText(/SOL\/USD/)).toBeNull(); // closed
});

test("a signed-out visitor of a signed-in screen is sent to sign in", async () => {
  fakeApi();
  const store = makeStore();
  store.dispatch(signedOut());
  const { screen } = await renderApp("/orders", store);
  expect(await screen.findByRole("button", { name: "Sign in" })).toBeTruthy();
});
