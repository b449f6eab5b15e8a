export { TradesScreen as default } from "@/features/positions/PositionsScreen";
