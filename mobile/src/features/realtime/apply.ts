// An event from the socket into the RTK Query cache: the screens change without polling. Records the
// event carries whole (an order's new status, a position) are written into the cached answers; figures
// the server computes (equity, PnL) are fetched again.
import { nijaApi } from "@/api/nija";
import type { Order, Position } from "@/api/types";
import { signedOut } from "@/features/session/sessionSlice";
import { tokenStore } from "@/features/session/tokenStore";
import type { AppDispatch } from "@/store";

import type { OrderEvent, RealtimeEvent } from "./events";

function mergeOrder(dispatch: AppDispatch, event: OrderEvent) {
  const { type: _event, order_type, ...fields } = event;
  const update: Partial<Order> & Pick<Order, "order_id"> = order_type ? { ...fields, type: order_type } : fields;
  dispatch(
    nijaApi.util.updateQueryData("orders", undefined, (cached) => {
      const pages = cached.pages;
      for (const page of pages) {
        const found = page.items.find((o) => o.order_id === update.order_id);
        if (found) {
          Object.assign(found, update);
          return;
        }
      }
      const complete = update as Partial<Order>;
      if (pages[0] && complete.symbol && complete.broker && complete.side && complete.quantity) {
        pages[0].items.unshift(update as Order); // a new order: newest first
      }
    }),
  );
  dispatch(
    nijaApi.util.updateQueryData("order", update.order_id, (cached) => {
      Object.assign(cached, update);
    }),
  );
}

function mergePosition(
  dispatch: AppDispatch,
  event: Partial<Position> & Pick<Position, "broker" | "symbol" | "quantity"> & { type: "position" },
) {
  const { type: _event, ...update } = event;
  dispatch(
    nijaApi.util.updateQueryData("positions", undefined, (cached) => {
      const found = cached.items.find((p) => p.broker === update.broker && p.symbol === update.symbol);
      if (found) Object.assign(found, update);
      else if (update.average_price) cached.items.push(update as Position);
    }),
  );
}

export function applyEvent(dispatch: AppDispatch, event: RealtimeEvent): void {
  switch (event.type) {
    case "order":
    case "risk_refusal":
      mergeOrder(dispatch, event);
      break;
    case "fill":
      dispatch(nijaApi.util.invalidateTags(["Dashboard", "Trades", { type: "Orders", id: event.order_id }]));
      break;
    case "position":
      mergePosition(dispatch, event);
      dispatch(nijaApi.util.invalidateTags(["Dashboard"]));
      break;
    case "kill_switch":
    case "trading_disabled":
      dispatch(nijaApi.util.invalidateTags(["Me", "Dashboard"]));
      break;
    case "account_disabled":
    case "account_deleted":
      void tokenStore.clear();
      dispatch(signedOut());
      break;
    case "pong":
      break;
  }
}
