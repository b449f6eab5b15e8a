// The equity curve over a chosen range and the realized PnL per day, drawn with gifted-charts on
// react-native-svg (iOS, Android and the web alike). A chart is a picture: its accessible name says
// what it shows in words.
import { useState } from "react";
import { Pressable, StyleSheet, Text, View } from "react-native";
import { BarChart, LineChart } from "react-native-gifted-charts";

import { toAppError } from "@/api/errors";
import { type EquityRange, useDailyPnlQuery, useEquityQuery } from "@/api/nija";
import { money } from "@/ui/format";
import { useTheme } from "@/ui/theme";

const RANGES: { range: EquityRange; label: string; words: string }[] = [
  { range: "1d", label: "1D", words: "day" },
  { range: "1w", label: "1W", words: "week" },
  { range: "1m", label: "1M", words: "month" },
  { range: "3m", label: "3M", words: "3 months" },
];

export function EquityChart() {
  const [range, setRange] = useState<EquityRange>("1w");
  const { data, error, isLoading } = useEquityQuery(range);
  const theme = useTheme();
  const points = data?.points ?? [];
  const words = RANGES.find((r) => r.range === range)?.words ?? range;
  const summary = points.length
    ? `Equity over the last ${words}: from ${money(points[0]?.equity)} to ${money(points.at(-1)?.equity)}`
    : `Equity over the last ${words}: no valuations yet`;
  return (
    <View style={styles.block}>
      <Text style={[styles.heading, { color: theme.text }]}>Equity</Text>
      <View accessibilityRole="radiogroup" style={styles.ranges}>
        {RANGES.map((r) => (
          <Pressable
            key={r.range}
            accessibilityRole="radio"
            accessibilityLabel={`Last ${r.words}`}
            accessibilityState={{ checked: r.range === range }}
            onPress={() => setRange(r.range)}
            style={[styles.range, { borderColor: r.range === range ? theme.accent : theme.border }]}
          >
            <Text style={{ color: r.range === range ? theme.accent : theme.muted }}>{r.label}</Text>
          </Pressable>
        ))}
      </View>
      {error ? (
        <Text accessibilityRole="alert" style={{ color: theme.danger }}>
          {toAppError(error)?.message}
        </Text>
      ) : isLoading ? (
        <Text style={{ color: theme.muted }}>Loading…</Text>
      ) : (
        <View accessible accessibilityRole="image" accessibilityLabel={summary}>
          {points.length > 1 ? (
            <LineChart
              data={points.map((p) => ({ value: Number(p.equity) }))}
              height={160}
              hideDataPoints
              color={theme.accent}
              yAxisTextStyle={{ color: theme.muted }}
              xAxisColor={theme.border}
              yAxisColor={theme.border}
              adjustToWidth
              isAnimated={false}
            />
          ) : (
            <Text style={{ color: theme.muted }}>{summary}.</Text>
          )}
        </View>
      )}
    </View>
  );
}

export function DailyPnlChart({ days = 30 }: { days?: number }) {
  const { data, error, isLoading } = useDailyPnlQuery(days);
  const theme = useTheme();
  const winRate = data?.win_rate ? `${Math.round(Number(data.win_rate) * 100)}%` : "none yet";
  const summary = data
    ? `Realized PnL over ${days} days: ${money(data.realized_pnl, { signed: true })}, win rate ${winRate}, ${data.trades} trades`
    : "";
  return (
    <View style={styles.block}>
      <Text style={[styles.heading, { color: theme.text }]}>Daily PnL</Text>
      {error ? (
        <Text accessibilityRole="alert" style={{ color: theme.danger }}>
          {toAppError(error)?.message}
        </Text>
      ) : isLoading || !data ? (
        <Text style={{ color: theme.muted }}>Loading…</Text>
      ) : (
        <View accessible accessibilityRole="image" accessibilityLabel={summary}>
          <BarChart
            data={data.days.map((d) => ({
              value: Math.abs(Number(d.realized_pnl)),
              frontColor: Number(d.realized_pnl) >= 0 ? theme.success : theme.danger,
            }))}
            height={120}
            barWidth={6}
            spacing={3}
            yAxisTextStyle={{ color: theme.muted }}
            xAxisColor={theme.border}
            yAxisColor={theme.border}
            isAnimated={false}
          />
          <Text style={{ color: theme.muted, marginTop: 6 }}>
            Win rate {winRate} · {data.trades} trades
          </Text>
        </View>
      )}
    </View>
  );
}

const styles = StyleSheet.create({
  block: { marginBottom: 20 },
  heading: { fontSize: 18, fontWeight: "600", marginBottom: 8 },
  ranges: { flexDirection: "row", marginBottom: 8 },
  range: { borderWidth: 1, borderRadius: 6, paddingHorizontal: 10, paddingVertical: 4, marginRight: 8 },
});
