"""Which fields a settings save changed, as the audit event lists them."""

from __future__ import annotations

from decimal import Decimal

from nija.domain.models import BrokerName
from nija.domain.risk import UserRiskSettings
from nija.domain.settings import StrategySettings
from nija.domain.strategies import DualRsiSettings
from nija.logic.settings import UserSettings, changes


def test_nothing_changed() -> None:
    assert changes(UserSettings(), UserSettings()) == {}


def test_leaf_paths_with_json_values_in_path_order() -> None:
    new = UserSettings(
        strategy=StrategySettings(
            enabled=True,
            brokers=(BrokerName.PAPER,),
            symbols=("BTC/USD",),
            thresholds=DualRsiSettings(stop_loss=Decimal("0.03")),
        ),
        risk=UserRiskSettings(time_zone="Asia/Tokyo"),
    )
    assert changes(UserSettings(), new) == {
        "risk.time_zone": ("UTC", "Asia/Tokyo"),
        "strategy.brokers": ([], ["paper"]),
        "strategy.enabled": (False, True),
        "strategy.symbols": ([], ["BTC/USD"]),
        "strategy.thresholds.stop_loss": ("0.02", "0.03"),
    }


def test_an_equal_decimal_written_differently_is_no_change() -> None:
    a = UserSettings(risk=UserRiskSettings(max_total_exposure=Decimal("1.0")))
    b = UserSettings(risk=UserRiskSettings(max_total_exposure=Decimal("1")))
    assert changes(a, b) == {}
