import { useRouter } from "expo-router";
import { Pressable } from "react-native";

import { toAppError } from "@/api/errors";
import { useOrdersInfiniteQuery } from "@/api/nija";
import type { Order } from "@/api/types";
import { snapshotKey } from "@/features/offline/snapshots";
import { useLastGood } from "@/features/offline/useLastGood";
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
  const answer = useOrdersInfiniteQuery();
  const { error, isLoading, isFetching, isFetchingNextPage, hasNextPage, fetchNextPage, refetch } = answer;
  const { data, offlineSince } = useLastGood(answer.data, error, snapshotKey("orders"));
  const router = useRouter();
  const orders = data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <ListScreen
      title="Orders"
      items={orders}
      keyOf={(o) => o.order_id}
      empty="No orders yet."
      loading={isLoading}
      refreshing={isFetching && !isLoading && !isFetchingNextPage}
      onRefresh={refetch}
      error={toAppError(error)}
      offlineSince={offlineSince}
      more={{ has: hasNextPage, loading: isFetchingNextPage, load: () => void fetchNextPage(), label: "More orders" }}
      render={(o) => (
        <Pressable accessibilityRole="link" onPress={() => router.push(`/orders/${o.order_id}`)}>
          <Row label={`${orderSummary(o)}, ${orderStatus(o)}`} lines={[orderSummary(o), orderStatus(o)]} />
        </Pressable>
      )}
    />
  );
}
