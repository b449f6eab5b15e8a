// The refresh token on the web: this page's memory only, never localStorage or sessionStorage, where any
// script on the page could read it. A reload signs the user out.
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
