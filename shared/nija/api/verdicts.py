"""The local stack's authorizer cache: verdicts per Authorization header, as API Gateway keeps them
for the authorizer's TTL, never past the token's own expiry; forgotten per user when the account's
standing changes (the cloud flushes its stage's cache: nija.adapters.apigateway_verdicts)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from nija.domain.models import Principal

MAX_ENTRIES = 10_000


class VerdictCache:
    def __init__(self, ttl_s: float | None = None, clock: Callable[[], float] = time.time) -> None:
        self._ttl_s = ttl_s
        self.clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, authorization: str) -> Principal | None:
        with self._lock:
            hit = self._entries.get(authorization)
        return hit[1] if hit and hit[0] > self.clock() else None

    @property
    def ttl_s(self) -> float:
        """The deployed authorizer's cache time (the catalogue's) unless given."""
        if self._ttl_s is not None:
            return self._ttl_s
        from nija.config import get_settings

        return float(get_settings().catalogue.authorizer_cache_seconds)

    def put(self, authorization: str, principal: Principal, token_expiry: float) -> None:
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[authorization] = (min(self.clock() + self.ttl_s, token_expiry), principal)

    def forget(self, user_id: str) -> None:
        with self._lock:
            for key in [k for k, (_, p) in self._entries.items() if p.user_id == user_id]:
                del self._entries[key]


LOCAL_VERDICTS = VerdictCache()  # the one cache of this process: its middleware's and its wiring's
