// The API faked at fetch: each test says what each route answers; the app's code runs unchanged.
import { fakeSockets } from "./fakeSocket";
export interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Route = Answer | ((init: { body?: unknown; headers: Headers }) => Answer);

export interface FakeApi {
  calls: { method: string; path: string; body?: unknown; authorization: string | null }[];
  on(method: string, path: string, answer: Route): FakeApi;
}

/** Every test's network: fetch answered by the routes it sets, sockets that the test may play (fakeSocket). */
export function fakeApi(): FakeApi {
  fakeSockets();
  const routes = new Map<string, Route[]>();
  const api: FakeApi = {
    calls: [],
    on(method, path, answer) {
      const key = `${method} ${path}`;
      routes.set(key, [...(routes.get(key) ?? []), answer]);
      return api;
    },
  };
  global.fetch = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const text = await request.text();
    const body = text ? JSON.parse(text) : undefined;
    const path = url.pathname + url.search;
    api.calls.push({ method: request.method, path, body, authorization: request.headers.get("Authorization") });
    // A route with its query string wins over the bare path.
    const queue = routes.get(`${request.method} ${path}`) ?? routes.get(`${request.method} ${url.pathname}`);
    const route = queue && (queue.length > 1 ? queue.shift() : queue[0]);
    if (!route) throw new TypeError(`Network request failed: nothing answers ${request.method} ${path}`);
    const answer = typeof route === "function" ? route({ body, headers: request.headers }) : route;
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { "Content-Type": "application/json", ...(answer.headers ?? {}) },
    });
  }) as typeof fetch;
  return api;
}

/** A JWT-shaped token naming `sub` (the app reads the user id from it; the server verifies it). */
export function accessToken(sub: string): string {
  const part = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "");
  return `${part({ alg: "RS256" })}.${part({ sub, token_use: "access" })}.signature`;
}

export const DASHBOARD = {
  as_of: "2026-12-05T10:00:00Z",
  brokers: [],
  cash: "99000.00",
  day_start_equity: "100000",
  equity: "100250.5",
  open_positions: 1,
  positions: [],
  realized_pnl: "0",
  time_zone: "UTC",
  today_pnl: "250.5",
  unrealized_pnl: "250.5",
};
