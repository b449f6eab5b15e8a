"""The app's web build (mobile/dist) against the local stack in headless Chromium (mobile/e2e/bench.mjs),
and the size of its JavaScript.

- app_load: from navigation to the dashboard's figures rendered, 20 loads, each in a fresh browser
  context (nothing cached: a first visit). A reload on the web keeps no session until the refresh token
  can live in an HttpOnly cookie (issue 16), so each load signs in on the way: the figure is an upper
  bound of a signed-in load, with its two parts (to the sign-in form, sign-in to figures) beside it.
  Target: p95 <= 1.5 s.
- app_fill: a fill recorded by the executor (the trade's timestamp) to the dashboard's Cash figure
  changing on screen (the page's clock, stamped by a MutationObserver), 50 market orders placed
  through the API one after another by a user watching the dashboard. Target: p95 <= 1 s.
- app_size: the web build's JavaScript gzipped (reported), and the largest packages in it, from a
  build with source maps.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import tempfile
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx

from bench.pipeline import PASSWORD, admin_login, login, new_trader, start_stack
from bench.report import line, percentile
from nija.local.process import LocalStack

MOBILE = Path(__file__).resolve().parents[1] / "mobile"
LOADS, FILLS = 20, 50
TARGET_LOAD_P95_S, TARGET_FILL_P95_S = 1.5, 1.0


def _browse(*args: str) -> dict[str, list[dict[str, object]]]:
    if not (MOBILE / "dist" / "index.html").is_file():
        raise SystemExit("the app's web build is missing: `make mobile-web` builds it")
    done = subprocess.run(
        ["node", "e2e/bench.mjs", *args], cwd=MOBILE, capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, list[dict[str, object]]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _new_user(api: str, stack: LocalStack | None = None) -> str:
    """A user signed up through the API; a trader as the pipeline benchmark makes one (enterprise
    tier: 50 orders and the app's reads after each of their events; the paper broker connected)."""
    with httpx.Client(base_url=api, timeout=10) as client:
        if stack is not None:  # a trader: the admin moves them to the enterprise tier
            return new_trader(client, admin_login(client, stack), "app-bench")[0]
        email = f"app-bench-{uuid.uuid4().hex[:8]}@example.com"
        client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD}).raise_for_status()
        return email


def _seconds(samples: list[dict[str, object]], key: str) -> list[float]:
    return [float(str(s[key])) / 1000 for s in samples]


def load() -> None:
    stack = start_stack()
    api = stack.api
    try:
        email = _new_user(api)
        samples = _browse("load", f"{api}/app/", email, PASSWORD, str(LOADS))["samples"]
    finally:
        stack.stop()
    total = _seconds(samples, "total")
    print(f"App web build: navigation to the dashboard's figures, {len(total)} loads, fresh context each (s)")
    print(line("p50", percentile(total, 50), "s", "reported", None))
    p95 = percentile(total, 95)
    print(
        line("p95 (signing in on the way)", p95, "s", f"<= {TARGET_LOAD_P95_S} s", p95 <= TARGET_LOAD_P95_S)
    )
    print(
        line(
            "p95 navigation to the sign-in form",
            percentile(_seconds(samples, "form"), 95),
            "s",
            "reported",
            None,
        )
    )
    print(
        line("p95 sign-in to the figures", percentile(_seconds(samples, "signIn"), 95), "s", "reported", None)
    )


def fill() -> None:
    stack = start_stack()
    api = stack.api
    try:
        email = _new_user(api, stack)
        shown = _browse("fills", f"{api}/app/", api, email, PASSWORD, str(FILLS))["orders"]
        recorded = _trade_times(api, email)
    finally:
        stack.stop()
    latencies = [
        float(str(o["shown_at_ms"])) / 1000 - recorded[str(o["order_id"])]
        for o in shown
        if str(o["order_id"]) in recorded
    ]
    ms = [s * 1000 for s in latencies]
    print(
        f"App web build: fill recorded by the executor to the Cash figure changing on screen, {FILLS} fills (ms)"
    )
    print(line("fills shown", len(ms), "", f"{FILLS}", len(ms) == FILLS))
    print(line("p50", percentile(ms, 50), "ms", "reported", None))
    p95 = percentile(ms, 95)
    print(line("p95", p95, "ms", f"<= {TARGET_FILL_P95_S * 1000:.0f} ms", p95 <= TARGET_FILL_P95_S * 1000))
    print(line("max", max(ms, default=float("nan")), "ms", "reported", None))


def _trade_times(api: str, email: str) -> dict[str, float]:
    """order id -> when its fill was recorded (epoch seconds), from GET /v1/trades."""
    with httpx.Client(base_url=api, timeout=10) as client:
        headers = login(client, email, PASSWORD)
        times: dict[str, float] = {}
        params: dict[str, str | int] = {"limit": 100}
        while True:
            page = client.get("/v1/trades", params=params, headers=headers).json()
            for trade in page["items"]:
                times[trade["order_id"]] = datetime.fromisoformat(trade["timestamp"]).timestamp()
            if not page.get("next_token"):
                return times
            params["next_token"] = page["next_token"]


def size() -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            ["npx", "expo", "export", "--platform", "web", "--source-maps", "--output-dir", out],
            cwd=MOBILE,
            env={**os.environ, "EXPO_OFFLINE": "1", "CI": "1"},
            capture_output=True,
            check=True,
            timeout=900,
        )
        bundles = sorted(Path(out).rglob("*.js"))
        raw = sum(b.stat().st_size for b in bundles)
        zipped = sum(len(gzip.compress(b.read_bytes(), 9)) for b in bundles)
        packages: Counter[str] = Counter()
        for bundle in bundles:
            source_map = bundle.with_name(bundle.name + ".map")
            if source_map.is_file():
                packages.update(_bytes_by_package(bundle.read_text(), json.loads(source_map.read_text())))
    print(f"App web build: JavaScript ({len(bundles)} files)")
    print(line("minified", raw / 1024, "KiB", "reported", None))
    print(line("gzipped", zipped / 1024, "KiB", "reported", None))
    attributed = sum(packages.values()) or 1
    print("  largest packages (minified KiB, share of the bundle):")
    for name, count in packages.most_common(12):
        print(f"    {name:<42} {count / 1024:>8.1f} KiB  {100 * count / attributed:>5.1f} %")


_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _vlq(segment: str) -> list[int]:
    values, shift, value = [], 0, 0
    for char in segment:
        digit = _B64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift = value = 0
    return values


def _package(source: str) -> str:
    parts = source.replace("\\", "/").split("/")
    if "node_modules" in parts:
        rest = parts[len(parts) - 1 - parts[::-1].index("node_modules") + 1 :]
        return "/".join(rest[:2]) if rest and rest[0].startswith("@") else (rest[0] if rest else source)
    return "the app (src/)" if "src" in parts else "other"


def _bytes_by_package(code: str, source_map: dict[str, object]) -> Counter[str]:
    """Generated bytes per package: each mapping segment owns the code up to the next one."""
    sources = [_package(str(s)) for s in source_map["sources"]]  # type: ignore[union-attr]
    lines = code.split("\n")
    counts: Counter[str] = Counter()
    source = 0
    for row, mapped in enumerate(str(source_map["mappings"]).split(";")):
        text = lines[row] if row < len(lines) else ""
        column, owner, start = 0, None, 0
        for segment in filter(None, mapped.split(",")):
            fields = _vlq(segment)
            column += fields[0]
            if owner is not None:
                counts[owner] += len(text[start:column].encode())
            if len(fields) >= 4:
                source += fields[1]
                owner = sources[source]
            else:
                owner = None
            start = column
        if owner is not None:
            counts[owner] += len(text[start:].encode())
    return counts
