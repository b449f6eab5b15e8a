// The app's web benchmarks against a running local stack (bench/app_web.py runs them and prints the
// figures beside their targets). Each prints one JSON line.
//   node e2e/bench.mjs load  <app url> <email> <password> <loads>
//     Each load in a fresh browser context (nothing cached): navigation to the dashboard's figures,
//     signing in on the way (a reload on the web keeps no session yet), with the time to the sign-in
//     form and from "Sign in" to the figures apart.
//   node e2e/bench.mjs fills <app url> <api url> <email> <password> <fills>
//     Signed in on the dashboard with live updates on; market orders placed through the API one after
//     another; for each, when the page's Cash figure changed (the page's own clock, this machine's).
import { launch, signIn } from "./browser.mjs";

const [mode, ...args] = process.argv.slice(2);

async function load([url, email, password, loads]) {
  const chromium = await launch();
  const samples = [];
  try {
    for (let i = 0; i < Number(loads); i += 1) {
      const context = await chromium.browser.newContext();
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(url);
      await page.getByLabel("Email", { exact: true }).waitFor({ timeout: 15_000 });
      const form = Date.now();
      await signIn(page, email, password);
      await page.getByLabel(/^Equity: /).waitFor({ timeout: 15_000 });
      const done = Date.now();
      samples.push({ total: done - started, form: form - started, signIn: done - form });
      await context.close();
    }
  } finally {
    await chromium.close();
  }
  return { samples };
}

async function fills([url, api, email, password, count]) {
  const chromium = await launch();
  try {
    const page = await chromium.browser.newPage();
    await page.goto(url);
    await signIn(page, email, password);
    await page.getByLabel(/^Cash: /).waitFor({ timeout: 15_000 });
    await page.getByLabel("Live updates: on").waitFor({ timeout: 15_000 });
    // Every change of the Cash figure, stamped by the page as it happens.
    await page.evaluate(() => {
      const changes = [];
      window.__cashChanges = changes;
      const read = () => document.querySelector('[aria-label^="Cash: "]')?.getAttribute("aria-label");
      let last = read();
      new MutationObserver(() => {
        const now = read();
        if (now && now !== last) {
          changes.push({ label: now, at: Date.now() });
          last = now;
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"] });
    });
    const login = await fetch(`${api}/v1/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    const { access_token: token } = await login.json();
    const orders = [];
    for (let i = 0; i < Number(count); i += 1) {
      const seen = await page.evaluate(() => window.__cashChanges.length);
      const placed = await fetch(`${api}/v1/orders`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ broker: "paper", symbol: "BTC/USD", side: "buy", type: "market", quantity: "0.001" }),
      });
      if (placed.status !== 202) throw new Error(`order ${i} not accepted: ${placed.status} ${await placed.text()}`);
      const { order_id: orderId } = await placed.json();
      await page.waitForFunction((n) => window.__cashChanges.length > n, seen, { timeout: 20_000 });
      const change = await page.evaluate((n) => window.__cashChanges[n], seen);
      orders.push({ order_id: orderId, shown_at_ms: change.at });
    }
    return { orders };
  } finally {
    await chromium.close();
  }
}

const modes = { load, fills };
if (!modes[mode]) {
  console.error("usage: node e2e/bench.mjs load|fills …");
  process.exit(2);
}
console.log(JSON.stringify(await modes[mode](args)));
