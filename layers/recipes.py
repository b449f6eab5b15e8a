"""The layer recipes: what each layer holds, and which layers each function gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from layers.paths import LAYERS_DIR
from layers.pruners import Pruner, drop_tests, keep_ccxt_exchanges, lazy_pandas_in_alpaca_trading

# The runtime provides these; shipping a second copy only costs size and can shadow its version.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")

# The exchanges NIJA trades through ccxt (nija.adapters.brokers.ccxt_client.EXCHANGE_IDS; a test
# checks the two agree). Each gets a layer of its own: ccxt-<exchange>.
CCXT_EXCHANGES = ("coinbase", "kraken", "binance")


@dataclass(frozen=True)
class Layer:
    name: str
    requirements: tuple[Path, ...]
    description: str
    include_nija: bool = False
    # pip --no-deps: the requirements list every distribution the layer needs (ccxt: its sync
    # client's dependencies, not the aiohttp stack that only ccxt.async_support and ccxt.pro use).
    no_deps: bool = False
    # A layer deployed beside this one in every function: distributions it holds are left out here.
    base: str | None = None
    exclude: tuple[str, ...] = RUNTIME_PROVIDED
    prune: tuple[Pruner, ...] = field(default=())
    # Part of the cache key: describe what the pruners do, so changing them rebuilds.
    prune_key: str = ""


def _ccxt_layer(name: str, exchanges: tuple[str, ...]) -> Layer:
    return Layer(
        name,
        (LAYERS_DIR / "ccxt" / "requirements.txt",),
        description=f"NIJA {name}: ccxt trimmed to {', '.join(exchanges)}, requests",
        no_deps=True,
        base="common",
        prune=(keep_ccxt_exchanges(*exchanges),),
        prune_key=f"ccxt:{','.join(exchanges)}",
    )


LAYERS: dict[str, Layer] = {
    "common": Layer(
        "common",
        (LAYERS_DIR / "common" / "requirements.txt",),
        description="NIJA common: powertools, pydantic, fastapi, mangum, pynamodb, pyjwt, nija",
        include_nija=True,
    ),
    # One per ccxt broker, for its executor.
    **{f"ccxt-{e}": _ccxt_layer(f"ccxt-{e}", (e,)) for e in CCXT_EXCHANGES},
    # Every ccxt broker: trading_api checks a user's keys against any of them.
    "ccxt": _ccxt_layer("ccxt", CCXT_EXCHANGES),
    "alpaca": Layer(
        "alpaca",
        (LAYERS_DIR / "alpaca" / "requirements.txt",),
        description="NIJA alpaca: alpaca-py (pandas loaded on first use), pandas, numpy, requests",
        base="common",
        prune=(lazy_pandas_in_alpaca_trading, drop_tests("pandas", "numpy")),
        prune_key="alpaca:lazy-pandas;drop-tests:pandas,numpy",
    ),
}


# Each executor's layers besides common, by broker (nija.domain.models.BrokerName's values): its
# broker's client library, and of ccxt only its exchange. The paper broker needs none.
EXECUTOR_LAYERS: dict[str, tuple[str, ...]] = {
    **{exchange: (f"ccxt-{exchange}",) for exchange in CCXT_EXCHANGES},
    "alpaca": ("alpaca",),
    "paper": (),
}
# trading_api checks a user's keys with the broker's own client (nija.adapters.brokers.key_check).
TRADING_API_LAYERS = ("ccxt", "alpaca")
