from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from nija.domain.models import BrokerName, Position, Side
from nija.domain.risk import AccountView, OrderCheck, RefusalCode, RiskSettings, TradingMode
from nija.logic.risk import check_order, local_day_start, reduces_exposure

FAST = settings(max_examples=100, deadline=None)

BROKERS = [BrokerName.PAPER, BrokerName.KRAKEN, BrokerName.BINANCE]
SYMBOLS = ["BTC/USD", "ETH/USD", "SOL/USD"]


def dec(lo: str, hi: str, places: int = 4) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(lo), max_value=Decimal(hi), places=places)


positive_qty = dec("0.0001", "50")
price = dec("0.01", "5000", 2)


@st.composite
def positions(draw: st.DrawFn) -> tuple[Position, ...]:
    keys = draw(
        st.lists(st.sampled_from([(b, s) for b in BROKERS for s in SYMBOLS]), unique=True, max_size=6)
    )
    return tuple(
        Position(
            user_id="u",
            broker=b,
            symbol=s,
            quantity=draw(dec("-50", "50")),
            average_price=draw(price),
        )
        for b, s in keys
    )


@st.composite
def accounts(draw: st.DrawFn, mode: st.SearchStrategy[TradingMode] | None = None) -> AccountView:
    held = draw(positions())
    marks = {f"{p.broker}:{p.symbol}": draw(price) for p in held if draw(st.booleans())}
    return AccountView(
        equity=draw(dec("-1000", "1000000", 2)),
        day_start_equity=draw(st.none() | dec("-1000", "1000000", 2)),
        free_quote_balance=draw(dec("0", "1000000", 2)),
        positions=held,
        marks=marks,
        mode=draw(mode if mode is not None else st.sampled_from(list(TradingMode))),
        disabled_reason=draw(st.none() | st.just("broker errors")),
    )


risk_settings = st.builds(
    RiskSettings,
    position_share=dec("0.02", "0.10"),
    max_open_positions=st.integers(1, 50),
    daily_loss_limit=dec("0.0001", "0.5"),
    max_total_exposure=dec("0.0001", "3"),
)


orders = st.builds(
    OrderCheck,
    broker=st.sampled_from(BROKERS),
    symbol=st.sampled_from(SYMBOLS),
    side=st.sampled_from(list(Side)),
    quantity=positive_qty,
    price=price,
    fee_rate=dec("0", "0.01"),
)


@st.composite
def reducing_cases(draw: st.DrawFn) -> tuple[OrderCheck, AccountView]:
    account = draw(accounts(mode=st.just(TradingMode.ACTIVE))).model_copy(update={"disabled_reason": None})
    b, s = draw(st.sampled_from(BROKERS)), draw(st.sampled_from(SYMBOLS))
    held = draw(dec("-50", "50").filter(lambda q: q != 0))
    others = tuple(p for p in account.positions if (p.broker, p.symbol) != (b, s))
    mine = Position(user_id="u", broker=b, symbol=s, quantity=held, average_price=draw(price))
    qty = draw(dec("0.0001", str(abs(held))))
    order = OrderCheck(
        broker=b,
        symbol=s,
        side=Side.SELL if held > 0 else Side.BUY,
        quantity=qty,
        price=draw(price),
        fee_rate=draw(dec("0", "0.01")),
    )
    return order, account.model_copy(update={"positions": (*others, mine)})


@FAST
@given(reducing_cases(), risk_settings)
def test_an_order_that_reduces_exposure_is_never_refused_when_active(
    case: tuple[OrderCheck, AccountView], s: RiskSettings
) -> None:
    order, account = case
    assert check_order(order, account, s) is None


@FAST
@given(orders, accounts(), risk_settings)
def test_check_order_is_deterministic_and_ignores_the_order_of_positions(
    order: OrderCheck, account: AccountView, s: RiskSettings
) -> None:
    first = check_order(order, account, s)
    assert check_order(order, account, s) == first
    shuffled = account.model_copy(update={"positions": tuple(reversed(account.positions))})
    assert check_order(order, shuffled, s) == first
    rebuilt = AccountView.model_validate(account.model_dump(mode="json"))
    assert check_order(OrderCheck.model_validate(order.model_dump(mode="json")), rebuilt, s) == first


@FAST
@given(orders, accounts(), risk_settings)
def test_refusals_carry_a_documented_code_and_follow_the_switches(
    order: OrderCheck, account: AccountView, s: RiskSettings
) -> None:
    refusal = check_order(order, account, s)
    if refusal is not None:
        assert refusal.code in set(RefusalCode) and refusal.message
    if account.disabled_reason is not None:
        assert refusal is not None and refusal.code == "trading_disabled"
    elif account.mode is TradingMode.HALTED:
        assert refusal is not None and refusal.code == "kill_switch_halted"
    elif account.mode is TradingMode.REDUCING and refusal is None:
        current = sum(
            (p.quantity for p in account.positions if (p.broker, p.symbol) == (order.broker, order.symbol)),
            Decimal(0),
        )
        assert reduces_exposure(current, order.side, order.quantity)


@FAST
@given(orders, accounts(mode=st.just(TradingMode.ACTIVE)), risk_settings, st.data())
def test_a_smaller_buy_passes_when_a_larger_one_does(
    order: OrderCheck, account: AccountView, s: RiskSettings, data: st.DataObject
) -> None:
    buy = order.model_copy(update={"side": Side.BUY})
    if check_order(buy, account, s) is not None:
        return
    smaller = data.draw(dec("0.0001", str(buy.quantity)))
    assert check_order(buy.model_copy(update={"quantity": smaller}), account, s) is None


ZONES = [
    "UTC",
    "America/New_York",
    "Asia/Kolkata",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Santiago",
]


@FAST
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(ZONES),
)
def test_local_day_start_is_the_first_instant_of_the_local_day(now: datetime, tz: str) -> None:
    start = local_day_start(now, tz)
    assert start <= now < start + timedelta(hours=25, seconds=1)
    assert local_day_start(start, tz) == start
    before = start - timedelta(seconds=1)
    assert local_day_start(before, tz) < start
