// The web build as a person uses it: open it, sign in, see the dashboard's figures.
// node e2e/sign-in.mjs <app url> <email> <password> → prints {"equity": "…", "ms": …} as JSON.
import { launch, signIn } from "./browser.mjs";

const [url, email, password] = process.argv.slice(2);
if (!url || !email || !password) {
  console.error("usage: node e2e/sign-in.mjs <app url> <email> <password>");
  process.exit(2);
}

const chromium = await launch();
try {
  const page = await chromium.browser.newPage();
  const started = Date.now();
  await page.goto(url);
  await signIn(page, email, password);
  const equity = page.getByLabel(/^Equity: /);
  await equity.waitFor({ timeout: 15_000 });
  const label = await equity.getAttribute("aria-label");
  console.log(JSON.stringify({ equity: label?.replace(/^Equity: /, ""), ms: Date.now() - started }));
} finally {
  await chromium.close();
}
