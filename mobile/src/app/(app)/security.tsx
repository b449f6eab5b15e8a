export { SecurityScreen as default } from "@/features/session/SecurityScreen";
