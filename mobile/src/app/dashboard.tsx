import { Redirect } from "expo-router";

import { DashboardScreen } from "@/features/dashboard/DashboardScreen";
import { useAppSelector } from "@/store";

export default function Dashboard() {
  const status = useAppSelector((s) => s.session.status);
  if (status === "signedOut") return <Redirect href="/sign-in" />;
  return <DashboardScreen />;
}
