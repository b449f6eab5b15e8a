"""Deterministic ids: the same request always maps to the same intent and client order id."""

from __future__ import annotations

import hashlib

_SEP = "\x1f"


def intent_id(user_id: str, source: str, symbol: str, side: str) -> str:
    """A hash of user, source (manual request id, or strategy + symbol + candle time), symbol and side."""
    digest = hashlib.sha256(_SEP.join((user_id, source, symbol, side)).encode()).hexdigest()
    return f"int_{digest[:32]}"


def client_order_id(intent: str) -> str:
    """The id sent to the broker: short, alphanumeric and derived from the intent id.

    Exchanges cap the field (Binance 36, Kraken's cl_ord_id 36, Coinbase/Alpaca UUID-sized), so 32
    characters with a prefix stay inside every limit.
    """
    return "nj" + hashlib.sha256(intent.encode()).hexdigest()[:30]


def manual_source(request_id: str) -> str:
    return f"manual:{request_id}"


def bucket_of(key: str, buckets: int) -> int:
    """One of `buckets` for the key: stable across processes and releases, and even across keys."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % buckets
