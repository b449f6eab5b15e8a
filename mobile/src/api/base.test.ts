// One refresh-and-retry on a 401, however many calls failed at once; a failed refresh signs out.
import * as SecureStore from "expo-secure-store";

import { nijaApi } from "@/api/nija";
import { restoreSession } from "@/features/session/session";
import { signedIn } from "@/features/session/sessionSlice";
import { makeStore } from "@/store";
import { accessToken, DASHBOARD, fakeApi } from "@/testing/fakeApi";

const OLD = accessToken("u-1");
const NEW = accessToken("u-1") + "renewed";

const stores: ReturnType<typeof makeStore>[] = [];

function store() {
  const made = makeStore();
  stores.push(made);
  return made;
}

beforeEach(async () => {
  await SecureStore.setItemAsync("nija.refresh_token", "refresh-1");
});

// The store's timers (its batched notifications, its cache's expiry) never outlive a test.
beforeAll(() => jest.useFakeTimers());
afterAll(() => jest.useRealTimers());

afterEach(() => {
  for (const made of stores.splice(0)) made.dispatch(nijaApi.util.resetApiState());
  jest.clearAllTimers();
});

test("an expired access token is renewed once and the calls are retried", async () => {
  const api = fakeApi()
    .on("GET", "/v1/dashboard", ({ headers }) =>
      headers.get("Authorization") === `Bearer ${NEW}`
        ? { body: DASHBOARD }
        : { status: 401, body: { error: { code: "unauthenticated", message: "the token has expired" } } },
    )
    .on("GET", "/v1/me", ({ headers }) =>
      headers.get("Authorization") === `Bearer ${NEW}`
        ? { body: { user_id: "u-1" } }
        : { status: 401, body: { error: { code: "unauthenticated", message: "the token has expired" } } },
    )
    .on("POST", "/v1/auth/refresh", { body: { access_token: NEW, expires_in: 900 } });
  const app = store();
  app.dispatch(signedIn({ accessToken: OLD }));

  const [dashboard, me] = await Promise.all([
    app.dispatch(nijaApi.endpoints.dashboard.initiate()),
    app.dispatch(nijaApi.endpoints.me.initiate()),
  ]);

  expect(dashboard.data?.equity).toBe("100250.5");
  expect(me.data?.user_id).toBe("u-1");
  expect(api.calls.filter((c) => c.path === "/v1/auth/refresh")).toHaveLength(1);
  expect(api.calls.find((c) => c.path === "/v1/auth/refresh")?.body).toEqual({ refresh_token: "refresh-1" });
  expect(app.getState().session.accessToken).toBe(NEW);
});

test("a refused refresh signs the user out and forgets the stored token", async () => {
  fakeApi()
    .on("GET", "/v1/dashboard", { status: 401, body: { error: { code: "unauthenticated", message: "expired" } } })
    .on("POST", "/v1/auth/refresh", { status: 401, body: { error: { code: "unauthenticated", message: "revoked" } } });
  const app = store();
  app.dispatch(signedIn({ accessToken: OLD }));

  const result = await app.dispatch(nijaApi.endpoints.dashboard.initiate());

  expect(result.data).toBeUndefined();
  expect(app.getState().session).toEqual({ status: "signedOut" });
  expect(await SecureStore.getItemAsync("nija.refresh_token")).toBeNull();
});

test("at start a stored refresh token signs the user back in; without one the app is signed out", async () => {
  fakeApi().on("POST", "/v1/auth/refresh", { body: { access_token: NEW, expires_in: 900 } });
  const app = store();
  await restoreSession(app.dispatch);
  expect(app.getState().session).toMatchObject({ status: "signedIn", accessToken: NEW, userId: "u-1" });

  await SecureStore.deleteItemAsync("nija.refresh_token");
  const fresh = store();
  await restoreSession(fresh.dispatch);
  expect(fresh.getState().session).toEqual({ status: "signedOut" });
});
