// A fill shows on the dashboard without a reload: sign in, place an order through the API, and wait
// for the dashboard's open positions to change (the socket's events refresh it).
// node e2e/live-fill.mjs <app url> <api url> <email> <password> → {"before": …, "after": …, "ms": …}
import { launch, signIn } from "./browser.mjs";

const [url, api, email, password] = process.argv.slice(2);
if (!url || !api || !email || !password) {
  console.error("usage: node e2e/live-fill.mjs <app url> <api url> <email> <password>");
  process.exit(2);
}

const chromium = await launch();
try {
  const page = await chromium.browser.newPage();
  await page.goto(url);
  await signIn(page, email, password);
  const positions = page.getByLabel(/^Open positions: /);
  await positions.waitFor({ timeout: 15_000 });
  await page.getByLabel("Live updates: on").waitFor({ timeout: 15_000 });
  const before = await positions.getAttribute("aria-label");

  const login = await fetch(`${api}/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const { access_token: token } = await login.json();
  const placed = Date.now();
  const order = await fetch(`${api}/v1/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ broker: "paper", symbol: "BTC/USD", side: "buy", type: "market", quantity: "0.001" }),
  });
  if (order.status !== 202) throw new Error(`the order was not accepted: ${order.status} ${await order.text()}`);
  await page.getByLabel("Open positions: 1", { exact: true }).waitFor({ timeout: 20_000 });
  console.log(JSON.stringify({ before, after: await positions.getAttribute("aria-label"), ms: Date.now() - placed }));
} finally {
  await chromium.close();
}
