"""The admin console page's script (console.js, a file served beside the page), run by Node against a
stub DOM and a recording fetch: served under API Gateway's stage path it calls that stage's routes (not
the domain's root, which has none), and an admin with MFA on signs in through the code challenge, then
sees the user list."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources

import pytest

NODE = shutil.which("node")

HARNESS = r"""
const src = process.argv[1];
const els = {};
function el(id) {
  return (els[id] ||= {
    id, hidden: true, value: "", textContent: "", handlers: {}, children: [],
    addEventListener(type, f) { this.handlers[type] = f; },
    set onclick(f) { this.handlers.click = f; }, get onclick() { return this.handlers.click; },
    focus() {}, append(...c) { this.children.push(...c); }, replaceChildren(...c) { this.children = c; },
  });
}
let made = 0;
global.document = { getElementById: el, createElement: () => el("made-" + made++), createTextNode: (t) => ({ t }) };
global.Node = class {};
global.location = { pathname: process.argv[2] };
const replies = JSON.parse(process.argv[3]);
const calls = [];
global.fetch = async (url, opts) => {
  calls.push({ method: opts.method, url, body: opts.body ? JSON.parse(opts.body) : null,
               auth: (opts.headers || {}).Authorization || null });
  const [status, body] = replies.shift();
  return { ok: status < 400, status, json: async () => body };
};
eval(src);
(async () => {
  el("email").value = "admin@example.com"; el("password").value = "pw";
  el("login").handlers.submit({ preventDefault() {} });
  await new Promise((r) => setTimeout(r, 20));
  el("code").value = "123456";
  el("mfa").handlers.submit({ preventDefault() {} });
  await new Promise((r) => setTimeout(r, 20));
  el("load-health").handlers.click();
  await new Promise((r) => setTimeout(r, 20));
  console.log(JSON.stringify({ calls, users: el("users").children.length, health: el("health").textContent,
                               console: !el("console").hidden, error: el("error").textContent }));
})();
"""


def _asset(name: str) -> str:
    return resources.files("nija.api").joinpath(name).read_text(encoding="utf-8")


def test_the_page_loads_its_script_from_a_file_and_has_none_inline() -> None:
    """Its Content-Security-Policy allows scripts from its own origin only (nija.api.routers.admin_users)."""
    page = _asset("console.html")
    assert re.findall(r"<script\b[^>]*>[^<]*</script>", page) == ['<script src="console.js"></script>']
    assert not re.search(r"<[^>]+\s(on[a-z]+|style)=", page)  # no inline handler or style attribute
    assert "javascript:" not in page


def _run(path: str, replies: list[tuple[int, object]]) -> dict[str, object]:
    assert NODE is not None
    out = subprocess.run(
        [NODE, "-e", HARNESS, _asset("console.js"), path, json.dumps(replies)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.mark.skipif(NODE is None, reason="needs node (the CDK's runtime)")
def test_under_a_stage_path_an_admin_with_mfa_signs_in_and_calls_that_stage() -> None:
    user = {"email": "u@example.com", "user_id": "u1", "tier": "basic", "status": "active"}
    result = _run(
        "/dev/admin/console",
        [
            (200, {"challenge": "SOFTWARE_TOKEN_MFA", "session": "s" * 30}),
            (200, {"access_token": "access-1"}),  # the refresh token came as an HttpOnly cookie
            (200, {"items": [user]}),
            (401, {"error": {"code": "unauthenticated", "message": "expired"}}),  # the token expired
            (200, {"access_token": "access-2"}),
            (200, {"status": "ok"}),
        ],
    )
    calls = [(c["method"], c["url"]) for c in result["calls"]]  # type: ignore[union-attr]
    assert calls == [
        ("POST", "/dev/v1/auth/login"),
        ("POST", "/dev/v1/auth/mfa/verify"),
        ("GET", "/dev/admin/users?limit=50"),
        ("GET", "/dev/admin/health"),
        ("POST", "/dev/v1/auth/refresh"),
        ("GET", "/dev/admin/health"),
    ]
    verify = result["calls"][1]  # type: ignore[index]
    assert verify["body"] == {
        "email": "admin@example.com",
        "session": "s" * 30,
        "code": "123456",
        "refresh_cookie": True,  # the page's script never holds the refresh token
    }
    assert result["calls"][0]["body"]["refresh_cookie"] is True  # type: ignore[index]
    assert result["calls"][4]["body"] == {}  # type: ignore[index]  # the cookie, not a token in the body
    assert result["calls"][2]["auth"] == "Bearer access-1"  # type: ignore[index]
    assert result["calls"][5]["auth"] == "Bearer access-2"  # type: ignore[index]
    assert result["console"] is True and result["users"] == 1 and result["error"] == ""
    assert json.loads(result["health"]) == {"status": "ok"}  # type: ignore[arg-type]


@pytest.mark.skipif(NODE is None, reason="needs node (the CDK's runtime)")
def test_served_at_the_root_it_calls_the_root() -> None:
    result = _run("/admin/console", [(200, {"access_token": "a"}), (200, {"items": []}), (200, {})])
    assert [c["url"] for c in result["calls"]][:2] == ["/v1/auth/login", "/admin/users?limit=50"]  # type: ignore[union-attr]


PERMISSIONS_STEPS = r"""
(async () => {
  el("email").value = "admin@example.com"; el("password").value = "pw";
  el("login").handlers.submit({ preventDefault() {} });
  await new Promise((r) => setTimeout(r, 20));
  el("perm-user").value = " u1 ";
  el("load-perms").handlers.click();
  await new Promise((r) => setTimeout(r, 20));
  const shown = JSON.parse(el("perms").value), before = el("perms-set").textContent;
  el("perms").value = JSON.stringify({ ...shown, allowed_symbols: ["BTC/USD"] });
  el("save-perms").handlers.click();
  await new Promise((r) => setTimeout(r, 20));
  console.log(JSON.stringify({ calls, shown, before, after: el("perms-set").textContent,
                               error: el("error").textContent }));
})();
"""


@pytest.mark.skipif(NODE is None, reason="needs node (the CDK's runtime)")
def test_an_admin_reads_and_replaces_a_users_permissions() -> None:
    defaults = {
        "trading_enabled": True,
        "allowed_brokers": None,
        "allowed_symbols": None,
        "max_order_value": None,
        "max_position_value": None,
    }
    harness = HARNESS.split("(async () => {")[0] + PERMISSIONS_STEPS
    replies = [
        (200, {"access_token": "a"}),
        (200, {"items": []}),
        (200, {**defaults, "updated_by": None, "updated_at": None}),
        (
            200,
            {
                **defaults,
                "allowed_symbols": ["BTC/USD"],
                "updated_by": "admin-1",
                "updated_at": "2026-12-05T10:00:00Z",
            },
        ),
    ]
    assert NODE is not None
    out = subprocess.run(
        [NODE, "-e", harness, _asset("console.js"), "/admin/console", json.dumps(replies)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result = json.loads(out.stdout)
    assert [(c["method"], c["url"]) for c in result["calls"]][2:] == [
        ("GET", "/admin/users/u1/permissions"),
        ("PUT", "/admin/users/u1/permissions"),
    ]
    assert result["shown"] == defaults and result["before"] == "never set: nothing restricted"
    assert result["calls"][3]["body"] == {**defaults, "allowed_symbols": ["BTC/USD"]}
    assert result["calls"][3]["auth"] == "Bearer a"
    assert result["after"] == "set by admin-1 at 2026-12-05T10:00:00Z" and result["error"] == ""
