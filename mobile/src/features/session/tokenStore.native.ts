// The refresh token on iOS and Android: the platform's secure store, readable only while the device is
// unlocked and never carried to another device by a backup.
import * as SecureStore from "expo-secure-store";

import type { TokenStore } from "./tokenStore.types";

const KEY = "nija.refresh_token";
const OPTIONS: SecureStore.SecureStoreOptions = {
  keychainAccessible: SecureStore.WHEN_UNLOCKED_THIS_DEVICE_ONLY,
};

export const tokenStore: TokenStore = {
  read: () => SecureStore.getItemAsync(KEY, OPTIONS),
  write: (token) => SecureStore.setItemAsync(KEY, token, OPTIONS),
  clear: () => SecureStore.deleteItemAsync(KEY, OPTIONS),
};
