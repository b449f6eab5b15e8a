import { useRouter } from "expo-router";
import { Pressable } from "react-native";

import { useOrdersInfiniteQuery } from "@/api/nija";
import type { Order } from "@/api/types";
import { snapshotKey } from "@/features/offline/snapshots";
import { usePagedList } from "@/features/offline/usePagedList";
import { ListScreen, Row } from "@/ui/ListScreen";

export function orderSummary(o: Order): string {
  const price = o.average_fill_price ?? o.limit_price;
  return `${o.side === "buy" ? "Buy" : "Sell"} ${o.quantity} ${o.symbol}${price ? ` at ${price}` : ""} on ${o.broker}`;
}

export function orderStatus(o: Order): string {
  const status = o.status.replace(/_/g, " ");
  return o.reason_code ? `${status}: ${o.reason_code.replace(/_/g, " ")}` : status;
}

export function OrdersScreen() {
  const list = usePagedList(useOrdersInfiniteQuery(), snapshotKey("orders"), "More orders");
  const router = useRouter();
  return (
    <ListScreen
      title="Orders"
      {...list}
      keyOf={(o) => o.order_id}
      empty="No orders yet."
      render={(o) => (
        <Pressable accessibilityRole="link" onPress={() => router.push(`/orders/${o.order_id}`)}>
          <Row label={`${orderSummary(o)}, ${orderStatus(o)}`} lines={[orderSummary(o), orderStatus(o)]} />
        </Pressable>
      )}
    />
  );
}
