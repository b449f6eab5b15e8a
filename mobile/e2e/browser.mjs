// Headless Chromium for the web build's end-to-end tests and benchmarks: Debian's chromium (a test tool
// cannot download its own browser here), with the flags that keep it off the network. Playwright
// gives each launch a fresh, temporary profile.
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.NIJA_CHROMIUM ?? "/usr/bin/chromium";

export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return { browser, close: () => browser.close() };
}
