import type { Me } from "@/api/types";
import { signedIn } from "@/features/session/sessionSlice";
import { makeStore } from "@/store";
import { accessToken, fakeApi } from "@/testing/fakeApi";
import { renderApp } from "@/testing/renderApp";

function me(permissions: Me["permissions"]): Me {
  return {
    user_id: "u-1",
    email: "u1@example.com",
    tier: "basic",
    status: "active",
    role: "user",
    mfa_enabled: false,
    requests_per_minute: 60,
    created_at: "2026-12-01T10:00:00Z",
    permissions,
  };
}

async function securityScreen(body: Me) {
  fakeApi().on("GET", "/v1/me", { body });
  const store = makeStore();
  store.dispatch(signedIn({ accessToken: accessToken("u-1"), email: "u1@example.com" }));
  return (await renderApp("/security", store)).screen;
}

test("the settings show what an admin allows, read only", async () => {
  const screen = await securityScreen(
    me({
      trading_enabled: true,
      allowed_brokers: ["kraken", "paper"],
      allowed_symbols: ["BTC/USD"],
      max_order_value: "2500",
      max_position_value: null,
    }),
  );
  expect(await screen.findByRole("header", { name: "What you may trade" })).toBeTruthy();
  expect(screen.getByLabelText("Trading: on")).toBeTruthy();
  expect(screen.getByLabelText("Brokers: kraken, paper")).toBeTruthy();
  expect(screen.getByLabelText("Symbols: BTC/USD")).toBeTruthy();
  expect(screen.getByLabelText("Largest order: 2,500.00 (in the symbol's quote currency)")).toBeTruthy();
  expect(screen.getByLabelText("Largest position: no limit")).toBeTruthy();
  expect(screen.queryByRole("switch", { name: /Trading/ })).toBeNull(); // nothing to change here
});

test("an account with trading turned off and no broker allowed says so", async () => {
  const screen = await securityScreen(
    me({
      trading_enabled: false,
      allowed_brokers: [],
      allowed_symbols: null,
      max_order_value: null,
      max_position_value: null,
    }),
  );
  expect(await screen.findByLabelText("Trading: turned off by an administrator")).toBeTruthy();
  expect(screen.getByLabelText("Brokers: none")).toBeTruthy();
  expect(screen.getByLabelText("Symbols: all symbols")).toBeTruthy();
});
