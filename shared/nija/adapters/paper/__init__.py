"""The paper broker: a deterministic market-data feed and a simulated book shared across processes.

    feed = PaperFeed(seed=7)                    # MarketData, pure in (seed, symbol, time)
    broker = PaperBroker.from_settings()        # Broker over the feed and the DynamoDB-backed book
    broker.seed_balances("u1", {"USD": Decimal("10000")})
    broker.account("u1").place_order(request)   # BrokerAccount

`nija.adapters.paper.dynamo` (the DynamoDB store) is imported only when it is used.
"""

from nija.adapters.paper.broker import PaperAccount, PaperBroker
from nija.adapters.paper.feed import PaperFeed
from nija.adapters.paper.store import MemoryPaperStore, PaperStore

__all__ = ["MemoryPaperStore", "PaperAccount", "PaperBroker", "PaperFeed", "PaperStore"]
