// Signing in, restoring a session at start, and signing out.
import { renewAccess } from "@/api/base";
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
  try {
    const { access, refused } = await renewAccess();
    if (access) {
      dispatch(signedIn({ accessToken: access }));
      return;
    }
    if (refused) await tokenStore.clear();
  } catch {
    // The service cannot be reached: stay signed out until it can.
  }
  dispatch(signedOut());
}

export async function signOut(dispatch: AppDispatch): Promise<void> {
  await tokenStore.clear();
  dispatch(signedOut());
}
