"""GET and PUT /v1/settings: the caller's strategy settings (what the scan trades for them) and risk
settings (what every order is checked against), shown and replaced together."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict

from nija import wiring
from nija.api.auth import current_principal
from nija.api.routers.auth import client_ip
from nija.api.standing import Acting
from nija.domain.models import Principal
from nija.domain.risk import UserRiskSettings
from nija.domain.settings import StrategySettings
from nija.logic.settings import SettingsService, UserSettings

router = APIRouter(prefix="/v1", tags=["settings"])
SettingsServiceDep = Annotated[SettingsService, Depends(wiring.settings_service)]
Caller = Annotated[Principal, Depends(current_principal)]


class SettingsIn(BaseModel):
    """Both parts are required; inside each, a field left out takes its default (PUT replaces)."""

    model_config = ConfigDict(extra="forbid")

    strategy: StrategySettings
    risk: UserRiskSettings


EXAMPLES: dict[str, Any] = {
    "enable": {
        "summary": "trade BTC and ETH on the paper broker every 5 minutes",
        "value": {
            "strategy": {
                "enabled": True,
                "strategy": "dual_rsi",
                "brokers": ["paper"],
                "symbols": ["BTC/USD", "ETH/USD"],
                "timeframe": "5m",
                "thresholds": {
                    "oversold": 30,
                    "midline": 50,
                    "overbought": 70,
                    "stop_loss": "0.02",
                    "take_profit": "0.04",
                },
            },
            "risk": {
                "position_share": "0.05",
                "max_open_positions": 5,
                "daily_loss_limit": "0.05",
                "max_total_exposure": "1",
                "time_zone": "Europe/Paris",
            },
        },
    },
    "disable": {"summary": "stop the strategy, default risk", "value": {"strategy": {}, "risk": {}}},
}


@router.get("/settings", response_model=UserSettings)
def get_settings(caller: Caller, settings_service: SettingsServiceDep) -> UserSettings:
    """The caller's strategy and risk settings; the defaults (strategy disabled) until they save any."""
    return settings_service.get(caller.user_id)


@router.put("/settings", response_model=UserSettings)
def put_settings(
    caller: Acting,
    request: Request,
    body: Annotated[SettingsIn, Body(openapi_examples=EXAMPLES)],
    settings_service: SettingsServiceDep,
) -> UserSettings:
    """Replace the caller's settings. Send both `strategy` and `risk`; inside each, a field left out
    takes its default (what GET shows a new user). Fractions and money are JSON strings (numbers are
    accepted). Enabling needs at least one broker and one symbol, every symbol traded on every listed
    broker, and every listed broker connected (PUT /v1/brokers/{broker}/credentials first): otherwise
    422 with `field` naming the culprit, e.g. `strategy.brokers` (code broker_not_connected) or
    `risk.position_share`. Every change is audited (action settings.update, the changed fields with
    old and new values). The scan picks a change up at its next run."""
    settings = UserSettings(strategy=body.strategy, risk=body.risk)
    return settings_service.put(caller.user_id, settings, client_ip(request))
