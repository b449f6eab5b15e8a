import { useLocalSearchParams } from "expo-router";
import { ScrollView, StyleSheet, Text, View } from "react-native";

import { toAppError } from "@/api/errors";
import { useOrderQuery } from "@/api/nija";
import { NavBar } from "@/ui/NavBar";
import { useTheme } from "@/ui/theme";

import { orderStatus, orderSummary } from "./OrdersScreen";

export function OrderDetailScreen() {
  const { id = "" } = useLocalSearchParams<{ id?: string }>();
  const { data: order, error, isLoading } = useOrderQuery(id);
  const theme = useTheme();
  const problem = toAppError(error);
  const facts: [string, string | null | undefined][] = order
    ? [
        ["Status", orderStatus(order)],
        ["Reason", order.reason_message],
        ["Filled", `${order.filled_quantity} of ${order.quantity}`],
        ["Average fill price", order.average_fill_price],
        ["Limit price", order.limit_price],
        ["Fees", order.fees],
        ["Type", order.type],
        ["Placed", new Date(order.created_at).toLocaleString()],
        ["Updated", new Date(order.updated_at).toLocaleString()],
        ["Client order id", order.client_order_id],
      ]
    : [];
  return (
    <View style={{ flex: 1, backgroundColor: theme.background }}>
      <NavBar />
      <ScrollView contentContainerStyle={styles.content}>
        <Text accessibilityRole="header" style={[styles.title, { color: theme.text }]}>
          {order ? orderSummary(order) : "Order"}
        </Text>
        {isLoading ? <Text style={{ color: theme.muted }}>Loading…</Text> : null}
        {problem ? (
          <Text accessibilityRole="alert" style={{ color: theme.danger }}>
            {problem.status === 404 ? "There is no such order." : problem.message}
          </Text>
        ) : null}
        {facts
          .filter(([, value]) => value)
          .map(([label, value]) => (
            <View key={label} accessible accessibilityLabel={`${label}: ${value}`} style={styles.fact}>
              <Text style={{ color: theme.muted }}>{label}</Text>
              <Text style={{ color: theme.text, fontSize: 16 }}>{value}</Text>
            </View>
          ))}
      </ScrollView>
    </View>
  );
}

const styles = StyleSheet.create({
  content: { padding: 24, maxWidth: 720, width: "100%", alignSelf: "center" },
  title: { fontSize: 22, fontWeight: "700", marginBottom: 16 },
  fact: { paddingVertical: 6 },
});
