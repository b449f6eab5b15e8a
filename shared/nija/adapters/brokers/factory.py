"""A broker adapter by name: the paper broker on its DynamoDB book, alpaca through alpaca-py, the
exchanges through ccxt, each within the broker's request budgets shared through the state table.
Only the chosen broker's client library is imported."""

from __future__ import annotations

from collections.abc import Callable

from nija.config import Settings
from nija.domain.credentials import BrokerCredentials
from nija.domain.models import BrokerName
from nija.ports.broker import Broker


def broker_for(
    name: BrokerName, settings: Settings, credentials: Callable[[str], BrokerCredentials]
) -> Broker:
    if name is BrokerName.PAPER:
        from nija.adapters.paper.broker import PaperBroker

        return PaperBroker.from_settings(settings)
    from nija.adapters.brokers.throttle import throttle_for
    from nija.adapters.dynamo.throttle import DynamoTokenBuckets

    throttle = throttle_for(name, DynamoTokenBuckets(), max_wait_s=settings.broker_throttle_wait_s)
    if name is BrokerName.ALPACA:
        from nija.adapters.brokers.alpaca_broker import AlpacaBroker

        return AlpacaBroker(credentials, throttle=throttle)
    from nija.adapters.brokers.ccxt_broker import CcxtBroker

    return CcxtBroker(name, credentials, throttle=throttle)
