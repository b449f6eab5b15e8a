// The last good answer of every screen, kept per signed-in user (AsyncStorage) and shown read-only
// when the API cannot be reached. Only the user's own figures and lists are kept, never a token;
// signing out, or another user signing in, erases them.
import AsyncStorage from "@react-native-async-storage/async-storage";
import { createListenerMiddleware, createSlice, isAnyOf, type PayloadAction } from "@reduxjs/toolkit";

import { nijaApi } from "@/api/nija";
import { resumedOffline, signedIn, signedOut } from "@/features/session/sessionSlice";

export const PREFIX = "nija.offline.";
const KEPT = ["dashboard", "orders", "positions", "trades", "me", "order"] as const;
type Kept = (typeof KEPT)[number];

export interface Snapshot {
  data: unknown;
  at: string; // when the answer came, ISO 8601
}

interface OfflineState {
  userId?: string;
  snapshots: Record<string, Snapshot>;
}

const initialState: OfflineState = { snapshots: {} };

export const offlineSlice = createSlice({
  name: "offline",
  initialState,
  reducers: {
    snapshotsLoaded(state, action: PayloadAction<{ userId: string; snapshots: Record<string, Snapshot> }>) {
      state.userId = action.payload.userId;
      state.snapshots = { ...action.payload.snapshots, ...state.snapshots };
    },
    snapshotTaken(state, action: PayloadAction<{ key: string; snapshot: Snapshot }>) {
      state.snapshots[action.payload.key] = action.payload.snapshot;
    },
  },
});

export const { snapshotsLoaded, snapshotTaken } = offlineSlice.actions;

export function snapshotKey(endpoint: Kept, arg: unknown = undefined): string {
  return arg === undefined ? endpoint : `${endpoint}:${JSON.stringify(arg)}`;
}

const storageKey = (userId: string) => `${PREFIX}${userId}`;

/** Whose data is kept: a sign-in erases everyone else's, so there is at most one. */
export async function keptUser(): Promise<string | undefined> {
  const keys = (await AsyncStorage.getAllKeys()).filter((k) => k.startsWith(PREFIX));
  return keys.length === 1 ? keys[0]?.slice(PREFIX.length) : undefined;
}

interface State {
  session: { userId?: string };
  offline: OfflineState;
}

export const offlineListener = createListenerMiddleware();

// Every good answer of a kept endpoint becomes that screen's snapshot, stored at once (a few KB).
offlineListener.startListening({
  predicate: (action) => KEPT.some((name) => nijaApi.endpoints[name].matchFulfilled(action)),
  effect: (action, api) => {
    const { endpointName, originalArgs } = (action as unknown as { meta: { arg: { endpointName: Kept; originalArgs: unknown } } })
      .meta.arg;
    const state = api.getState() as State;
    // The whole cached answer (for a paged list, every page read so far), not just this page.
    const select = nijaApi.endpoints[endpointName].select as (arg: unknown) => (s: unknown) => { data?: unknown };
    const data = select(originalArgs)(state).data;
    const userId = state.session.userId;
    if (data === undefined || !userId) return;
    api.dispatch(snapshotTaken({ key: snapshotKey(endpointName, originalArgs), snapshot: { data, at: new Date().toISOString() } }));
    void AsyncStorage.setItem(storageKey(userId), JSON.stringify((api.getState() as State).offline.snapshots));
  },
});

// A sign-in (or a start offline) loads that user's snapshots and erases anyone else's; a sign-out
// erases the user's.
offlineListener.startListening({
  matcher: isAnyOf(signedIn, resumedOffline, signedOut),
  effect: async (action, api) => {
    const keys = (await AsyncStorage.getAllKeys()).filter((k) => k.startsWith(PREFIX));
    if (signedOut.match(action)) {
      await AsyncStorage.multiRemove(keys);
      return;
    }
    const userId = (api.getState() as State).session.userId;
    if (!userId) return;
    await AsyncStorage.multiRemove(keys.filter((k) => k !== storageKey(userId)));
    const stored = await AsyncStorage.getItem(storageKey(userId));
    if (stored) api.dispatch(snapshotsLoaded({ userId, snapshots: JSON.parse(stored) as Record<string, Snapshot> }));
  },
});
