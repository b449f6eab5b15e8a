// The realtime API faked at WebSocket: the test plays the server's side of each socket the app opens.
import { act } from "expo-router/testing-library";

export class FakeSocket {
  static opened: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  closedByApp?: number;

  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }

  close(code = 1000): void {
    this.closedByApp = code;
  }

  send(): void {}

  async accept(): Promise<void> {
    await act(async () => this.onopen?.());
  }

  async push(event: unknown): Promise<void> {
    await act(async () => this.onmessage?.({ data: typeof event === "string" ? event : JSON.stringify(event) }));
  }

  async drop(code = 1006): Promise<void> {
    await act(async () => this.onclose?.({ code }));
  }

  static latest(): FakeSocket {
    const socket = FakeSocket.opened.at(-1);
    if (!socket) throw new Error("the app opened no socket");
    return socket;
  }
}

export function fakeSockets(): typeof FakeSocket {
  FakeSocket.opened = [];
  (global as unknown as { WebSocket: unknown }).WebSocket = FakeSocket;
  return FakeSocket;
}
