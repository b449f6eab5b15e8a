export { PositionsScreen as default } from "@/features/positions/PositionsScreen";
