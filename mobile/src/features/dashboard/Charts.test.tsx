import { fireEvent } from "expo-router/testing-library";

import { signedIn } from "@/features/session/sessionSlice";
import { makeStore } from "@/store";
import { accessToken, DASHBOARD, fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

const POINTS = [
  { at: "2026-12-01T00:00:00Z", equity: "100000" },
  { at: "2026-12-02T00:00:00Z", equity: "100800" },
  { at: "2026-12-03T00:00:00Z", equity: "100250.5" },
];
const PNL = {
  days: [
    { date: "2026-12-04", realized_pnl: "120.5", trades: 3, closing_trades: 2, wins: 1, win_rate: "0.5" },
    { date: "2026-12-05", realized_pnl: "-20", trades: 1, closing_trades: 1, wins: 0, win_rate: "0" },
  ],
  realized_pnl: "100.5",
  time_zone: "UTC",
  trades: 4,
  win_rate: "0.3333",
};

test("the equity chart over its ranges and the daily PnL with its win rate and trades", async () => {
  const api = fakeApi()
    .on("GET", "/v1/dashboard", { body: DASHBOARD })
    .on("GET", "/v1/analytics/equity", ({ body }) => ({ body: { points: POINTS, resolution: "1h", since: "x", until: "y", ...(body as object) } }))
    .on("GET", "/v1/analytics/pnl/daily", { body: PNL });
  const store = makeStore();
  store.dispatch(signedIn({ accessToken: accessToken("u-1") }));
  const { screen } = await renderApp("/dashboard", store);

  expect(await screen.findByLabelText("Equity over the last week: from 100,000.00 to 100,250.50")).toBeTruthy();
  expect(await screen.findByLabelText("Realized PnL over 30 days: +100.50, win rate 33%, 4 trades")).toBeTruthy();
  const week = api.calls.find((c) => c.path.startsWith("/v1/analytics/equity"));
  expect(week?.path).toContain("resolution=1h");

  await fireEvent.press(screen.getByRole("radio", { name: "Last 3 months" }));
  await screen.findByLabelText("Equity over the last 3 months: from 100,000.00 to 100,250.50");
  expect(api.calls.filter((c) => c.path.startsWith("/v1/analytics/equity")).at(-1)?.path).toContain("resolution=1d");
  expect(api.calls.find((c) => c.path.startsWith("/v1/analytics/pnl"))?.path).toBe("/v1/analytics/pnl/daily?days=30");
});
