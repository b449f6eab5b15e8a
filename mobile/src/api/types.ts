// The shapes the app exchanges with the API, named from the generated schema (schema.ts).
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Tokens = Schemas["TokensOut"];
export type SignupIn = Schemas["SignupIn"];
export type SignupOut = Schemas["SignupOut"];
export type LoginIn = Schemas["LoginIn"];
export type ConfirmIn = Schemas["ConfirmIn"];
export type MfaVerifyIn = Schemas["MfaVerifyIn"];
export type EmailIn = Schemas["EmailIn"];
export type ResetIn = Schemas["ResetIn"];
export type ChangePasswordIn = Schemas["ChangePasswordIn"];
export type Me = Schemas["MeOut"];
export type Permissions = Schemas["PermissionsView"];
export type Dashboard = Schemas["Dashboard"];
export type Order = Schemas["OrderOut"];
export type Position = Schemas["PositionOut"];
export type Trade = Schemas["TradeOut"];
export type EquitySeries = Schemas["EquitySeries"];
export type DailyPnlSeries = Schemas["DailyPnlSeries"];
export type OrdersPage = Schemas["Page_OrderOut_"];
export type PositionsPage = Schemas["Page_PositionOut_"];
export type TradesPage = Schemas["Page_TradeOut_"];
export type ApiErrorBody = Schemas["Error"];
