// The refresh token never reaches this script: it is an HttpOnly cookie (`refresh_cookie`), which the
// browser sends to the refresh and logout routes only, from this origin only.
let token = null, session = null, usersNext = null;
// The page is served at <stage>/admin/console (API Gateway's stage path on AWS, nothing locally):
// every call goes to the same stage.
const BASE = location.pathname.replace(/\/admin\/console\/?$/, "");
const url = (path) => BASE + path;
const $ = (id) => document.getElementById(id);
const text = (v) => document.createTextNode(v == null ? "" : String(v));
function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) { const td = document.createElement("td"); td.append(c instanceof Node ? c : text(c)); tr.append(td); }
  return tr;
}
async function post(path, body) {
  const r = await fetch(url(path), { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const b = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((b.error && b.error.message) || r.status);
  return b;
}
async function api(method, path, body, retried) {
  const headers = { Authorization: "Bearer " + token };
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(url(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401 && token && !retried) {  // the access token expired: refresh it once (the cookie)
    signedIn(await post("/v1/auth/refresh", {}));
    return api(method, path, body, true);
  }
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((answer.error && answer.error.message) || r.status);
  return answer;
}
function shown(promise) { $("error").textContent = ""; promise.catch((e) => { $("error").textContent = e.message; }); }
function signedIn(tokens) {
  if (!tokens.access_token) throw new Error("sign-in failed");
  token = tokens.access_token;
  $("login").hidden = true; $("mfa").hidden = true; $("console").hidden = false;
}

$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  post("/v1/auth/login", { email: $("email").value, password: $("password").value, refresh_cookie: true })
    .then((b) => {
      if (b.challenge === "SOFTWARE_TOKEN_MFA") {  // MFA on: the code from the authenticator app
        session = b.session; $("login").hidden = true; $("mfa").hidden = false; $("code").focus();
        return;
      }
      signedIn(b); loadUsers(false);
    })
    .catch((err) => { $("login-error").textContent = err.message; });
});
$("mfa").addEventListener("submit", (e) => {
  e.preventDefault();
  post("/v1/auth/mfa/verify", { email: $("email").value, session, code: $("code").value, refresh_cookie: true })
    .then((b) => { signedIn(b); loadUsers(false); })
    .catch((err) => { $("mfa-error").textContent = err.message; });
});

async function loadUsers(more) {
  const q = new URLSearchParams({ limit: "50" });
  if ($("status").value) q.set("status", $("status").value);
  if ($("tier").value) q.set("tier", $("tier").value);
  if (more && usersNext) q.set("next_token", usersNext);
  const page = await api("GET", "/admin/users?" + q);
  if (!more) $("users").replaceChildren();
  for (const u of page.items) {
    const b = document.createElement("button");
    const disable = u.status === "active";
    b.textContent = disable ? "disable" : "enable";
    b.onclick = () => shown(api("POST", `/admin/users/${encodeURIComponent(u.user_id)}/${disable ? "disable" : "enable"}`).then(() => loadUsers(false)));
    const p = document.createElement("button");
    p.textContent = "permissions";
    p.onclick = () => { $("perm-user").value = u.user_id; shown(loadPermissions()); };
    $("users").append(row([u.email, u.user_id, u.tier, u.status, u.trading_disabled_reason || "on", b, p]));
  }
  usersNext = page.next_token || null; $("more-users").hidden = !usersNext;
}
$("sign-out").onclick = () => shown(post("/v1/auth/logout", {}).then(() => {  // ends the session, clears the cookie
  token = null; $("console").hidden = true; $("login").hidden = false;
}));
$("load-users").onclick = () => shown(loadUsers(false));
$("more-users").onclick = () => shown(loadUsers(true));
$("load-health").onclick = () => shown(api("GET", "/admin/health").then((h) => { $("health").textContent = JSON.stringify(h, null, 2); }));
$("load-audit").onclick = () => shown((async () => {
  const q = new URLSearchParams();
  if ($("audit-user").value) q.set("user_id", $("audit-user").value);
  if ($("audit-actor").value) q.set("actor", $("audit-actor").value);
  if ($("audit-since").value) q.set("since", new Date($("audit-since").value).toISOString());
  if ($("audit-until").value) q.set("until", new Date($("audit-until").value).toISOString());
  const page = await api("GET", "/admin/audit?" + q);
  $("audit").replaceChildren(...(page.items || []).map((e) => row([e.at, e.action, e.outcome, e.actor, JSON.stringify(e.details)])));
})());
$("verify-audit").onclick = () => shown((async () => {
  const q = new URLSearchParams();
  if ($("audit-user").value) q.set("user_id", $("audit-user").value);
  $("verify").textContent = JSON.stringify(await api("GET", "/admin/audit/verify?" + q), null, 2);
})());
// A user's permissions as JSON: the five fields PUT takes (it replaces them all), then who set them when.
const PERMISSION_FIELDS = ["trading_enabled", "allowed_brokers", "allowed_symbols", "max_order_value", "max_position_value"];
const permissionsPath = () => `/admin/users/${encodeURIComponent($("perm-user").value.trim())}/permissions`;
function showPermissions(p) {
  $("perms").value = JSON.stringify(Object.fromEntries(PERMISSION_FIELDS.map((k) => [k, p[k]])), null, 2);
  $("perms-set").textContent = p.updated_by ? `set by ${p.updated_by} at ${p.updated_at}` : "never set: nothing restricted";
}
const loadPermissions = () => api("GET", permissionsPath()).then(showPermissions);
$("load-perms").onclick = () => shown(loadPermissions());
$("save-perms").onclick = () => shown((async () => {
  let body;
  try { body = JSON.parse($("perms").value); } catch { throw new Error("the permissions are not valid JSON"); }
  showPermissions(await api("PUT", permissionsPath(), body));
})());
