"""The vault's check of a user's broker keys before they are sealed.

It proves the keys work with a balance call through the client the executor uses, then asks the
broker what the key may do, where the broker says:

- coinbase: GET /api/v3/brokerage/key_permissions (can_view, can_trade, can_transfer)
- binance:  GET /sapi/v1/account/apiRestrictions (enableReading, enableSpotAndMarginTrading,
            enableWithdrawals)
- kraken:   no such endpoint: trade and withdraw unknown (None)
- alpaca:   trading keys cannot withdraw through the trading API; trade while the account is ACTIVE;
            a blocked account is refused
- paper:    the paper broker's balances; it can trade and never withdraw

Whether a key that may withdraw is acceptable is the vault's decision: this only reports it.
Every broker error arrives as the taxonomy's (BrokerAuthFailed for bad keys), never quoting a secret.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from nija.adapters.brokers import secret_values
from nija.domain.credentials import (
    AlpacaCredentials,
    BrokerCredentials,
    PaperCredentials,
    Permission,
    mask,
)
from nija.domain.errors import BrokerAuthFailed, InvalidInput
from nija.domain.models import BrokerName, Frozen
from nija.ports.broker import Balance

if TYPE_CHECKING:
    from nija.adapters.brokers.ccxt_client import CcxtCredentials

log = logging.getLogger(__name__)


class KeyCheck(Frozen):
    permission: Permission
    balances: dict[str, Balance]  # non-zero assets only


def check_credentials(credentials: BrokerCredentials, *, user_id: str) -> KeyCheck:
    """Check the keys against their broker; raises a BrokerError (BrokerAuthFailed: bad keys)."""
    if not user_id:
        raise InvalidInput("a key check needs the user's id", field="user_id")
    if isinstance(credentials, PaperCredentials):
        result = _check_paper(user_id)
    elif isinstance(credentials, AlpacaCredentials):
        result = _check_alpaca(credentials)
    else:
        result = _check_ccxt(credentials)
    log.info(
        "broker key checked",
        extra={
            "user_id": user_id,
            "broker": credentials.broker.value,
            "key": mask(credentials.key_id),
            "permission": result.permission.model_dump(),
            "assets": len(result.balances),
        },
    )
    return result


def _check_paper(user_id: str) -> KeyCheck:
    from nija.adapters.paper.broker import PaperBroker

    balances = PaperBroker.from_settings().account(user_id).balances()
    return KeyCheck(
        permission=Permission(read=True, trade=True, withdraw=False),
        balances={k: b for k, b in balances.items() if b.total or b.free},
    )


def _check_ccxt(credentials: CcxtCredentials) -> KeyCheck:
    from nija.adapters.brokers.ccxt_client import build_exchange, fetch_balances, translated

    broker = credentials.broker
    with translated(broker, secrets=secret_values(credentials)):
        exchange = build_exchange(credentials)
        balances = fetch_balances(exchange)
        if broker is BrokerName.COINBASE:
            permission = _coinbase_permission(exchange.v3_private_get_brokerage_key_permissions())
        elif broker is BrokerName.BINANCE:
            permission = _binance_permission(exchange.sapi_get_account_apirestrictions())
        else:  # kraken reports no key permissions; the balance call proved the key reads
            permission = Permission(read=True, trade=None, withdraw=None)
    return KeyCheck(permission=permission, balances=balances)


def _flag(answer: Any, name: str) -> bool | None:
    value = answer.get(name) if isinstance(answer, dict) else None
    return value if isinstance(value, bool) else None


def _coinbase_permission(answer: Any) -> Permission:
    # {"can_view": true, "can_trade": true, "can_transfer": false, "portfolio_uuid": ..., ...}
    return Permission(
        read=_flag(answer, "can_view") is not False,
        trade=_flag(answer, "can_trade"),
        withdraw=_flag(answer, "can_transfer"),
    )


def _binance_permission(answer: Any) -> Permission:
    # {"ipRestrict": false, "enableReading": true, "enableSpotAndMarginTrading": true,
    #  "enableWithdrawals": false, ...}
    return Permission(
        read=_flag(answer, "enableReading") is not False,
        trade=_flag(answer, "enableSpotAndMarginTrading"),
        withdraw=_flag(answer, "enableWithdrawals"),
    )


def _check_alpaca(credentials: AlpacaCredentials) -> KeyCheck:
    from alpaca.trading.enums import AccountStatus

    from nija.adapters.brokers.alpaca_client import account_balances, build_trading_client, translated

    with translated(secrets=secret_values(credentials)):
        client = build_trading_client(credentials)
        account: Any = client.get_account()
        if account.account_blocked or account.trading_blocked:
            blocked = "account" if account.account_blocked else "trading"
            raise BrokerAuthFailed(
                f"alpaca accepted the key but the account's {blocked} is blocked: "
                "resolve it with Alpaca before connecting this account"
            )
        positions: Any = client.get_all_positions()
    trade = account.status == AccountStatus.ACTIVE and not account.trade_suspended_by_user
    return KeyCheck(
        permission=Permission(read=True, trade=trade, withdraw=False),
        balances=account_balances(account, positions),
    )
