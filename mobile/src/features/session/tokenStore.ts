// The refresh token on the web: an HttpOnly cookie the API sets (refresh_cookie, src/api/config.ts), which
// no script reads, so this store holds nothing there; it never uses localStorage or sessionStorage.
import type { TokenStore } from "./tokenStore.types";

let held: string | null = null;

export const tokenStore: TokenStore = {
  read: async () => held,
  write: async (token) => {
    held = token;
  },
  clear: async () => {
    held = null;
  },
};
