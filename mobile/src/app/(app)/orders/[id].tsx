export { OrderDetailScreen as default } from "@/features/orders/OrderDetailScreen";
