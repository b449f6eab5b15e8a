// Signing in, restoring a session at start, and signing out.
import { renewAccess } from "@/api/base";
import { apiBaseUrl, refreshInCookie } from "@/api/config";
import { keptUser } from "@/features/offline/snapshots";
import type { Tokens } from "@/api/types";
import type { AppDispatch } from "@/store";

import { unlocked } from "./lockSlice";
import { resumedOffline, signedIn, signedOut } from "./sessionSlice";
import { tokenStore } from "./tokenStore";

/** Keep what a sign-in returned: the access token in memory, the refresh token in the secure store. */
export async function completeSignIn(dispatch: AppDispatch, tokens: Tokens, email: string): Promise<void> {
  if (!tokens.access_token) throw new Error("the sign-in returned no access token");
  if (tokens.refresh_token) await tokenStore.write(tokens.refresh_token);
  dispatch(signedIn({ accessToken: tokens.access_token, email }));
  dispatch(unlocked()); // the user just proved who they are
}

/** At start: a stored refresh token signs the user back in; a refused one, or none while the API
 * answers, signs them out. When the API cannot be reached, the last signed-in user's kept data is
 * shown read-only (a reload on the web keeps no token, so it is asked whether the API is there). */
export async function restoreSession(dispatch: AppDispatch): Promise<void> {
  const kept = await keptUser();
  try {
    const { access, refused } = await renewAccess();
    if (access) {
      dispatch(signedIn({ accessToken: access }));
      return;
    }
    if (refused) await tokenStore.clear();
    else if (kept && !(await reachable())) {
      dispatch(resumedOffline({ userId: kept }));
      return;
    }
  } catch {
    if (kept) {
      dispatch(resumedOffline({ userId: kept }));
      return;
    }
  }
  dispatch(signedOut());
}

async function reachable(): Promise<boolean> {
  try {
    await fetch(`${apiBaseUrl()}/health`);
    return true;
  } catch {
    return false;
  }
}

/** End every session of the user, on every device (this one included), then sign out here. */
export async function signOutEverywhere(dispatch: AppDispatch): Promise<void> {
  const cookie = refreshInCookie();
  const refreshToken = cookie ? null : await tokenStore.read();
  if (cookie || refreshToken) {
    await fetch(`${apiBaseUrl()}/v1/auth/logout`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: cookie ? "include" : "same-origin",
      body: JSON.stringify(cookie ? { everywhere: true } : { refresh_token: refreshToken, everywhere: true }),
    }).catch(() => undefined);
  }
  await tokenStore.clear();
  dispatch(signedOut());
}

export async function signOut(dispatch: AppDispatch): Promise<void> {
  if (refreshInCookie()) {
    // The cookie is out of this script's reach: the API ends its session and clears it.
    await fetch(`${apiBaseUrl()}/v1/auth/logout`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "include",
      body: "{}",
    }).catch(() => undefined);
  }
  await tokenStore.clear();
  dispatch(signedOut());
}
