"""Shared by both Broker adapters (ccxt and Alpaca): one account object per user and keys, in a
bounded LRU, and the user's keys read from the vault with its refusals as broker errors."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from nija.domain.credentials import BrokerCredentials
from nija.domain.errors import (
    BrokerAuthFailed,
    BrokerTemporaryError,
    InvalidOrder,
    NotFound,
    ServiceUnavailable,
)
from nija.domain.models import BrokerName

MAX_ACCOUNTS = 128

A = TypeVar("A")


class AccountCache(Generic[A]):
    """Accounts by (user, keys). The keys' fingerprint is an HMAC under a key that lives only in
    this process's memory: it identifies a key version without being a verifier of the secret."""

    _key = os.urandom(32)

    def __init__(self, max_entries: int = MAX_ACCOUNTS) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str], A] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def fingerprint(cls, credentials: BrokerCredentials) -> str:
        fields = json.dumps(credentials.secret_fields(), sort_keys=True, default=str).encode()
        return hmac.new(cls._key, fields, hashlib.sha256).hexdigest()

    def get(self, user_id: str, credentials: BrokerCredentials, build: Callable[[], A]) -> A:
        key = (user_id, self.fingerprint(credentials))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        built = build()  # outside the lock: building a client may import its library
        with self._lock:
            for stale in [k for k in self._items if k[0] == user_id and k != key]:
                del self._items[stale]  # the user's previous keys
            built = self._items.setdefault(key, built)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return built

    def __len__(self) -> int:
        return len(self._items)


def read_credentials(
    credentials_for: Callable[[str], BrokerCredentials], user_id: str, broker: BrokerName
) -> BrokerCredentials:
    """The user's keys for the broker, with the vault's refusals as broker errors: no keys is
    BrokerAuthFailed (code broker_not_connected), a vault that did not answer is temporary."""
    if not user_id:
        raise InvalidOrder(f"a {broker.value} account needs a user id")
    try:
        credentials = credentials_for(user_id)
    except NotFound:
        raise BrokerAuthFailed(
            f"no {broker.value} account is connected for this user", code="broker_not_connected"
        ) from None
    except ServiceUnavailable as exc:
        raise BrokerTemporaryError(f"the {broker.value} keys could not be read: {exc.message}") from None
    if credentials.broker is not broker:
        raise BrokerAuthFailed(f"the stored keys are for {credentials.broker.value}, not {broker.value}")
    return credentials
