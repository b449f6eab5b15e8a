// Who is signed in. The access token lives here, in memory only: it is never persisted.
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

// offline: the app started without reaching the API; the last signed-in user's kept data is shown
// read-only until the API answers again (then the session is renewed, or the user signs in).
export type SessionStatus = "restoring" | "signedOut" | "signedIn" | "offline";

export interface SessionState {
  status: SessionStatus;
  accessToken?: string;
  userId?: string;
  email?: string;
}

const initialState: SessionState = { status: "restoring" };

/** The user id a token names (its `sub`), read without verifying: the server verifies every call. */
export function subjectOf(accessToken: string): string | undefined {
  const payload = accessToken.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}

export const sessionSlice = createSlice({
  name: "session",
  initialState,
  reducers: {
    signedIn(state, action: PayloadAction<{ accessToken: string; email?: string }>) {
      state.status = "signedIn";
      state.accessToken = action.payload.accessToken;
      state.userId = subjectOf(action.payload.accessToken);
      if (action.payload.email) state.email = action.payload.email;
    },
    accessRenewed(state, action: PayloadAction<string>) {
      state.status = "signedIn"; // also the way back from offline
      state.accessToken = action.payload;
      state.userId = subjectOf(action.payload);
    },
    resumedOffline(state, action: PayloadAction<{ userId: string }>) {
      state.status = "offline";
      state.userId = action.payload.userId;
    },
    signedOut() {
      return { status: "signedOut" } satisfies SessionState;
    },
  },
});

export const { signedIn, accessRenewed, resumedOffline, signedOut } = sessionSlice.actions;
