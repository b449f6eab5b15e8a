// The web build keeps its refresh token as the API's HttpOnly cookie: sign in, reload, still signed in,
// and no script of the page can read the token (document.cookie, storage).
// node e2e/cookie-reload.mjs <app url> <email> <password> → prints {"before", "after", "script_sees", "cookies"}.
import { launch, signIn } from "./browser.mjs";

const [url, email, password] = process.argv.slice(2);
if (!url || !email || !password) {
  console.error("usage: node e2e/cookie-reload.mjs <app url> <email> <password>");
  process.exit(2);
}

const chromium = await launch();
try {
  const context = await chromium.browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await signIn(page, email, password);
  const equity = page.getByLabel(/^Equity: /);
  await equity.waitFor({ timeout: 15_000 });
  const before = await equity.getAttribute("aria-label");
  const scriptSees = await page.evaluate(() =>
    [document.cookie, JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })].join(" "),
  );
  await page.reload();
  const again = page.getByLabel(/^Equity: /);
  await again.waitFor({ timeout: 15_000 });
  const after = await again.getAttribute("aria-label");
  const cookies = (await context.cookies()).map((c) => ({ name: c.name, path: c.path, httpOnly: c.httpOnly, sameSite: c.sameSite }));
  console.log(JSON.stringify({ before, after, script_sees: scriptSees, cookies }));
} finally {
  await chromium.close();
}
