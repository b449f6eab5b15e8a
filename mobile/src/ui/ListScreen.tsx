// A list of the user's records: pull to refresh, more pages on demand (next_token), and a clear empty,
// loading and error state.
import type { ReactElement } from "react";
import { FlatList, RefreshControl, StyleSheet, Text, View } from "react-native";

import type { AppError } from "@/api/errors";
import { OfflineBanner } from "@/features/offline/OfflineBanner";

import { Button } from "./Button";
import { NavBar } from "./NavBar";
import { useTheme } from "./theme";

interface Props<T> {
  title: string;
  items: T[];
  keyOf: (item: T) => string;
  render: (item: T) => ReactElement;
  empty: string;
  loading: boolean;
  refreshing: boolean;
  onRefresh: () => void;
  error?: AppError;
  offlineSince?: string;
  more?: { has: boolean; loading: boolean; load: () => void; label: string };
}

export function ListScreen<T>({ title, items, keyOf, render, empty, loading, refreshing, onRefresh, error, offlineSince, more }: Props<T>) {
  const theme = useTheme();
  return (
    <View style={{ flex: 1, backgroundColor: theme.background }}>
      <NavBar />
      <FlatList
        contentContainerStyle={styles.content}
        data={items}
        keyExtractor={keyOf}
        renderItem={({ item }) => render(item)}
        refreshControl={<RefreshControl refreshing={refreshing} onRefresh={onRefresh} />}
        ListHeaderComponent={
          <View>
            <Text accessibilityRole="header" style={[styles.title, { color: theme.text }]}>
              {title}
            </Text>
            {error?.status === "offline" ? <OfflineBanner since={offlineSince} /> : null}
            {error && error.status !== "offline" && items.length === 0 ? (
              <Text accessibilityRole="alert" style={{ color: theme.danger, marginBottom: 12 }}>
                {error.message}
              </Text>
            ) : null}
          </View>
        }
        ListEmptyComponent={
          loading ? (
            <Text style={{ color: theme.muted }}>Loading…</Text>
          ) : error ? null : (
            <Text style={{ color: theme.muted }}>{empty}</Text>
          )
        }
        ListFooterComponent={
          more?.has && !offlineSince ? <Button label={more.label} onPress={more.load} busy={more.loading} /> : null
        }
      />
    </View>
  );
}

export function Row({ label, lines }: { label: string; lines: string[] }) {
  const theme = useTheme();
  return (
    <View accessible accessibilityLabel={label} style={[styles.row, { borderColor: theme.border }]}>
      {lines.map((line, n) => (
        <Text key={n} style={{ color: n === 0 ? theme.text : theme.muted, fontSize: n === 0 ? 16 : 13 }}>
          {line}
        </Text>
      ))}
    </View>
  );
}

const styles = StyleSheet.create({
  content: { padding: 24, maxWidth: 720, width: "100%", alignSelf: "center" },
  title: { fontSize: 26, fontWeight: "700", marginBottom: 16 },
  row: { borderBottomWidth: StyleSheet.hairlineWidth, paddingVertical: 10 },
});
