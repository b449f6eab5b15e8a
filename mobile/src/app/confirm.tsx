export { ConfirmScreen as default } from "@/features/auth/ConfirmScreen";
