from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from nija.domain.models import BrokerName, Position, Side
from nija.domain.risk import (
    AccountView,
    OrderCheck,
    Refusal,
    RefusalCode,
    RiskSettings,
    TradingMode,
    position_key,
    strictest,
)
from nija.logic import risk
from nija.logic.risk import check_order, local_day_start, reduces_exposure, register_broker_result

D = Decimal
PAPER, KRAKEN = BrokerName.PAPER, BrokerName.KRAKEN
ACTIVE, HALTED, REDUCING = TradingMode.ACTIVE, TradingMode.HALTED, TradingMode.REDUCING
DEFAULTS = RiskSettings()  # 5% per position, 5 positions, 5% daily loss, 100% exposure


def order(
    side: Side = Side.BUY,
    qty: str = "1",
    price: str = "100",
    fee_rate: str = "0",
    broker: BrokerName = PAPER,
    symbol: str = "BTC/USD",
) -> OrderCheck:
    return OrderCheck(
        broker=broker, symbol=symbol, side=side, quantity=D(qty), price=D(price), fee_rate=D(fee_rate)
    )


def pos(qty: str, symbol: str = "BTC/USD", broker: BrokerName = PAPER, avg: str = "100") -> Position:
    return Position(user_id="u", broker=broker, symbol=symbol, quantity=D(qty), average_price=D(avg))


def account(
    equity: str = "10000",
    day_start: str | None = None,
    free: str = "10000",
    positions: tuple[Position, ...] = (),
    marks: dict[str, Decimal] | None = None,
    mode: TradingMode = ACTIVE,
    disabled: str | None = None,
) -> AccountView:
    return AccountView(
        equity=D(equity),
        day_start_equity=None if day_start is None else D(day_start),
        free_quote_balance=D(free),
        positions=positions,
        marks=marks or {},
        mode=mode,
        disabled_reason=disabled,
    )


def code(o: OrderCheck, a: AccountView, s: RiskSettings = DEFAULTS) -> str | None:
    refusal = check_order(o, a, s)
    return None if refusal is None else refusal.code


# --- settings ---------------------------------------------------------------------------------


def test_default_settings_match_the_contract() -> None:
    assert DEFAULTS.position_share == D("0.05")
    assert (DEFAULTS.max_open_positions, DEFAULTS.max_consecutive_errors) == (5, 5)
    assert (DEFAULTS.daily_loss_limit, DEFAULTS.max_total_exposure) == (D("0.05"), D("1.0"))
    assert DEFAULTS.time_zone == "UTC"
    assert DEFAULTS.model_dump(mode="json")["position_share"] == "0.05"


@pytest.mark.parametrize("share", ["0.02", "0.1", "0.10", 0.05, "0.07"])
def test_position_share_within_2_to_10_percent_is_accepted(share: object) -> None:
    assert D("0.02") <= RiskSettings(position_share=share).position_share <= D("0.10")


@pytest.mark.parametrize("share", ["0.0199", "0.1001", "0", "-0.05", "0.5", "1"])
def test_position_share_outside_2_to_10_percent_is_refused_naming_the_field(share: str) -> None:
    with pytest.raises(ValidationError) as info:
        RiskSettings(position_share=share)
    (error,) = info.value.errors()
    assert error["loc"] == ("position_share",)
    assert "position_share must be between 0.02 and 0.1" in error["msg"]


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("max_open_positions", [1, 50], [0, 51, -1]),
        ("daily_loss_limit", ["0.0001", "0.5"], ["0", "0.5001", "-0.1"]),
        ("max_total_exposure", ["0.01", "3"], ["0", "3.0001"]),
        ("time_zone", ["Asia/Kolkata", "America/New_York", "UTC"], ["Mars/Olympus", "", "../etc/passwd"]),
        ("max_consecutive_errors", [1, 100], [0, 101]),
    ],
)
def test_settings_bounds_name_the_field(field: str, good: list[object], bad: list[object]) -> None:
    for value in good:
        RiskSettings(**{field: value})
    for value in bad:
        with pytest.raises(ValidationError) as info:
            RiskSettings(**{field: value})
        (error,) = info.value.errors()
        assert error["loc"] == (field,)
        assert field in error["msg"]


def test_settings_refuse_unknown_fields_and_are_frozen() -> None:
    with pytest.raises(ValidationError):
        RiskSettings(position_size="0.05")
    with pytest.raises(ValidationError):
        DEFAULTS.position_share = D("0.1")  # type: ignore[misc]


# --- models -------------------------------------------------------------------------------------


def test_strictest_mode() -> None:
    assert strictest() is ACTIVE
    assert strictest(ACTIVE, ACTIVE, ACTIVE) is ACTIVE
    assert strictest(ACTIVE, REDUCING, ACTIVE) is REDUCING
    assert strictest(REDUCING, HALTED, ACTIVE) is HALTED
    assert strictest(HALTED, REDUCING) is HALTED


def test_order_check_refuses_impossible_numbers() -> None:
    for bad in ({"quantity": "0"}, {"price": "-1"}, {"fee_rate": "1"}, {"fee_rate": "-0.001"}):
        fields = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "quantity": "1", "price": "1"}
        with pytest.raises(ValidationError):
            OrderCheck(**{"fee_rate": "0", **fields, **bad})


def test_account_view_refuses_two_entries_for_one_position() -> None:
    with pytest.raises(ValidationError, match="one entry per broker and symbol"):
        account(positions=(pos("1"), pos("2")))
    assert position_key(KRAKEN, "ETH/USD") == "kraken:ETH/USD"


def test_every_refusal_code_is_documented() -> None:
    assert risk.__doc__ is not None
    for c in RefusalCode:
        assert f"``{c.value}``" in risk.__doc__


# --- reduces_exposure ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "side", "qty", "expected"),
    [
        ("2", Side.SELL, "1", True),  # partial close of a long
        ("2", Side.SELL, "2", True),  # full close
        ("2", Side.SELL, "2.00000001", False),  # flip to short
        ("2", Side.BUY, "1", False),  # increase
        ("-2", Side.BUY, "2", True),  # cover a short
        ("-2", Side.BUY, "0.5", True),
        ("-2", Side.SELL, "1", False),
        ("-2", Side.BUY, "3", False),
        ("0", Side.SELL, "1", False),
        ("0", Side.BUY, "1", False),
        ("2", Side.SELL, "0", False),
    ],
)
def test_reduces_exposure(position: str, side: Side, qty: str, expected: bool) -> None:
    assert reduces_exposure(D(position), side, D(qty)) is expected


# --- disabled and kill switches -------------------------------------------------------------------


def test_plain_buy_passes() -> None:
    assert check_order(order(), account(), DEFAULTS) is None


def test_disabled_refuses_everything_with_its_reason() -> None:
    a = account(positions=(pos("1"),), disabled="trading disabled after 5 consecutive broker errors")
    refusal = check_order(order(Side.SELL, "1"), a, DEFAULTS)
    assert refusal == Refusal(
        code="trading_disabled",
        message="trading is disabled for this user: trading disabled after 5 consecutive broker errors",
    )
    # before any kill switch
    assert code(order(), account(disabled="x", mode=HALTED)) == "trading_disabled"


def test_halted_refuses_new_orders_and_closes_alike() -> None:
    a = account(positions=(pos("1"),), mode=HALTED)
    assert code(order(Side.BUY), a) == "kill_switch_halted"
    assert code(order(Side.SELL, "1"), a) == "kill_switch_halted"  # HALTED: no orders at all
    assert code(order(Side.SELL, "0.5"), a) == "kill_switch_halted"


def test_reducing_lets_partial_and_full_closes_through_only() -> None:
    long = account(positions=(pos("2"),), mode=REDUCING)
    assert code(order(Side.SELL, "0.5"), long) is None
    assert code(order(Side.SELL, "2"), long) is None
    assert code(order(Side.SELL, "2.01"), long) == "reduce_only"  # flip
    assert code(order(Side.BUY, "0.01"), long) == "reduce_only"  # increase
    assert code(order(Side.BUY, "1", symbol="ETH/USD"), long) == "reduce_only"  # new position
    short = account(positions=(pos("-2"),), mode=REDUCING)
    assert code(order(Side.BUY, "2"), short) is None
    assert code(order(Side.BUY, "3"), short) == "reduce_only"


def test_reducing_a_position_at_another_broker_does_not_count() -> None:
    a = account(positions=(pos("2", broker=KRAKEN),), mode=REDUCING)
    assert code(order(Side.SELL, "1", broker=PAPER), a) == "reduce_only"
    assert code(order(Side.SELL, "1", broker=KRAKEN), a) is None


# --- daily loss --------------------------------------------------------------------------------


def test_daily_loss_limit_boundary() -> None:
    # 5% of 10000: the floor is 9500
    assert code(order(), account(equity="9500", day_start="10000")) is None
    assert code(order(), account(equity="9499.99", day_start="10000")) == "daily_loss_limit"
    refusal = check_order(order(), account(equity="9000", day_start="10000"), DEFAULTS)
    assert refusal is not None
    assert "below 9500" in refusal.message and "next day in UTC" in refusal.message


def test_daily_loss_uses_the_users_limit() -> None:
    s = RiskSettings(daily_loss_limit="0.2")
    assert code(order(), account(equity="8000", day_start="10000"), s) is None
    assert code(order(), account(equity="7999.99", day_start="10000"), s) == "daily_loss_limit"


def test_daily_loss_resumes_with_the_next_days_start() -> None:
    yesterday = account(equity="9000", day_start="10000")
    today = account(equity="9000", day_start="9000")
    assert code(order(), yesterday) == "daily_loss_limit"
    assert code(order(), today) is None


def test_daily_loss_without_a_day_start_uses_equity() -> None:
    assert code(order(), account(equity="9000", day_start=None)) is None


def test_daily_loss_still_lets_positions_close() -> None:
    a = account(equity="5000", day_start="10000", positions=(pos("1"),))
    assert code(order(Side.SELL, "1"), a) is None
    assert code(order(Side.BUY, "0.1"), a) == "daily_loss_limit"


# --- live capital -------------------------------------------------------------------------------


def test_capital_boundary_includes_the_fee() -> None:
    # 1 x 100 plus 0.1% fee = 100.1
    assert code(order(fee_rate="0.001"), account(free="100.1")) is None
    assert code(order(fee_rate="0.001"), account(free="100.09")) == "insufficient_capital"
    assert code(order(), account(free="100")) is None
    assert code(order(), account(free="99.99")) == "insufficient_capital"
    refusal = check_order(order(fee_rate="0.001"), account(free="50"), DEFAULTS)
    assert refusal is not None and "does not cover 100.1" in refusal.message


def test_no_short_selling_on_spot() -> None:
    assert code(order(Side.SELL, "1"), account()) == "insufficient_capital"
    a = account(positions=(pos("1"),))
    assert code(order(Side.SELL, "1"), a) is None
    assert code(order(Side.SELL, "1.00000001"), a) == "insufficient_capital"
    refusal = check_order(order(Side.SELL, "2"), a, DEFAULTS)
    assert refusal is not None and "short selling is not supported" in refusal.message


def test_no_equity_no_new_exposure() -> None:
    for equity in ("0", "-10"):
        a = account(equity=equity, day_start=None, positions=(pos("1"),))
        assert code(order(Side.BUY, "0.01"), a) == "insufficient_capital"
        assert code(order(Side.SELL, "1"), a) is None  # closing is still allowed


def test_a_sell_that_covers_nothing_is_refused_even_with_cash() -> None:
    assert code(order(Side.SELL, "0.001", symbol="ETH/USD"), account(positions=(pos("1"),))) == (
        "insufficient_capital"
    )


# --- position size -------------------------------------------------------------------------------


def test_position_size_boundary() -> None:
    # 5% of 10000 = 500
    assert code(order(qty="5", price="100"), account()) is None
    assert code(order(qty="5", price="100.01"), account()) == "position_size"
    assert code(order(qty="5.00000001", price="100"), account()) == "position_size"


def test_position_size_counts_what_is_already_held() -> None:
    a = account(positions=(pos("3"),))
    assert code(order(qty="2"), a) is None
    assert code(order(qty="2.01"), a) == "position_size"
    refusal = check_order(order(qty="3"), a, DEFAULTS)
    assert refusal is not None
    assert refusal.message == ("the position in BTC/USD would be worth 600, above 500 (5% of equity 10000)")


@pytest.mark.parametrize(("share", "limit"), [("0.02", "200"), ("0.10", "1000")])
def test_position_size_follows_the_users_share(share: str, limit: str) -> None:
    s = RiskSettings(position_share=share)
    assert code(order(qty="1", price=limit), account(), s) is None
    assert code(order(qty="1", price=str(D(limit) + D("0.01"))), account(), s) == "position_size"


def test_an_oversized_position_may_still_be_reduced() -> None:
    a = account(positions=(pos("50"),))  # 5000, ten times the limit
    assert code(order(Side.SELL, "1"), a) is None
    assert code(order(Side.BUY, "0.0001"), a) == "position_size"


# --- max open positions ---------------------------------------------------------------------------


def _others(n: int) -> tuple[Position, ...]:
    return tuple(pos("0.01", symbol=f"X{i}/USD", broker=KRAKEN, avg="1") for i in range(n))


def test_max_open_positions_boundary() -> None:
    assert code(order(), account(positions=_others(4))) is None  # becomes the 5th
    assert code(order(), account(positions=_others(5))) == "max_open_positions"
    s = RiskSettings(max_open_positions=1)
    assert code(order(), account(), s) is None
    assert code(order(), account(positions=_others(1)), s) == "max_open_positions"


def test_max_open_positions_lets_existing_positions_grow_and_close() -> None:
    a = account(positions=(*_others(4), pos("1")))
    assert code(order(Side.BUY, "1"), a) is None
    assert code(order(Side.SELL, "1"), a) is None


def test_flat_positions_are_not_open() -> None:
    flat = tuple(pos("0", symbol=f"F{i}/USD") for i in range(10))
    assert code(order(), account(positions=(*flat, *_others(4)))) is None


# --- exposure cap --------------------------------------------------------------------------------


WIDE = RiskSettings(position_share="0.10", max_open_positions=50)


def test_exposure_cap_boundary_across_brokers() -> None:
    # 95 ETH at kraken marked at 100 = 9500; cap is 100% of 10000
    a = account(
        positions=(pos("95", symbol="ETH/USD", broker=KRAKEN, avg="50"),), marks={"kraken:ETH/USD": D(100)}
    )
    assert code(order(qty="5"), a, WIDE) is None
    assert code(order(qty="5.0001"), a, WIDE) == "exposure_cap"


def test_exposure_counts_shorts_by_size_and_falls_back_to_the_average_price() -> None:
    a = account(
        positions=(
            pos("-40", symbol="ETH/USD", broker=KRAKEN),  # no mark: 40 x 100
            pos("11", symbol="SOL/USD", broker=KRAKEN, avg="1"),
        ),
        marks={"kraken:SOL/USD": D(500)},  # 5500
    )
    assert code(order(qty="5"), a, WIDE) is None  # 4000 + 5500 + 500 = 10000
    assert code(order(qty="5.01"), a, WIDE) == "exposure_cap"


def test_exposure_values_this_position_at_the_order_price() -> None:
    a = account(
        positions=(pos("2", avg="10"), pos("9.1", symbol="ETH/USD", broker=KRAKEN)),
        marks={"paper:BTC/USD": D(1), "kraken:ETH/USD": D(1000)},
    )
    # 9100 elsewhere; BTC after the order, at the order's price rather than its mark: 3 x 300 = 900
    assert code(order(qty="1", price="300"), a, WIDE) is None
    assert code(order(qty="1", price="300.01"), a, WIDE) == "exposure_cap"


def test_exposure_cap_follows_the_users_share() -> None:
    s = RiskSettings(position_share="0.1", max_total_exposure="0.15")
    a = account(positions=(pos("6", symbol="ETH/USD", broker=KRAKEN),), marks={"kraken:ETH/USD": D(100)})
    assert code(order(qty="9"), a, s) is None  # 600 + 900 = 1500
    assert code(order(qty="9.01"), a, s) == "exposure_cap"


def test_an_over_exposed_account_may_still_reduce() -> None:
    a = account(
        positions=(pos("1"), pos("200", symbol="ETH/USD", broker=KRAKEN)),
        marks={"kraken:ETH/USD": D(100)},
    )
    assert code(order(Side.SELL, "0.5"), a, WIDE) is None
    assert code(order(Side.BUY, "0.5", symbol="SOL/USD"), a, WIDE) == "exposure_cap"


# --- order of checks -------------------------------------------------------------------------------


def test_checks_run_in_the_documented_order() -> None:
    # Start with an account that fails every check, then fix one thing at a time.
    o = order(qty="1", price="1000")
    state: dict[str, object] = {
        "disabled": "broker errors",
        "mode": HALTED,
        "equity": "100",
        "day_start": "10000",
        "free": "0",
        "positions": _others(5),
        "marks": {position_key(KRAKEN, f"X{i}/USD"): D(2500000) for i in range(5)},  # 25000 each
    }
    steps = [
        ("trading_disabled", "disabled", None),
        ("kill_switch_halted", "mode", REDUCING),
        ("reduce_only", "mode", ACTIVE),
        ("daily_loss_limit", "day_start", None),
        ("insufficient_capital", "free", "1000000"),
        ("position_size", "equity", "100000"),  # 1000 > 5% of 100; fine against 5% of 100000
        ("max_open_positions", "positions", _others(4)),
        ("exposure_cap", "marks", {}),  # 4 x 25000 + 1000 > 100000; at average prices: 1000.04
    ]
    for want, field, fixed in steps:
        assert code(o, account(**state)) == want  # type: ignore[arg-type]
        state[field] = fixed
    assert code(o, account(**state)) is None  # type: ignore[arg-type]


# --- plug-ins -------------------------------------------------------------------------------------


def test_checks_are_plug_ins() -> None:
    def no_doge(ctx: risk.OrderContext) -> Refusal | None:
        if ctx.order.symbol.startswith("DOGE/"):
            return Refusal(code="symbol_blocked", message="no memes")
        return None

    checks = (*risk.CHECKS, no_doge)
    assert check_order(order(symbol="DOGE/USD", price="0.1"), account(), DEFAULTS, checks) == Refusal(
        code="symbol_blocked", message="no memes"
    )
    assert check_order(order(), account(), DEFAULTS, checks) is None
    assert check_order(order(), account(mode=HALTED), DEFAULTS, ()) is None


# --- local day ------------------------------------------------------------------------------------


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "tz", "start"),
    [
        (utc(2024, 6, 1, 23, 59), "UTC", utc(2024, 6, 1)),
        (utc(2024, 6, 1, 0, 0), "UTC", utc(2024, 6, 1)),
        # Kolkata is UTC+05:30 all year
        (utc(2024, 3, 10, 12), "Asia/Kolkata", utc(2024, 3, 9, 18, 30)),
        (utc(2024, 3, 10, 18, 29, 59), "Asia/Kolkata", utc(2024, 3, 9, 18, 30)),
        (utc(2024, 3, 10, 18, 30), "Asia/Kolkata", utc(2024, 3, 10, 18, 30)),
        # New York springs forward at 02:00 on 2024-03-10: that day starts at 05:00Z (EST)
        (utc(2024, 3, 10, 6, 59), "America/New_York", utc(2024, 3, 10, 5)),
        (utc(2024, 3, 10, 7, 0), "America/New_York", utc(2024, 3, 10, 5)),
        (utc(2024, 3, 11, 3, 59), "America/New_York", utc(2024, 3, 10, 5)),
        (utc(2024, 3, 11, 4, 0), "America/New_York", utc(2024, 3, 11, 4)),  # EDT from then
        # New York falls back at 02:00 on 2024-11-03: both 01:30s belong to the day that started at 04:00Z
        (utc(2024, 11, 3, 5, 30), "America/New_York", utc(2024, 11, 3, 4)),
        (utc(2024, 11, 3, 6, 30), "America/New_York", utc(2024, 11, 3, 4)),
        (utc(2024, 11, 4, 4, 59), "America/New_York", utc(2024, 11, 3, 4)),
        (utc(2024, 11, 4, 5, 0), "America/New_York", utc(2024, 11, 4, 5)),
        # Santiago skips midnight (00:00 -> 01:00 on 2024-09-08): the day starts at the change
        (utc(2024, 9, 8, 12), "America/Santiago", utc(2024, 9, 8, 4)),
        (utc(2024, 9, 8, 3, 59), "America/Santiago", utc(2024, 9, 7, 4)),
        # Apia skipped 2011-12-30 altogether
        (utc(2011, 12, 30, 12), "Pacific/Apia", utc(2011, 12, 30, 10)),
    ],
)
def test_local_day_start(now: datetime, tz: str, start: datetime) -> None:
    got = local_day_start(now, tz)
    assert got == start
    assert got.tzinfo is UTC
    assert got <= now < got + timedelta(hours=26)
    assert got.astimezone(ZoneInfo(tz)).date() == now.astimezone(ZoneInfo(tz)).date()


def test_local_days_are_23_and_25_hours_long_around_dst() -> None:
    ny = "America/New_York"
    spring = local_day_start(utc(2024, 3, 10, 12), ny)
    assert local_day_start(spring + timedelta(hours=23), ny) - spring == timedelta(hours=23)
    assert local_day_start(spring + timedelta(hours=22, minutes=59), ny) == spring
    fall = local_day_start(utc(2024, 11, 3, 12), ny)
    assert local_day_start(fall + timedelta(hours=25), ny) - fall == timedelta(hours=25)
    assert local_day_start(fall + timedelta(hours=24, minutes=59), ny) == fall


def test_local_day_start_accepts_any_aware_now_and_refuses_naive() -> None:
    paris_noon = datetime(2024, 7, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))
    assert local_day_start(paris_noon, "Europe/Paris") == utc(2024, 6, 30, 22)
    with pytest.raises(ValueError, match="aware"):
        local_day_start(datetime(2024, 7, 1, 12), "UTC")


# --- consecutive broker errors ---------------------------------------------------------------------


def test_register_broker_result_counts_and_disables_at_the_limit() -> None:
    count, reason = 0, None
    for expected in range(1, 5):
        count, reason = register_broker_result(count, ok=False, limit=5)
        assert (count, reason) == (expected, None)
    count, reason = register_broker_result(count, ok=False, limit=5)
    assert (count, reason) == (5, "trading disabled after 5 consecutive broker errors")
    count, reason = register_broker_result(count, ok=False, limit=5)
    assert count == 6 and reason is not None


def test_a_success_resets_the_count() -> None:
    assert register_broker_result(4, ok=True, limit=5) == (0, None)
    assert register_broker_result(0, ok=False, limit=5) == (1, None)
    assert register_broker_result(0, ok=False, limit=1) == (
        1,
        "trading disabled after 1 consecutive broker errors",
    )


def test_register_broker_result_refuses_a_zero_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        register_broker_result(0, ok=False, limit=0)


def test_the_disabled_reason_reaches_the_refusal() -> None:
    _, reason = register_broker_result(4, ok=False, limit=5)
    refusal = check_order(order(), account(disabled=reason), DEFAULTS)
    assert refusal is not None and refusal.code == RefusalCode.TRADING_DISABLED
    assert "5 consecutive broker errors" in refusal.message
