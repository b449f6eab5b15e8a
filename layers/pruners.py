"""Pruners: steps that trim a layer's installed packages (a ccxt of a few exchanges, alpaca-py without
an eager pandas import, no bundled test suites)."""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable
from pathlib import Path

Pruner = Callable[[Path], None]

CCXT_INIT = '''\
# -*- coding: utf-8 -*-
"""CCXT, trimmed for a NIJA Lambda layer (layers/build.py) to: {names}.

The upstream ccxt/__init__.py imports every exchange (~100 modules); this one imports the base
classes, the errors and the exchanges above. Every other exchange, ccxt.async_support, ccxt.pro and
the tests are not in this layer.
"""

__version__ = {version!r}

from ccxt.base.exchange import Exchange  # noqa: F401
from ccxt.base.precise import Precise  # noqa: F401
from ccxt.base.decimal_to_precision import (  # noqa: F401
    DECIMAL_PLACES,
    NO_PADDING,
    PAD_WITH_ZERO,
    ROUND,
    ROUND_DOWN,
    ROUND_UP,
    SIGNIFICANT_DIGITS,
    TICK_SIZE,
    TRUNCATE,
    decimal_to_precision,
)
from ccxt.base import errors  # noqa: F401
from ccxt.base.errors import *  # noqa: F401,F403  (errors.__all__: BaseError and its subclasses)

{imports}

exchanges = {exchanges!r}

base = [
    'Exchange',
    'Precise',
    'exchanges',
    'decimal_to_precision',
]

__all__ = base + errors.__all__ + exchanges
'''

# What stays of the ccxt package besides the kept exchanges' modules: the sync base classes, and
# static_dependencies (pure Python, <1 MB, imported lazily by some base methods).
CCXT_KEEP = ("__init__.py", "base", "static_dependencies", "abstract")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def trim_ccxt(site: Path, exchanges: tuple[str, ...]) -> None:
    """Keep only ``exchanges`` of ccxt: their modules and abstract APIs, the sync base classes, and a
    new ``ccxt/__init__.py`` that imports nothing else."""
    package = site / "ccxt"
    upstream = (package / "__init__.py").read_text()
    version = re.search(r"^__version__ = '([^']+)'", upstream, re.MULTILINE)
    if version is None:
        raise RuntimeError("ccxt/__init__.py has no __version__: the trimming recipe needs a look")
    for exchange in exchanges:
        for module in (package / f"{exchange}.py", package / "abstract" / f"{exchange}.py"):
            if not module.is_file():
                raise RuntimeError(f"ccxt {version[1]} has no {module.relative_to(site)}")
        if f"from ccxt.{exchange} import {exchange} " not in upstream:
            raise RuntimeError(f"ccxt {version[1]} does not export the exchange {exchange}")
    keep = {*CCXT_KEEP, *(f"{exchange}.py" for exchange in exchanges)}
    for entry in package.iterdir():
        if entry.name not in keep:
            _remove(entry)
    keep_abstract = {"__init__.py", *(f"{exchange}.py" for exchange in exchanges)}
    for entry in (package / "abstract").iterdir():
        if entry.name not in keep_abstract:
            _remove(entry)
    for tests in [p for p in package.rglob("*") if p.is_dir() and p.name in ("test", "tests")]:
        shutil.rmtree(tests, ignore_errors=True)
    init = package / "__init__.py"
    init.unlink()  # never write through a hard link
    init.write_text(
        CCXT_INIT.format(
            names=", ".join(exchanges),
            version=version[1],
            imports="\n".join(f"from ccxt.{e} import {e}  # noqa: F401" for e in exchanges),
            exchanges=list(exchanges),
        )
    )


def keep_ccxt_exchanges(*exchanges: str) -> Pruner:
    return functools.partial(trim_ccxt, exchanges=exchanges)


ALPACA_REQUESTS = Path("alpaca", "trading", "requests.py")
PANDAS_IMPORT = "import pandas as pd\n"
LAZY_PANDAS = '''\
class _LazyPandas:
    """NIJA layer (layers/build.py): pandas loads on first use, not with the trading module.
    Only GetCorporateAnnouncementsRequest's validator uses it (pd.Timestamp)."""

    def __getattr__(self, name):
        import pandas

        return getattr(pandas, name)


pd = _LazyPandas()
'''


def lazy_pandas_in_alpaca_trading(site: Path) -> None:
    """alpaca.trading.requests imports pandas (~0.5 s) for one validator that NIJA never runs; the
    rest of alpaca.trading (client, models, enums) never touches pandas. Import it on first use."""
    path = site / ALPACA_REQUESTS
    text = path.read_text()
    if text.count(PANDAS_IMPORT) != 1 or text.count("pd.") != 2 or "from pandas" in text:
        raise RuntimeError(f"{ALPACA_REQUESTS} uses pandas differently now: the lazy import needs a look")
    path.unlink()
    path.write_text(text.replace(PANDAS_IMPORT, LAZY_PANDAS))


def drop_tests(*packages: str) -> Pruner:
    """Remove the test suites that ship inside ``packages`` (pandas/tests alone is ~30 MB)."""

    def prune(site: Path) -> None:
        for package in packages:
            for tests in [p for p in (site / package).rglob("tests") if p.is_dir()]:
                shutil.rmtree(tests, ignore_errors=True)

    return prune
