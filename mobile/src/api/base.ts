// Every API call goes through here: the base URL, the bearer token, the error's Retry-After, and one
// refresh-and-retry on a 401. A failed refresh signs the user out.
import type { BaseQueryFn, FetchArgs, FetchBaseQueryError } from "@reduxjs/toolkit/query";
import { fetchBaseQuery } from "@reduxjs/toolkit/query/react";

import { tokenStore } from "@/features/session/tokenStore";
import { accessRenewed, signedOut, type SessionState } from "@/features/session/sessionSlice";

import { apiBaseUrl, refreshInCookie } from "./config";

export type ApiError = FetchBaseQueryError & { retryAfterS?: number };

const raw = fetchBaseQuery({
  baseUrl: "",
  // The web build on another origin (the Expo dev server) receives and sends the refresh cookie.
  credentials: refreshInCookie() ? "include" : "same-origin",
  prepareHeaders: (headers, { getState }) => {
    const token = (getState() as { session: SessionState }).session.accessToken;
    if (token && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
    return headers;
  },
});

function absolute(args: string | FetchArgs): FetchArgs {
  const request = typeof args === "string" ? { url: args } : args;
  return { ...request, url: `${apiBaseUrl()}${request.url}` };
}

export interface Renewal {
  access?: string;
  /** The service refused the refresh token (401): it is no good any more. */
  refused: boolean;
}

let refreshing: Promise<Renewal> | undefined;

/** A new access token from the stored refresh token (on the web, the refresh cookie), one request
 * however many callers ask at once: the calls a 401 failed, and the session restored at start. A
 * network failure is neither. */
export function renewAccess(): Promise<Renewal> {
  refreshing ??= (async (): Promise<Renewal> => {
    const cookie = refreshInCookie();
    const refreshToken = cookie ? null : await tokenStore.read();
    if (!cookie && !refreshToken) return { refused: false };
    const response = await fetch(`${apiBaseUrl()}/v1/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: cookie ? "include" : "same-origin",
      body: JSON.stringify(cookie ? {} : { refresh_token: refreshToken }),
    });
    const access = response.ok ? (((await response.json()) as { access_token?: string }).access_token ?? undefined) : undefined;
    // On the web, no cookie (422: never signed in here) is no session; a refused one is 401.
    return { access, refused: response.status === 401 };
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

// The keyless routes: their 401 is a wrong password or code, not an expired access token.
const NO_RETRY = [
  "/v1/auth/login",
  "/v1/auth/refresh",
  "/v1/auth/signup",
  "/v1/auth/confirm",
  "/v1/auth/mfa/verify",
  "/v1/auth/password/forgot",
  "/v1/auth/password/reset",
];

export const baseQuery: BaseQueryFn<string | FetchArgs, unknown, ApiError> = async (args, api, extra) => {
  const request = absolute(args);
  let result = await raw(request, api, extra ?? {});
  const path = typeof args === "string" ? args : args.url;
  if (result.error?.status === 401 && !NO_RETRY.includes(path)) {
    const { access } = await renewAccess().catch((): Renewal => ({ refused: false }));
    if (access) {
      api.dispatch(accessRenewed(access));
      result = await raw(request, api, extra ?? {});
    } else {
      await tokenStore.clear();
      api.dispatch(signedOut());
    }
  }
  if (result.error) {
    const retryAfter = Number(result.meta?.response?.headers.get("Retry-After"));
    const error: ApiError = Number.isFinite(retryAfter) && retryAfter > 0 ? { ...result.error, retryAfterS: retryAfter } : result.error;
    return { error, meta: result.meta };
  }
  return { data: result.data, meta: result.meta };
};
