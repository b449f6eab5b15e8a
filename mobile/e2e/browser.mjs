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

// The app's sign-in form, filled and sent as a person would.
export async function signIn(page, email, password) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}
