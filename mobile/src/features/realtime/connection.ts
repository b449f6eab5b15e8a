// One WebSocket to the realtime API while signed in and in the foreground: the token in the query
// string (a browser cannot set headers on a WebSocket), reconnection with exponential backoff and
// jitter, and after a reconnection the lists read again for what was missed while away.
import { nijaApi } from "@/api/nija";
import type { AppDispatch } from "@/store";

import { applyEvent } from "./apply";
import { parseEvent } from "./events";
import { connectionChanged, messageDropped } from "./realtimeSlice";

export interface ConnectionOptions {
  url: () => string | undefined;
  dispatch: AppDispatch;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

export function backoffMs(attempt: number, base: number, max: number, random: () => number): number {
  return Math.min(max, base * 2 ** attempt) * (0.5 + random() / 2); // "equal jitter"
}

export class RealtimeConnection {
  private socket?: WebSocket;
  private attempt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private running = false;

  constructor(private readonly options: ConnectionOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000);
    this.options.dispatch(connectionChanged("idle"));
  }

  private open(): void {
    const url = this.options.url();
    if (!this.running || !url) return;
    const { dispatch } = this.options;
    dispatch(connectionChanged(this.attempt === 0 ? "connecting" : "reconnecting"));
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.retry(); // no socket at all (a URL the platform refuses): try again later, never crash
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      const resumed = this.attempt > 0;
      this.attempt = 0;
      dispatch(connectionChanged("live"));
      if (resumed) dispatch(nijaApi.util.invalidateTags(["Orders", "Positions", "Trades", "Dashboard"]));
    };
    socket.onmessage = (message: MessageEvent) => {
      if (this.socket !== socket) return;
      const event = parseEvent(message.data);
      if (event) applyEvent(dispatch, event);
      else dispatch(messageDropped());
    };
    socket.onclose = () => {
      if (this.socket !== socket || !this.running) return;
      this.socket = undefined;
      this.retry();
    };
  }

  private retry(): void {
    const { baseDelayMs = 500, maxDelayMs = 30_000, random = Math.random, dispatch } = this.options;
    const delay = backoffMs(this.attempt, baseDelayMs, maxDelayMs, random);
    this.attempt += 1;
    dispatch(connectionChanged("reconnecting"));
    // A socket refused for an expired token: an API call renews it (one refresh) before the next try.
    if (this.attempt > 1) void dispatch(nijaApi.endpoints.me.initiate(undefined, { forceRefetch: true }));
    this.timer = setTimeout(() => this.open(), delay);
  }
}
