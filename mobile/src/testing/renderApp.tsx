// The app's screens under the real router and store, as the root layout mounts them.
import { renderRouter } from "expo-router/testing-library";
import { Stack } from "expo-router";
import { Provider } from "react-redux";

import ConfirmRoute from "@/app/confirm";
import SignedInLayout from "@/app/(app)/_layout";
import DashboardRoute from "@/app/(app)/dashboard";
import OrderRoute from "@/app/(app)/orders/[id]";
import OrdersRoute from "@/app/(app)/orders/index";
import PositionsRoute from "@/app/(app)/positions";
import SecurityRoute from "@/app/(app)/security";
import TradesRoute from "@/app/(app)/trades";
import ForgotPasswordRoute from "@/app/forgot-password";
import IndexRoute from "@/app/index";
import MfaRoute from "@/app/mfa";
import SignInRoute from "@/app/sign-in";
import SignUpRoute from "@/app/sign-up";
import { type AppStore, makeStore } from "@/store";

export async function renderApp(initialUrl: string, store: AppStore = makeStore()) {
  function Layout() {
    return (
      <Provider store={store}>
        <Stack screenOptions={{ headerShown: false }} />
      </Provider>
    );
  }
  // RNTL 14 renders asynchronously: the result is a promise of the queries.
  const screen = await (renderRouter(
    {
      _layout: Layout,
      index: IndexRoute,
      "sign-in": SignInRoute,
      "sign-up": SignUpRoute,
      confirm: ConfirmRoute,
      "forgot-password": ForgotPasswordRoute,
      mfa: MfaRoute,
      "(app)/_layout": SignedInLayout,
      "(app)/dashboard": DashboardRoute,
      "(app)/orders/index": OrdersRoute,
      "(app)/orders/[id]": OrderRoute,
      "(app)/positions": PositionsRoute,
      "(app)/trades": TradesRoute,
      "(app)/security": SecurityRoute,
    },
    { initialUrl },
  ) as unknown as Promise<ReturnType<typeof renderRouter>>);
  return { screen, store };
}
