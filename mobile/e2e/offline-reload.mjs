// A person's whole first visit, then the network to the API gone: sign up in the app, sign in, see the
// dashboard; then every request to the API fails (the app's own files still load, as from a CDN or an
// installed app) and the page is reloaded: the dashboard kept for this user shows, read-only, under the
// offline banner.
// node e2e/offline-reload.mjs <app url> <email> <password> → {"online": …, "offline": …, "banner": …}
import { launch } from "./browser.mjs";

const [url, email, password] = process.argv.slice(2);
if (!url || !email || !password) {
  console.error("usage: node e2e/offline-reload.mjs <app url> <email> <password>");
  process.exit(2);
}
const appPath = new URL(url).pathname;
// The web's stack navigator keeps the screen beneath in the page, hidden: act on what a person sees.
const shown = (locator) => locator.filter({ visible: true });

const chromium = await launch();
try {
  const page = await chromium.browser.newPage();
  await page.goto(url);
  await page.getByRole("link", { name: /Create an account/ }).click();
  await shown(page.getByLabel("Email", { exact: true })).fill(email);
  await shown(page.getByLabel("Password", { exact: true })).fill(password);
  await shown(page.getByRole("button", { name: "Create account" })).click();
  // The local stack confirms a sign-up at once: the app goes on to sign-in, the address filled in.
  await shown(page.getByRole("button", { name: "Sign in" })).waitFor({ timeout: 15_000 });
  const filled = await shown(page.getByLabel("Email", { exact: true })).inputValue();
  if (filled !== email) throw new Error(`sign-in did not take the address from sign-up: ${filled}`);
  await shown(page.getByLabel("Password", { exact: true })).fill(password);
  await shown(page.getByRole("button", { name: "Sign in" })).click();
  const equity = page.getByLabel(/^Equity: /);
  await equity.waitFor({ timeout: 15_000 });
  const online = await equity.getAttribute("aria-label");
  // The snapshot is written as the answer arrives; give the storage write its turn.
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith("nija.offline.")));

  await page.route("**/*", (route) => {
    const path = new URL(route.request().url()).pathname;
    return path.startsWith(appPath) ? route.continue() : route.abort("connectionrefused");
  });
  await page.reload();
  const banner = page.getByLabel(/^Offline: showing your data as of /);
  await banner.waitFor({ timeout: 15_000 });
  const offline = await page.getByLabel(/^Equity: /).getAttribute("aria-label");
  const stored = await page.evaluate(() => Object.keys(localStorage));
  console.log(
    JSON.stringify({ online, offline, banner: await banner.getAttribute("aria-label"), storage: stored }),
  );
} finally {
  await chromium.close();
}
