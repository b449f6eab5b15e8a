"""Per-user permissions as pure code: the model's validation, the checks and their codes in the
pre-trade sequence (nija.logic.risk), the scan's view of them, the order desk's refusal at once, and
the admin use case's audit record (nija.logic.permissions) on in-memory ports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from kit import MemoryOrders, MemoryQueue, RecordedTelemetry
from pydantic import ValidationError

from nija.domain.audit import AuditEvent
from nija.domain.errors import Conflict, NotFound
from nija.domain.models import BrokerName, Position, Principal, Side, User
from nija.domain.permissions import PermissionsRecord, PermissionsRequest, UserPermissions
from nija.domain.risk import AccountView, OrderCheck, RiskSettings, TradingMode
from nija.logic.orders import OrderDesk, OrderRequest
from nija.logic.permissions import PermissionsService
from nija.logic.risk import check_order
from nija.logic.scan import UserScanState

PAPER, KRAKEN = BrokerName.PAPER, BrokerName.KRAKEN
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def perms(**fields: object) -> UserPermissions:
    return UserPermissions.model_validate(fields)


def order(side: Side = Side.BUY, qty: str = "1", price: str = "100", symbol: str = "BTC/USD") -> OrderCheck:
    return OrderCheck(
        broker=PAPER,
        symbol=symbol,
        side=side,
        quantity=Decimal(qty),
        price=Decimal(price),
        fee_rate=Decimal(0),
    )


def account(
    held: str = "0", mode: TradingMode = TradingMode.ACTIVE, disabled: str | None = None
) -> AccountView:
    positions = (
        ()
        if held == "0"
        else (
            Position(
                user_id="u",
                broker=PAPER,
                symbol="BTC/USD",
                quantity=Decimal(held),
                average_price=Decimal(100),
            ),
        )
    )
    return AccountView(
        equity=Decimal("1000000"),
        day_start_equity=None,
        free_quote_balance=Decimal("1000000"),
        positions=positions,
        marks={"paper:BTC/USD": Decimal(100)},
        mode=mode,
        disabled_reason=disabled,
    )


RISK = RiskSettings(position_share=Decimal("0.10"), max_total_exposure=Decimal("3"))


def code(p: UserPermissions, o: OrderCheck | None = None, a: AccountView | None = None) -> str | None:
    refusal = check_order(o or order(), a or account(), RISK, permissions=p)
    return refusal.code if refusal is not None else None


# --- the model --------------------------------------------------------------------------------


def test_the_defaults_restrict_nothing() -> None:
    p = UserPermissions()
    assert (p.trading_enabled, p.allowed_brokers, p.allowed_symbols) == (True, None, None)
    assert p.allows_broker(KRAKEN) and p.allows_symbol("ANY/THING") and p.entry_cap() is None
    assert code(p) is None
    assert check_order(order(), account(), RISK) is None  # no permissions given: the same


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"allowed_brokers": ["mtgox"]}, "allowed_brokers"),
        ({"allowed_brokers": ["paper", "paper"]}, "once"),
        ({"allowed_symbols": ["BTC-USD"]}, "unified symbol"),
        ({"allowed_symbols": ["btc/usd"]}, "unified symbol"),
        ({"allowed_symbols": ["BTC/USD", "BTC/USD"]}, "once"),
        ({"allowed_symbols": [f"A{i}/USD" for i in range(51)]}, "at most 50"),
        ({"max_order_value": "0"}, "greater than 0"),
        ({"max_position_value": "-1"}, "greater than 0"),
        ({"max_order_value": "1000000000001"}, "at most"),
        ({"trading": False}, "Extra inputs"),
    ],
)
def test_invalid_permissions_say_what_is_wrong(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PermissionsRequest.model_validate(fields)


def test_a_request_names_only_symbols_traded_on_an_allowed_broker() -> None:
    assert PermissionsRequest.model_validate({"allowed_symbols": ["BTC/USDT"]}).permissions() == perms(
        allowed_symbols=["BTC/USDT"]
    )
    with pytest.raises(ValidationError, match="not traded on any allowed broker: BTC/USDT"):
        PermissionsRequest.model_validate({"allowed_brokers": ["kraken"], "allowed_symbols": ["BTC/USDT"]})
    # stored permissions read back whatever the instruments are now (a symbol delisted since)
    assert perms(allowed_symbols=["GONE/USD"]).allowed_symbols == ("GONE/USD",)


def test_the_tighter_cap_binds_an_entry() -> None:
    assert perms(max_order_value="500").entry_cap() == (Decimal(500), "order_value_limit")
    assert perms(max_order_value="500", max_position_value="200").entry_cap() == (
        Decimal(200),
        "position_value_limit",
    )


# --- the pre-trade checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (perms(trading_enabled=False), "trading_disabled"),
        (perms(allowed_brokers=["kraken"]), "broker_not_allowed"),
        (perms(allowed_brokers=[]), "broker_not_allowed"),
        (perms(allowed_symbols=["ETH/USD"]), "symbol_not_allowed"),
        (perms(allowed_symbols=[]), "symbol_not_allowed"),
        (perms(max_order_value="99.99"), "order_value_limit"),
        (perms(max_position_value="99.99"), "position_value_limit"),
        (perms(allowed_brokers=["paper"], allowed_symbols=["BTC/USD"], max_order_value="100"), None),
        (perms(max_order_value="100", max_position_value="100"), None),  # a cap is inclusive
    ],
)
def test_each_permission_refuses_with_its_code(p: UserPermissions, expected: str | None) -> None:
    assert code(p) == expected


def test_the_messages_name_the_limit_and_the_quote_currency() -> None:
    refusal = check_order(order(), account(), RISK, permissions=perms(max_order_value="50"))
    assert refusal is not None and "100 USD" in refusal.message and "50 USD" in refusal.message
    refusal = check_order(order(), account(), RISK, permissions=perms(allowed_brokers=["kraken"]))
    assert refusal is not None and "allowed: kraken" in refusal.message


def test_the_position_cap_counts_what_is_held() -> None:
    p = perms(max_position_value="250")
    assert code(p, order(qty="1"), account(held="1")) is None  # 2 x 100
    assert code(p, order(qty="1"), account(held="2")) == "position_value_limit"  # 3 x 100


def test_an_order_that_reduces_a_position_passes_every_check_but_trading_off() -> None:
    close = order(Side.SELL, qty="2")
    held = account(held="5")
    for p in (
        perms(allowed_brokers=["kraken"]),
        perms(allowed_symbols=["ETH/USD"]),
        perms(max_order_value="1"),
        perms(max_position_value="1"),
    ):
        assert code(p, close, held) is None, p
    assert code(perms(trading_enabled=False), close, held) == "trading_disabled"


def test_the_order_of_the_checks() -> None:
    off_and_forbidden = perms(trading_enabled=False, allowed_brokers=[])
    assert code(off_and_forbidden) == "trading_disabled"
    # the platform's own disable and a halt come first: their codes stay what they were
    assert code(off_and_forbidden, a=account(disabled="5 broker errors")) == "trading_disabled"
    assert code(perms(allowed_brokers=[]), a=account(mode=TradingMode.HALTED)) == "kill_switch_halted"
    assert code(perms(allowed_brokers=[]), a=account(mode=TradingMode.REDUCING)) == "reduce_only"
    # the permissions before the account's limits
    assert code(perms(max_order_value="1"), order(qty="100000")) == "order_value_limit"


# --- the scan's view ----------------------------------------------------------------------------


def test_the_scan_keeps_a_series_the_user_holds_for_its_exit() -> None:
    held = Position(user_id="u", broker=PAPER, symbol="BTC/USD", quantity=Decimal(1))
    state = UserScanState(TradingMode.ACTIVE, False, {(PAPER, "BTC/USD"): held}, perms(allowed_symbols=[]))
    assert state.forbids(PAPER, "BTC/USD") is None
    assert state.forbids(PAPER, "ETH/USD") == "symbol_not_allowed"
    flat = UserScanState(TradingMode.ACTIVE, False, {}, perms(allowed_brokers=["kraken"]))
    assert flat.forbids(PAPER, "BTC/USD") == "broker_not_allowed"
    off = UserScanState(TradingMode.ACTIVE, False, {(PAPER, "BTC/USD"): held}, perms(trading_enabled=False))
    assert off.forbids(PAPER, "BTC/USD") == "trading_disabled"


# --- the order desk -------------------------------------------------------------------------------


def test_the_desk_refuses_at_once_only_what_is_certain() -> None:
    store, queue = MemoryOrders(), MemoryQueue()
    allowed: dict[str, UserPermissions] = {"alice": perms(trading_enabled=False)}

    def desk() -> OrderDesk:
        return OrderDesk(
            store,
            queue,
            lambda u, b: True,
            lambda u, b: TradingMode.ACTIVE,
            RecordedTelemetry(),
            lambda u: allowed.get(u, UserPermissions()),
        )

    buy = OrderRequest.model_validate(
        {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}
    )
    with pytest.raises(Conflict) as refused:
        desk().place(Principal(user_id="alice"), buy, None)
    assert refused.value.code == "trading_disabled" and not queue.sent
    # a symbol not allowed may still be a sell that closes a position: the executor decides
    allowed["alice"] = perms(allowed_symbols=["ETH/USD"])
    assert desk().place(Principal(user_id="alice"), buy, None).status.value == "queued"


# --- the admin use case ---------------------------------------------------------------------------


@dataclass
class Users:
    known: set[str]

    def get_user(self, user_id: str) -> User | None:
        return User(user_id=user_id, email=f"{user_id}@x.test") if user_id in self.known else None

    def put_user(self, user: User) -> None: ...

    def update_user(self, user_id: str, audit: AuditEvent | None = None, **fields: object) -> User | None:
        return None


@dataclass
class Store:
    records: dict[str, PermissionsRecord] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)

    def get(self, user_id: str) -> PermissionsRecord:
        return self.records.get(user_id, PermissionsRecord())

    def put(self, user_id: str, record: PermissionsRecord, audit: AuditEvent) -> None:
        self.records[user_id] = record
        self.audit.append(audit)


def test_a_change_is_recorded_with_who_when_and_before_and_after() -> None:
    store = Store()
    service = PermissionsService(Users({"u1"}), store, clock=lambda: T0)
    assert service.get("u1") == PermissionsRecord()
    record = service.put("admin-1", "u1", perms(allowed_symbols=["BTC/USD"], max_order_value="250"))
    assert (record.updated_by, record.updated_at) == ("admin-1", T0)
    assert service.get("u1") == record and service.of("u1") == record.permissions
    (event,) = store.audit
    assert (event.action, event.actor, event.subject) == ("admin.permissions_change", "admin-1", "u1")
    assert event.details["changed"] == "allowed_symbols,max_order_value"
    assert json.loads(event.details["before"])["allowed_symbols"] is None
    assert json.loads(event.details["after"]) == {
        "trading_enabled": True,
        "allowed_brokers": None,
        "allowed_symbols": ["BTC/USD"],
        "max_order_value": "250",
        "max_position_value": None,
    }
    service.put("admin-1", "u1", record.permissions)
    assert store.audit[-1].details["changed"] == "none"


def test_an_unknown_user_is_not_found_and_nothing_is_written() -> None:
    store = Store()
    service = PermissionsService(Users(set()), store)
    with pytest.raises(NotFound):
        service.get("ghost")
    with pytest.raises(NotFound):
        service.put("admin-1", "ghost", UserPermissions())
    assert store.records == {} and store.audit == []
