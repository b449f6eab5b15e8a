"""The order queue port: FIFO per user, deduplicated by message id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from nija.domain.messages import CancelOrder, PlaceOrder


class OrderQueue(Protocol):
    def send(self, message: PlaceOrder | CancelOrder) -> None: ...

    def send_batch(
        self, messages: Sequence[PlaceOrder | CancelOrder]
    ) -> list[tuple[PlaceOrder | CancelOrder, str]]:
        """Send them all, in as few requests as the queue allows; the messages it did not take, each
        with its error code (one refused message, or one failed request, holds back no other)."""
        ...
