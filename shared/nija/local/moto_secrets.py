"""Secrets Manager in moto finds a secret by name in constant time.

moto's SecretsStore is a dict keyed by secret name, but every lookup first walks all its secrets
comparing names and ARNs: with a secret per user, each call costs time in proportion to the users
(the local stack's `nija migrate` of 1,000 users spent seconds in it). AWS answers in constant time;
so does this: the name first, then moto's own walk for an ARN or a partial ARN."""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.secretsmanager.models import SecretsStore

    if getattr(SecretsStore.__getitem__, "nija_by_name", False):
        return
    walk_get, walk_contains, walk_lookup, walk_pop = (
        SecretsStore.__getitem__,
        SecretsStore.__contains__,
        SecretsStore.get,
        SecretsStore.pop,
    )

    def getitem(self: Any, key: str) -> Any:
        return dict.__getitem__(self, key) if dict.__contains__(self, key) else walk_get(self, key)

    def contains(self: Any, key: str) -> bool:
        return dict.__contains__(self, key) or walk_contains(self, key)

    def lookup(self: Any, key: str) -> Any:
        return dict.__getitem__(self, key) if dict.__contains__(self, key) else walk_lookup(self, key)

    def pop(self: Any, key: str) -> Any:
        return dict.pop(self, key) if dict.__contains__(self, key) else walk_pop(self, key)

    for name, fn in (("__getitem__", getitem), ("__contains__", contains), ("get", lookup), ("pop", pop)):
        fn.nija_by_name = True  # type: ignore[attr-defined]
        setattr(SecretsStore, name, fn)
