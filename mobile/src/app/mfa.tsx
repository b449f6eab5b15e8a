export { MfaScreen as default } from "@/features/auth/MfaScreen";
