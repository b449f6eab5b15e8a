// What the realtime API pushes (README "Real-time updates"), checked before the app believes it: a
// malformed message is dropped, never a crash.
import type { Order, Position } from "@/api/types";

/** An order as the socket sends it: `type` names the event, `order_type` the order's own type. */
export type OrderEvent = { type: "order" | "risk_refusal"; order_type?: Order["type"] } & Pick<Order, "order_id" | "status"> &
  Omit<Partial<Order>, "type" | "order_id" | "status">;

export type RealtimeEvent =
  | OrderEvent
  | { type: "fill"; order_id: string; trade_id: string }
  | ({ type: "position" } & Pick<Position, "broker" | "symbol" | "quantity"> & Partial<Position>)
  | { type: "kill_switch"; engaged: boolean }
  | { type: "trading_disabled"; reason?: string }
  | { type: "account_disabled" }
  | { type: "account_deleted" }
  | { type: "pong" };

const str = (v: unknown): v is string => typeof v === "string" && v.length > 0;

export function parseEvent(data: unknown): RealtimeEvent | undefined {
  if (typeof data !== "string") return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== "object") return undefined;
  const e = raw as Record<string, unknown>;
  switch (e.type) {
    case "order":
    case "risk_refusal":
      return str(e.order_id) && str(e.status) ? (e as RealtimeEvent) : undefined;
    case "fill":
      return str(e.order_id) && str(e.trade_id) ? (e as RealtimeEvent) : undefined;
    case "position":
      return str(e.broker) && str(e.symbol) && str(e.quantity) ? (e as RealtimeEvent) : undefined;
    case "kill_switch":
      return typeof e.engaged === "boolean" ? (e as RealtimeEvent) : undefined;
    case "trading_disabled":
    case "account_disabled":
    case "account_deleted":
    case "pong":
      return e as RealtimeEvent;
    default:
      return undefined;
  }
}
