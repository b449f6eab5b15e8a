"""Per-user request limits of the API, shared by every instance of every API function
(nija.domain.ratelimit's rule)."""

from __future__ import annotations

from typing import Protocol

from nija.domain.models import Tier
from nija.domain.ratelimit import Decision


class RequestLimiter(Protocol):
    def acquire(self, user_id: str, tier: Tier) -> Decision:
        """Admit and record one request of the user within their tier's limit, or refuse it (a
        refusal records nothing). ServiceUnavailable when the count cannot be read or written."""
        ...
