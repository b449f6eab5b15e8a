"""Per-user API request limits in the state table, shared by every function instance (the
RequestLimiter port; the rule is nija.domain.ratelimit's sliding-window log).

One item per user (keys.request_window_pk / WINDOW) holds the times of their requests admitted in the
last window, packed: the first time (8 bytes), then the gap to each next one (2 bytes: a window spans
less than 65.5 s), so a full enterprise window of 1,000 fits in about 2 KB. Admitting is optimistic:
read the window (strongly consistent), add the request, write it on condition that the stored window
is still the one read; on a lost race (two requests of one user at once), read again and retry. The
item expires (the table's TTL) when its newest request leaves the window, plus a minute: a missing
window is an empty one.

Each instance remembers the last window it read or wrote per user (the least recently seen forgotten
first, idle users dropped once their window is empty), but only to refuse: a remembered window can
only lack others' requests, so a refusal it makes would be one after a fresh read too, and costs
nothing. It never admits from memory: Lambda spreads a user's requests over many instances, so a
write from memory would mostly be refused (and charged) before the read it saves. An admitted request
costs one read and one write; a refusal, one read at most.
"""

from __future__ import annotations

import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from pynamodb.exceptions import PynamoDBException

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import RequestWindowItem
from nija.adapters.dynamo.writes import saved_if
from nija.domain.errors import ServiceUnavailable
from nija.domain.models import Tier
from nija.domain.ratelimit import Decision, RequestLimit, Window, admit, to_ms

MAX_ATTEMPTS = 10
MAX_REMEMBERED = 100_000  # users; a remembered window is at most ~2 KB in memory
TTL_SLACK_S = 60


def pack(window: Window) -> bytes:
    first, *rest = window.stamps
    gaps = [b - a for a, b in zip(window.stamps, rest, strict=False)]
    return struct.pack(f"<q{len(gaps)}H", first, *gaps)


def unpack(raw: bytes) -> Window:
    (first,) = struct.unpack_from("<q", raw)
    stamps = [first]
    for (gap,) in struct.iter_unpack("<H", raw[8:]):
        stamps.append(stamps[-1] + gap)
    return Window(tuple(stamps))


class DynamoRequestLimiter:
    def __init__(
        self,
        limits: Mapping[Tier, RequestLimit],
        *,
        clock: Callable[[], float] = time.time,
        max_attempts: int = MAX_ATTEMPTS,
        max_users: int = MAX_REMEMBERED,
    ) -> None:
        bind()
        self.limits = dict(limits)
        self._clock = clock
        self._max_attempts = max(1, max_attempts)
        self._max_users = max_users
        # The last window seen per user (None: no item), least recently seen first.
        self._known: OrderedDict[str, Window | None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many users this instance remembers."""
        return len(self._known)

    def acquire(self, user_id: str, tier: Tier) -> Decision:
        """Admit and record one request of the user, or refuse it (a refusal records nothing)."""
        limit = self.limits[tier]
        with self._lock:
            remembered = self._known.get(user_id)
        if remembered is not None:
            decision, _ = admit(remembered, limit, self._clock())
            if not decision.allowed:
                return decision
        try:
            for _ in range(self._max_attempts):
                stored = self._read(user_id)
                decision, window = admit(stored, limit, self._clock())
                if window is None:
                    self._remember(user_id, stored, limit)
                    return decision
                if self._write(user_id, window, stored, limit):
                    self._remember(user_id, window, limit)
                    return decision
                # another instance wrote it first: read it again
        except PynamoDBException as exc:
            raise ServiceUnavailable("the request limit could not be read or written") from exc
        # Lost every race: the user's requests are arriving faster than they can be counted.
        with self._lock:
            self._known.pop(user_id, None)
        return Decision(False, limit.count, 0, retry_after=1)

    def peek(self, user_id: str) -> Window | None:
        """The window as stored (a consistent read), None when there is none."""
        return self._read(user_id)

    def _read(self, user_id: str) -> Window | None:
        try:
            item = RequestWindowItem.get(
                keys.request_window_pk(user_id), keys.REQUEST_WINDOW, consistent_read=True
            )
        except RequestWindowItem.DoesNotExist:
            return None
        return unpack(item.stamps)

    def _write(self, user_id: str, window: Window, previous: Window | None, limit: RequestLimit) -> bool:
        item = RequestWindowItem(
            keys.request_window_pk(user_id),
            keys.REQUEST_WINDOW,
            stamps=pack(window),
            expires_at=-(-window.expires_at_ms(limit) // 1000) + TTL_SLACK_S,  # whole seconds, up
        )
        condition = (
            RequestWindowItem.pk.does_not_exist()
            if previous is None
            else RequestWindowItem.stamps == pack(previous)
        )
        return saved_if(item, condition)

    def _remember(self, user_id: str, window: Window | None, limit: RequestLimit) -> None:
        now_ms = to_ms(self._clock())
        with self._lock:
            known = self._known
            known[user_id] = window
            known.move_to_end(user_id)
            while known:  # the idle: every request of theirs has left the window
                oldest = next(iter(known.values()))
                if oldest is not None and oldest.expires_at_ms(limit) > now_ms:
                    break
                known.popitem(last=False)
            while len(known) > self._max_users:
                known.popitem(last=False)
