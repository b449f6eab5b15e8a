"""Push notifications on moto: devices registered through the dashboard_api handler, Expo's push
API over real HTTP (a local server answering with Expo's documented ticket shapes), the notifier
sending what users chose and forgetting dead tokens, and the local stack's recorder."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from kit import FILL_EVENT

from nija import wiring
from nija.adapters.push import ExpoPush, RecordedPush
from nija.domain.notifications import Device, PushMessage
from nija.domain.realtime import UserEvent
from nija.domain.settings import StrategySettings
from nija.logic.notify import Notifier

ALICE, BOB = "a11ce000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"
pytestmark = pytest.mark.members(ALICE, BOB)
TOKEN_A = "ExponentPushToken[aaaaaaaaaaaaaaaaaaaaaa]"
TOKEN_A2 = "ExponentPushToken[a2a2a2a2a2a2a2a2a2a2a2]"
TOKEN_B = "ExponentPushToken[bbbbbbbbbbbbbbbbbbbbbb]"
DAY = date(2026, 3, 2)
FILL = FILL_EVENT


@pytest.fixture
def dashboard(gateway_mode: None, aws: None, api: Any) -> Any:
    return api("dashboard_api")


def _call(dashboard: Any, case: str, user: str, token: str) -> Any:
    """The sample event with this token (brackets and all, which a placeholder cannot carry)."""
    event = dashboard.event(case, user_id=user, token="TOKEN")
    event = json.loads(json.dumps(event).replace("TOKEN", token.replace("[", "%5B").replace("]", "%5D")))
    if event.get("body"):
        event["body"] = json.dumps({"token": token, "platform": "ios"})
    if event.get("pathParameters"):
        event["pathParameters"] = {"token": token}
    return dashboard.invoke(event)


def test_devices_register_and_are_forgotten_per_user(dashboard: Any) -> None:
    r = _call(dashboard, "devices_register", ALICE, TOKEN_A)
    assert r.status == 201 and r.body == {"token": TOKEN_A, "platform": "ios"}
    assert _call(dashboard, "devices_register", ALICE, TOKEN_A).status == 201  # again: refreshed
    assert [d.token for d in wiring.devices().list(ALICE)] == [TOKEN_A]
    assert wiring.devices().list(BOB) == []

    bad = _call(dashboard, "devices_register", ALICE, "not-a-token")
    assert bad.status == 422 and bad.error["field"] == "token"
    assert _call(dashboard, "devices_forget", BOB, TOKEN_A).status == 404  # not Bob's
    assert _call(dashboard, "devices_forget", ALICE, TOKEN_A).status == 204
    assert wiring.devices().list(ALICE) == []


class Expo(BaseHTTPRequestHandler):
    """Expo's push endpoint as documented: a ticket per message; DeviceNotRegistered for TOKEN_A2."""

    received: list[Any] = []

    def do_POST(self) -> None:
        messages = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Expo.received.append((self.path, self.headers.get("Authorization"), messages))
        tickets = [
            {
                "status": "error",
                "message": f'"{m["to"]}" is not a registered push notification recipient',
                "details": {"error": "DeviceNotRegistered"},
            }
            if m["to"] == TOKEN_A2
            else {"status": "ok", "id": f"ticket-{i}"}
            for i, m in enumerate(messages)
        ]
        body = json.dumps({"data": tickets}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def expo() -> Iterator[str]:
    Expo.received = []
    server = HTTPServer(("127.0.0.1", 0), Expo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/--/api/v2/push/send"
    server.shutdown()


def test_expo_gets_batches_of_100_and_reports_dead_tokens(expo: str) -> None:
    sender = ExpoPush(url=expo, access_token="expo-access")
    messages = [PushMessage(TOKEN_A, "t", "b", {"i": i}) for i in range(150)] + [
        PushMessage(TOKEN_A2, "t", "b")
    ]
    outcomes = sender.send(messages)
    assert outcomes == ["ok"] * 150 + ["device_gone"]
    assert [len(m) for _, _, m in Expo.received] == [100, 51]
    path, auth, first = Expo.received[0]
    assert (path, auth) == ("/--/api/v2/push/send", "Bearer expo-access")
    assert first[0] == {"to": TOKEN_A, "title": "t", "body": "b", "data": {"i": 0}, "sound": "default"}


def test_the_notifier_sends_what_each_user_chose_and_forgets_dead_tokens(aws: None, expo: str) -> None:
    devices, store = wiring.devices(), wiring.settings_store()
    for user, token in ((ALICE, TOKEN_A), (ALICE, TOKEN_A2), (BOB, TOKEN_B)):
        devices.add(user, Device(token=token, platform="android"))
    store.put(BOB, StrategySettings(notifications={"fills": False}))  # type: ignore[arg-type]
    notifier = Notifier(devices, lambda u: store.get(u).notifications, ExpoPush(url=expo), lambda u: DAY)

    sent = notifier.notify(
        [UserEvent(ALICE, FILL), UserEvent(BOB, FILL), UserEvent(ALICE, {"type": "position"})]
    )
    assert sent == 2  # Alice's two devices; Bob turned fills off; positions never notify
    ((_, _, messages),) = Expo.received
    assert sorted(m["to"] for m in messages) == sorted([TOKEN_A, TOKEN_A2])
    assert messages[0]["title"] == "BUY BTC/USD filled" and messages[0]["data"]["kind"] == "fills"
    assert [d.token for d in devices.list(ALICE)] == [TOKEN_A]  # the dead one is gone


def test_the_local_stack_records_instead_of_sending(tmp_path: Path) -> None:
    outbox = tmp_path / "push.jsonl"
    assert RecordedPush(outbox).send([PushMessage(TOKEN_A, "hello", "world")]) == ["ok"]
    assert [json.loads(line) for line in outbox.read_text().splitlines()] == [
        {"to": TOKEN_A, "title": "hello", "body": "world", "data": {}}
    ]


def test_the_daily_loss_limit_notifies_once_a_trading_day(aws: None, expo: str) -> None:
    devices, store = wiring.devices(), wiring.settings_store()
    devices.add(ALICE, Device(token=TOKEN_A, platform="ios"))
    day = [DAY]
    notifier = Notifier(devices, lambda u: store.get(u).notifications, ExpoPush(url=expo), lambda u: day[0])
    refusal = {
        "type": "risk_refusal",
        "reason_code": "daily_loss_limit",
        "order_id": "o1",
        "symbol": "BTC/USD",
    }
    assert notifier.notify([UserEvent(ALICE, refusal)]) == 1  # the limit tripped: told once
    assert (
        notifier.notify([UserEvent(ALICE, refusal), UserEvent(ALICE, refusal)]) == 0
    )  # the scan's next tries
    day[0] = DAY + timedelta(days=1)
    assert notifier.notify([UserEvent(ALICE, refusal)]) == 1  # a new trading day, a new trip
    titles = [m["title"] for _, _, batch in Expo.received for m in batch]
    assert titles == ["Daily loss limit reached"] * 2


def test_an_admins_disable_notifies_and_an_erasure_does_not(aws: None, expo: str) -> None:
    from nija.adapters.dynamo.stream_records import user_event

    devices, store = wiring.devices(), wiring.settings_store()
    devices.add(ALICE, Device(token=TOKEN_A, platform="ios"))
    notifier = Notifier(devices, lambda u: store.get(u).notifications, ExpoPush(url=expo), lambda u: DAY)
    keys = {"pk": f"USER#{ALICE}", "sk": "PROFILE"}
    disabled = user_event("MODIFY", keys, {"status": "disabled"}, {"status": "active"})
    erasing = user_event(
        "MODIFY",
        keys,
        {"status": "active", "trading_disabled_reason": "account_deletion"},
        {"status": "active"},
    )
    assert disabled is not None and disabled.event == {"type": "account_disabled"}
    assert erasing is not None and erasing.event == {"type": "account_deleted"}  # not a "trading paused"
    assert notifier.notify([disabled, erasing]) == 1  # the erasure notifies nobody
    assert Expo.received[-1][2][0]["title"] == "Account disabled"
