import { toAppError } from "@/api/errors";
import { usePositionsQuery, useTradesInfiniteQuery } from "@/api/nija";
import type { Position, Trade } from "@/api/types";
import { snapshotKey } from "@/features/offline/snapshots";
import { useLastGood } from "@/features/offline/useLastGood";
import { usePagedList } from "@/features/offline/usePagedList";
import { money } from "@/ui/format";
import { ListScreen, Row } from "@/ui/ListScreen";

function positionLines(p: Position): string[] {
  return [
    `${p.quantity} ${p.symbol} on ${p.broker}`,
    `Average price ${money(p.average_price)}, unrealized PnL ${money(p.unrealized_pnl, { signed: true })}`,
  ];
}

export function PositionsScreen() {
  const answer = usePositionsQuery();
  const { error, isLoading, isFetching, refetch } = answer;
  const { data, offlineSince } = useLastGood(answer.data, error, snapshotKey("positions"));
  const positions = (data?.items ?? []).filter((p) => Number(p.quantity) !== 0);
  return (
    <ListScreen
      title="Positions"
      items={positions}
      keyOf={(p) => `${p.broker}:${p.symbol}`}
      empty="No open positions."
      loading={isLoading}
      refreshing={isFetching && !isLoading}
      onRefresh={refetch}
      error={toAppError(error)}
      offlineSince={offlineSince}
      render={(p) => <Row label={positionLines(p).join(", ")} lines={positionLines(p)} />}
    />
  );
}

function tradeLines(t: Trade): string[] {
  return [
    `${t.side === "buy" ? "Bought" : "Sold"} ${t.quantity} ${t.symbol} at ${money(t.price)}`,
    `${new Date(t.timestamp).toLocaleString()}, fee ${t.fee}, realized PnL ${money(t.realized_pnl, { signed: true })}`,
  ];
}

export function TradesScreen() {
  const list = usePagedList(useTradesInfiniteQuery(), snapshotKey("trades"), "More trades");
  return (
    <ListScreen
      title="Trades"
      {...list}
      keyOf={(t) => t.trade_id}
      empty="No trades yet."
      render={(t) => <Row label={tradeLines(t).join(", ")} lines={tradeLines(t)} />}
    />
  );
}
