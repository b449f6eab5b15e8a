import { useRouter } from "expo-router";
import { RefreshControl, ScrollView, StyleSheet, Text, View } from "react-native";

import { toAppError } from "@/api/errors";
import { useDashboardQuery } from "@/api/nija";
import { OfflineBanner } from "@/features/offline/OfflineBanner";

import { DailyPnlChart, EquityChart } from "./Charts";
import { snapshotKey } from "@/features/offline/snapshots";
import { useLastGood } from "@/features/offline/useLastGood";
import { signOut } from "@/features/session/session";
import { useAppDispatch, useAppSelector } from "@/store";
import { Button } from "@/ui/Button";
import { money } from "@/ui/format";
import { NavBar } from "@/ui/NavBar";
import { useTheme } from "@/ui/theme";

function Figure({ label, value, signed = false }: { label: string; value: string | null | undefined; signed?: boolean }) {
  const theme = useTheme();
  const shown = money(value, { signed });
  const n = Number(value);
  const color = signed && Number.isFinite(n) && n !== 0 ? (n > 0 ? theme.success : theme.danger) : theme.text;
  return (
    <View style={styles.figure} accessible accessibilityLabel={`${label}: ${shown}`}>
      <Text style={[styles.figureLabel, { color: theme.muted }]}>{label}</Text>
      <Text style={[styles.figureValue, { color }]}>{shown}</Text>
    </View>
  );
}

export function DashboardScreen() {
  const answer = useDashboardQuery();
  const { error, isLoading, isFetching, refetch } = answer;
  const { data, offlineSince } = useLastGood(answer.data, error, snapshotKey("dashboard"));
  const email = useAppSelector((s) => s.session.email);
  const dispatch = useAppDispatch();
  const router = useRouter();
  const theme = useTheme();
  const problem = toAppError(error);

  async function leave() {
    await signOut(dispatch);
    router.replace("/sign-in");
  }

  return (
    <View style={{ flex: 1, backgroundColor: theme.background }}>
    <NavBar />
      <ScrollView
        contentContainerStyle={styles.content}
        refreshControl={<RefreshControl refreshing={isFetching && !isLoading} onRefresh={refetch} />}
      >
        <Text accessibilityRole="header" style={[styles.title, { color: theme.text }]}>
          Your account
        </Text>
        {email ? <Text style={{ color: theme.muted, marginBottom: 16 }}>{email}</Text> : null}
        {problem?.status === "offline" ? <OfflineBanner since={offlineSince} /> : null}
        {problem && problem.status !== "offline" && !data ? (
          <Text accessibilityRole="alert" style={{ color: theme.danger, marginBottom: 12 }}>
            {problem.message}
          </Text>
        ) : null}
        {isLoading ? <Text style={{ color: theme.muted }}>Loading your figures…</Text> : null}
        {data ? (
          <View style={styles.grid}>
            <Figure label="Equity" value={data.equity} />
            <Figure label="Cash" value={data.cash} />
            <Figure label="Unrealized PnL" value={data.unrealized_pnl} signed />
            <Figure label="Realized PnL" value={data.realized_pnl} signed />
            <Figure label="Today's PnL" value={data.today_pnl} signed />
            <View style={styles.figure} accessible accessibilityLabel={`Open positions: ${data.open_positions}`}>
              <Text style={[styles.figureLabel, { color: theme.muted }]}>Open positions</Text>
              <Text style={[styles.figureValue, { color: theme.text }]}>{data.open_positions}</Text>
            </View>
          </View>
        ) : null}
        {data && !offlineSince ? (
          <>
            <EquityChart />
            <DailyPnlChart />
          </>
        ) : null}
        <Button label="Sign out" onPress={leave} />
      </ScrollView>
    </View>
  );
}

const styles = StyleSheet.create({
  content: { padding: 24, maxWidth: 720, width: "100%", alignSelf: "center" },
  title: { fontSize: 26, fontWeight: "700", marginBottom: 4 },
  grid: { flexDirection: "row", flexWrap: "wrap", marginBottom: 16 },
  figure: { width: "50%", paddingVertical: 10 },
  figureLabel: { fontSize: 13 },
  figureValue: { fontSize: 22, fontWeight: "600" },
});
