// The one API layer: every endpoint the app calls, typed from the OpenAPI document.
import { createApi } from "@reduxjs/toolkit/query/react";

import { baseQuery } from "./base";
import type {
  ChangePasswordIn,
  ConfirmIn,
  DailyPnlSeries,
  Dashboard,
  EmailIn,
  EquitySeries,
  LoginIn,
  Me,
  MfaVerifyIn,
  Order,
  OrdersPage,
  PositionsPage,
  ResetIn,
  SignupIn,
  SignupOut,
  Tokens,
  TradesPage,
} from "./types";

export type EquityRange = "1d" | "1w" | "1m" | "3m";

const RANGES: Record<EquityRange, { days: number; resolution: "5m" | "1h" | "1d" }> = {
  "1d": { days: 1, resolution: "5m" },
  "1w": { days: 7, resolution: "1h" },
  "1m": { days: 30, resolution: "1d" },
  "3m": { days: 90, resolution: "1d" },
};

export function equityQuery(range: EquityRange, now: Date = new Date()): string {
  const { days, resolution } = RANGES[range];
  const since = new Date(now.getTime() - days * 86_400_000).toISOString();
  return `/v1/analytics/equity?since=${encodeURIComponent(since)}&until=${encodeURIComponent(now.toISOString())}&resolution=${resolution}`;
}

function paged(path: string, token: string | undefined): string {
  return token ? `${path}?next_token=${encodeURIComponent(token)}` : path;
}

export const nijaApi = createApi({
  reducerPath: "api",
  baseQuery,
  tagTypes: ["Dashboard", "Orders", "Positions", "Trades", "Me"],
  endpoints: (build) => ({
    signUp: build.mutation<SignupOut, SignupIn>({
      query: (body) => ({ url: "/v1/auth/signup", method: "POST", body }),
    }),
    confirm: build.mutation<void, ConfirmIn>({
      query: (body) => ({ url: "/v1/auth/confirm", method: "POST", body }),
    }),
    logIn: build.mutation<Tokens, LoginIn>({
      query: (body) => ({ url: "/v1/auth/login", method: "POST", body }),
    }),
    verifyMfa: build.mutation<Tokens, MfaVerifyIn>({
      query: (body) => ({ url: "/v1/auth/mfa/verify", method: "POST", body }),
    }),
    forgotPassword: build.mutation<void, EmailIn>({
      query: (body) => ({ url: "/v1/auth/password/forgot", method: "POST", body }),
    }),
    resetPassword: build.mutation<void, ResetIn>({
      query: (body) => ({ url: "/v1/auth/password/reset", method: "POST", body }),
    }),
    changePassword: build.mutation<void, ChangePasswordIn>({
      query: (body) => ({ url: "/v1/auth/password/change", method: "POST", body }),
    }),
    me: build.query<Me, void>({ query: () => "/v1/me", providesTags: ["Me"] }),
    dashboard: build.query<Dashboard, void>({ query: () => "/v1/dashboard", providesTags: ["Dashboard"] }),
    equity: build.query<EquitySeries, EquityRange>({ query: (range) => equityQuery(range) }),
    dailyPnl: build.query<DailyPnlSeries, number>({ query: (days) => `/v1/analytics/pnl/daily?days=${days}` }),
    order: build.query<Order, string>({
      query: (id) => `/v1/orders/${encodeURIComponent(id)}`,
      providesTags: (_r, _e, id) => [{ type: "Orders", id }],
    }),
    orders: build.infiniteQuery<OrdersPage, void, string | undefined>({
      infiniteQueryOptions: { initialPageParam: undefined, getNextPageParam: (last) => last.next_token ?? undefined },
      query: ({ pageParam }) => paged("/v1/orders", pageParam),
      providesTags: ["Orders"],
    }),
    positions: build.query<PositionsPage, void>({ query: () => "/v1/positions", providesTags: ["Positions"] }),
    trades: build.infiniteQuery<TradesPage, void, string | undefined>({
      infiniteQueryOptions: { initialPageParam: undefined, getNextPageParam: (last) => last.next_token ?? undefined },
      query: ({ pageParam }) => paged("/v1/trades", pageParam),
      providesTags: ["Trades"],
    }),
  }),
});

export const {
  useSignUpMutation,
  useConfirmMutation,
  useLogInMutation,
  useVerifyMfaMutation,
  useForgotPasswordMutation,
  useResetPasswordMutation,
  useChangePasswordMutation,
  useMeQuery,
  useDashboardQuery,
  useEquityQuery,
  useDailyPnlQuery,
  useOrderQuery,
  useOrdersInfiniteQuery,
  usePositionsQuery,
  useTradesInfiniteQuery,
} = nijaApi;
