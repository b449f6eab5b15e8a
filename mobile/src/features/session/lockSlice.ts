// The biometric lock: on at start and after the app was away longer than the chosen timeout.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

export interface LockPrefs {
  enabled: boolean;
  timeoutS: number;
}

export const DEFAULT_LOCK: LockPrefs = { enabled: true, timeoutS: 60 };

interface LockState {
  prefs: LockPrefs;
  /** undefined until the device was asked whether it can unlock with a fingerprint or face. */
  available?: boolean;
  locked: boolean;
}

const initialState: LockState = { prefs: DEFAULT_LOCK, locked: true };

export const lockSlice = createSlice({
  name: "lock",
  initialState,
  reducers: {
    lockChecked(state, action: PayloadAction<{ available: boolean; prefs: LockPrefs }>) {
      state.available = action.payload.available;
      state.prefs = action.payload.prefs;
      // A sign-in a moment ago (password, code) unlocked it: only a start with a kept session locks.
      state.locked = state.locked && action.payload.available && action.payload.prefs.enabled;
    },
    locked(state) {
      state.locked = state.available === true && state.prefs.enabled;
    },
    unlocked(state) {
      state.locked = false;
    },
    prefsChanged(state, action: PayloadAction<LockPrefs>) {
      state.prefs = action.payload;
      if (!action.payload.enabled) state.locked = false;
    },
  },
});

export const { lockChecked, locked, unlocked, prefsChanged } = lockSlice.actions;
