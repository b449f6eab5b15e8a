"""The key layout is one module (nija.adapters.dynamo.keys): its docstring's table and its shapes
agree, each builder makes a key of the kind it is for, and no other module spells a key."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.outbox_records import OUTBOX_FILTER
from nija.adapters.dynamo.stream_records import PROCESSOR_FILTER, WATCHED_FILTER
from nija.domain.items import ItemKey, ItemKind
from nija.domain.realtime import STREAMED, WATCHED
from nija.domain.switches import SwitchScope

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 1, 12, 7, 31, tzinfo=UTC)
SHAPES = keys.STATE_SHAPES + keys.AUDIT_SHAPES


def test_every_kind_has_one_shape_and_a_line_in_the_layout_table() -> None:
    assert sorted(s.kind for s in SHAPES) == sorted(ItemKind)
    table = (keys.__doc__ or "").splitlines()
    for shape in SHAPES:
        lines = [line for line in table if f"{shape.pk} / {shape.sk}" in line]
        assert len(lines) == 1, shape
        following = table[table.index(lines[0]) + 1]
        assert shape.kind.name in lines[0] + following, shape  # its kind, then writer and export
        if shape.export is not None:
            assert shape.export in lines[0] + following, shape


def test_the_stale_names_are_gone() -> None:
    for path in (ROOT / "shared" / "nija").rglob("*.py"):
        assert "DAYSTART" not in path.read_text(), path
    assert "#<" not in (ROOT / "shared" / "nija" / "catalogue.py").read_text()  # one layout, not two


U1 = keys.user_pk("u1")
K = ItemKind
BUILT = [
    (U1, keys.PROFILE, ItemKey(K.PROFILE, "u1")),
    (U1, keys.credential_sk("paper"), ItemKey(K.BROKER_CREDENTIALS, "u1", "paper")),
    (U1, keys.VAULT_LOCK_SK, ItemKey(K.CREDENTIAL_LOCK, "u1")),
    (U1, keys.STRATEGY, ItemKey(K.STRATEGY_SETTINGS, "u1")),
    (U1, keys.RISK, ItemKey(K.RISK_SETTINGS, "u1")),
    (*keys.switch_key(SwitchScope.USER, "u1"), ItemKey(K.USER_SWITCH, "u1")),
    (U1, keys.order_sk("o1"), ItemKey(K.ORDER, "u1", "o1")),
    (U1, keys.request_key_sk("k1"), ItemKey(K.REQUEST_KEY, "u1", "k1")),
    (U1, keys.position_sk("paper", "BTC/USD"), ItemKey(K.POSITION, "u1", "paper#BTC/USD")),
    (U1, keys.trade_sk("paper", "o1", "t1"), ItemKey(K.TRADE, "u1", "paper#o1#t1")),
    (U1, keys.equity_sk("paper"), ItemKey(K.EQUITY, "u1", "paper")),
    (U1, keys.DAY_START, ItemKey(K.DAY_START, "u1")),
    (U1, keys.equity_snapshot_sk(AT), ItemKey(K.EQUITY_SNAPSHOT, "u1", "2026-03-01T12:05")),
    (U1, keys.pnl_bucket_sk(AT), ItemKey(K.PNL_BUCKET, "u1", "2026-03-01T12:00")),
    (U1, keys.device_sk("h1"), ItemKey(K.DEVICE, "u1", "h1")),
    (U1, keys.notified_sk("fill#d"), ItemKey(K.NOTIFIED, "u1", "fill#d")),
    (U1, keys.user_connection_sk("c="), ItemKey(K.USER_CONNECTION, "u1", "c=")),
    (U1, keys.reconciled_sk("kraken"), ItemKey(K.RECONCILED, "u1", "kraken")),
    (keys.connection_pk("c="), keys.CONNECTION_SK, ItemKey(K.CONNECTION, "c=")),
    (keys.paper_pk("u1"), keys.paper_balance_sk("USD"), ItemKey(K.PAPER_BALANCE, "u1", "USD")),
    (keys.paper_pk("u1"), keys.paper_order_sk("c1"), ItemKey(K.PAPER_ORDER, "u1", "c1")),
    (keys.outbox_pk("u1"), keys.outbox_sk("e1"), ItemKey(K.AUDIT_OUTBOX, "u1", "e1")),
    (keys.login_guard_pk("A@x.io"), keys.GUARD, ItemKey(K.LOGIN_GUARD, keys.login_guard_pk("a@x.io")[6:])),
    (keys.throttle_pk("kraken", "u1"), keys.THROTTLE_BUCKET, ItemKey(K.THROTTLE_BUCKET, "kraken#u1")),
    (keys.throttle_pk("kraken", None), keys.THROTTLE_BUCKET, ItemKey(K.THROTTLE_BUCKET, "kraken")),
    (keys.reconcile_due_pk("kraken"), "u1", ItemKey(K.RECONCILE_DUE, "kraken", "u1")),
    (keys.request_window_pk("u1"), keys.REQUEST_WINDOW, ItemKey(K.REQUEST_WINDOW, "u1")),
    (*keys.switch_key(SwitchScope.GLOBAL, "global"), ItemKey(K.GLOBAL_SWITCH, "")),
    (*keys.switch_key(SwitchScope.BROKER, "paper"), ItemKey(K.BROKER_SWITCH, "", "paper")),
    (keys.CONTROL, keys.breaker_sk("paper"), ItemKey(K.BREAKER, "", "paper")),
    (
        keys.candles_pk("paper", "BTC/USD", "5m"),
        keys.candles_sk(1, 3),
        ItemKey(K.CANDLES, "paper#BTC/USD#5m", "000000000001#3"),
    ),
    (keys.audit_pk("u1"), keys.seq_sk(7), ItemKey(K.AUDIT_RECORD, "u1", "000000000007")),
    (keys.audit_event_pk("e1"), keys.EVENT_SK, ItemKey(K.AUDIT_EVENT, "e1")),
    (
        keys.audit_late_pk(datetime(2026, 11, 2, 23, 59, tzinfo=UTC)),
        keys.audit_by_time_sk(datetime(2026, 11, 2, 23, 59, tzinfo=UTC), "u1", 7),
        ItemKey(K.AUDIT_LATE, "2026-11-02", "2026-11-02T23:59:00.000000Z#u1#000000000007"),
    ),
]


@pytest.mark.parametrize(("pk", "sk", "key"), BUILT, ids=[k.kind.value for *_, k in BUILT])
def test_each_builder_makes_a_key_of_its_kind(pk: str, sk: str, key: ItemKey) -> None:
    assert keys.parse(pk, sk) == key


def test_every_kind_is_built_and_unknown_keys_are_of_no_kind() -> None:
    assert {k.kind for *_, k in BUILT} == set(ItemKind)
    assert keys.parse("USER#u1", "SOMETHING#new") is None
    assert keys.parse("NOPE#1", "PROFILE") is None
    assert (
        keys.equity_broker(keys.DAY_START) is None
        and keys.equity_broker(keys.equity_sk("kraken")) == "kraken"
    )
    assert keys.bucket_time(keys.pnl_bucket_sk(AT)) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_stream_filters_are_the_kinds_prefixes() -> None:
    assert (PROCESSOR_FILTER.pk_prefix, WATCHED_FILTER.pk_prefix) == (keys.USER_PREFIX, keys.USER_PREFIX)
    assert PROCESSOR_FILTER.sk_prefixes == tuple(keys.sk_prefix(k) for k in STREAMED)
    assert WATCHED_FILTER.sk_prefixes == tuple(keys.sk_prefix(k) for k in WATCHED)
    assert (OUTBOX_FILTER.pk_prefix, OUTBOX_FILTER.sk_prefixes) == (
        keys.OUTBOX_PREFIX,
        (keys.OUTBOX_SK_PREFIX,),
    )


# Literal key text: the prefixes of every shape's keys (up to their first name), the whole keys of
# kinds of one item per partition, and the indexes' partitions.
_LITERALS = {
    literal
    for s in SHAPES
    for pattern in (s.pk, s.sk)
    if (literal := pattern.split("<", 1)[0]) and (literal.endswith("#") or "<" not in pattern)
} | {"USERS", "CREDENTIALS", "SCAN#", "OPEN#", "PAPER_OPEN", "AUDIT", "CHAINS", "ACTOR#"}


def _spelt_keys(path: Path) -> list[str]:
    """String constants of a module that are or begin with key text (docstrings aside)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and any(node.value == lit or (lit.endswith("#") and node.value.startswith(lit)) for lit in _LITERALS)
    ]


def _sources() -> list[Path]:
    mine = {ROOT / "shared" / "nija" / "adapters" / "dynamo" / "keys.py"}
    trees = [ROOT / "shared" / "nija", ROOT / "functions", ROOT / "infra_cdk"]
    return sorted(
        p for tree in trees for p in tree.rglob("*.py") if p not in mine and "node_modules" not in p.parts
    )


def test_no_module_but_the_layout_spells_a_key() -> None:
    spelt = {str(p.relative_to(ROOT)): found for p in _sources() if (found := _spelt_keys(p))}
    assert spelt == {}


def test_the_domain_speaks_of_kinds_not_keys() -> None:
    domain = ROOT / "shared" / "nija" / "domain"
    pattern = re.compile(r"\b(?:USER|PAPER|OUTBOX|AUDIT|CONN|EQUITY|ORDER|TRADE|POS|EQSNAP|WS)#")
    texts = {p.name: pattern.findall(p.read_text()) for p in domain.rglob("*.py")}
    assert {name: found for name, found in texts.items() if found} == {}


def test_late_records_are_found_by_the_days_they_were_appended_on() -> None:
    since = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)
    assert keys.audit_late_days(since, datetime(2026, 11, 3, 0, 5, tzinfo=UTC)) == [
        "LATE#2026-11-02",
        "LATE#2026-11-03",
    ]
    assert keys.audit_late_days(since, since) == ["LATE#2026-11-02"]
    assert keys.audit_late_position(keys.audit_by_time_sk(since, "AUDIT#odd#subject", 12)) == (
        "AUDIT#odd#subject",
        12,
    )
