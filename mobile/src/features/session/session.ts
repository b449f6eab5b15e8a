// Signing in, restoring a session at start, and signing out.
import { apiBaseUrl } from "@/api/config";
import type { Tokens } from "@/api/types";
import type { AppDispatch } from "@/store";

import { unlocked } from "./lockSlice";
import { signedIn, signedOut } from "./sessionSlice";
import { tokenStore } from "./tokenStore";

/** Keep what a sign-in returned: the access token in memory, the refresh token in the secure store. */
export async function completeSignIn(dispatch: AppDispatch, tokens: Tokens, email: string): Promise<void> {
  if (!tokens.access_token) throw new Error("the sign-in returned no access token");
  if (tokens.refresh_token) await tokenStore.write(tokens.refresh_token);
  dispatch(signedIn({ accessToken: tokens.access_token, email }));
  dispatch(unlocked()); // the user just proved who they are
}

/** At start: a stored refresh token signs the user back in; none, or a refused one, signs them out. */
export async function restoreSession(dispatch: AppDispatch): Promise<void> {
  const refreshToken = await tokenStore.read();
  if (!refreshToken) {
    dispatch(signedOut());
    return;
  }
  try {
    const response = await fetch(`${apiBaseUrl()}/v1/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    const body = (await response.json()) as Tokens;
    if (response.ok && body.access_token) {
      dispatch(signedIn({ accessToken: body.access_token }));
      return;
    }
    if (response.status === 401) await tokenStore.clear();
  } catch {
    // The service cannot be reached: stay signed out until it can (the offline view comes later).
  }
  dispatch(signedOut());
}

export async function signOut(dispatch: AppDispatch): Promise<void> {
  await tokenStore.clear();
  dispatch(signedOut());
}
