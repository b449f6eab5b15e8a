"""The sliding-window rule of the API's per-user limits (nija.domain.ratelimit) and its packing."""

from __future__ import annotations

import pytest

from nija.adapters.dynamo.request_limits import pack, unpack
from nija.domain.ratelimit import RequestLimit, Window, admit, floor_ms, to_ms

BASIC = RequestLimit(60)


def test_a_clock_behind_counts_from_the_windows_newest_time() -> None:
    window = Window((10_000, 70_000))
    decision, stored = admit(window, BASIC, now=65.0)  # 5 s behind the newest request
    assert decision.allowed
    assert stored == Window((70_000, 70_000))  # 10_000 left the window of the newest time
    assert stored.stamps[-1] - stored.stamps[0] < BASIC.window_ms


def test_a_refusal_stores_nothing_and_waits_for_the_oldest() -> None:
    window = Window(tuple(range(1_000, 61_000, 1_000)))
    decision, stored = admit(window, BASIC, now=60.5)
    assert stored is None
    assert (decision.allowed, decision.remaining, decision.retry_after) == (False, 0, 1)
    assert admit(window, BASIC, now=61.0)[0].allowed  # 1_000 leaves at 61_000 exactly


def test_a_lower_tier_keeps_the_newest_requests() -> None:
    window = Window(tuple(range(100)))
    assert admit(window, RequestLimit(300), now=0.1)[0].remaining == 199
    decision, stored = admit(window, RequestLimit(60), now=0.1)
    assert not decision.allowed and stored is None


@pytest.mark.parametrize("stamps", [(5,), (1_700_000_000_000, 1_700_000_000_000, 1_700_000_059_999)])
def test_a_window_packs_in_8_bytes_and_2_a_request_more(stamps: tuple[int, ...]) -> None:
    raw = pack(Window(stamps))
    assert len(raw) == 8 + 2 * (len(stamps) - 1)
    assert unpack(raw) == Window(stamps)


def test_times_round_up_to_the_millisecond() -> None:
    assert to_ms(1000.0) == 1_000_000
    assert to_ms(1000.2) == floor_ms(1000.2) == 1_000_200  # float noise is not a millisecond
    assert to_ms(1000.0001) == 1_000_001  # recorded never earlier than it came


def test_a_slot_never_frees_before_a_whole_window_has_passed() -> None:
    _, first = admit(None, RequestLimit(1), now=0.0009)  # recorded at 1 ms
    assert not admit(first, RequestLimit(1), now=60.0005)[0].allowed  # 59.9996 s later: still inside
    assert admit(first, RequestLimit(1), now=60.001)[0].allowed  # free within a millisecond of due
