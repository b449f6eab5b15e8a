"""Kill switches and circuit breakers in the state table: read with strongly consistent reads by
every executor before every submit, written with conditions so instances never overwrite each other.
The platform's sit in one partition, a user's own switch in the user's (keys.switch_key).
"""

from __future__ import annotations

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.mapping import breaker_from, switch_from
from nija.adapters.dynamo.models import BreakerItem, StateItem, SwitchItem
from nija.adapters.dynamo.writes import Delete, Save, saved_if, write
from nija.domain.audit import AuditEvent
from nija.domain.standing import AccountGuard, active
from nija.domain.switches import Breaker, KillSwitch, SwitchScope


def _owner(scope: SwitchScope, target: str) -> AccountGuard | None:
    """A user's own switch is the user acting (its audit event is in their partition's outbox)."""
    return active(target) if scope is SwitchScope.USER else None


class DynamoControls:
    def __init__(self) -> None:
        bind()

    # kill switches
    def engage(self, switch: KillSwitch, audit: AuditEvent | None = None) -> None:
        pk, sk = keys.switch_key(switch.scope, switch.target)
        item = SwitchItem(
            pk,
            sk,
            scope=switch.scope.value,
            target=switch.target,
            mode=switch.mode,
            engaged_by=switch.engaged_by,
            reason=switch.reason,
            engaged_at=switch.engaged_at,
        )
        write([Save(item)], audit, account=_owner(switch.scope, switch.target))

    def release(self, scope: SwitchScope, target: str, audit: AuditEvent | None = None) -> None:
        pk, sk = keys.switch_key(scope, target)
        write([Delete(SwitchItem(pk, sk))], audit, account=_owner(scope, target))

    def switch(self, scope: SwitchScope, target: str) -> KillSwitch | None:
        pk, sk = keys.switch_key(scope, target)
        try:
            return switch_from(SwitchItem.get(pk, sk, consistent_read=True))
        except SwitchItem.DoesNotExist:
            return None

    def switches_for(self, user_id: str, broker: str) -> list[KillSwitch]:
        """The switches that apply to one user's order at one broker: one consistent BatchGetItem."""
        from nija.adapters.dynamo.batch import batch_get

        wanted = [
            keys.switch_key(SwitchScope.GLOBAL, "global"),
            keys.switch_key(SwitchScope.BROKER, broker),
            keys.switch_key(SwitchScope.USER, user_id),
        ]
        found = batch_get(wanted)
        return [switch_from(SwitchItem.from_raw_data(found[key])) for key in wanted if key in found]

    def platform_switches(self) -> list[KillSwitch]:
        return [
            switch_from(i)
            for i in SwitchItem.query(
                keys.CONTROL, SwitchItem.sk.startswith(keys.SWITCH_PREFIX), consistent_read=True
            )
        ]

    # circuit breakers
    def breaker(self, broker: str) -> Breaker:
        try:
            return breaker_from(BreakerItem.get(keys.CONTROL, keys.breaker_sk(broker), consistent_read=True))
        except BreakerItem.DoesNotExist:
            return Breaker(broker=broker)

    def put_breaker(self, breaker: Breaker) -> bool:
        """Store if nobody changed it since it was read (version); False on a lost race."""
        item = BreakerItem(
            keys.CONTROL,
            keys.breaker_sk(breaker.broker),
            broker=breaker.broker,
            state=breaker.state.value,
            failures=breaker.failures,
            opened_at=breaker.opened_at,
            probe_until=breaker.probe_until,
            version=breaker.version,
        )
        previous = breaker.version - 1
        condition = StateItem.pk.does_not_exist() if previous == 0 else BreakerItem.version == previous
        return saved_if(item, condition)

    def breakers(self) -> list[Breaker]:
        return [
            breaker_from(i)
            for i in BreakerItem.query(
                keys.CONTROL, BreakerItem.sk.startswith(keys.BREAKER_PREFIX), consistent_read=True
            )
        ]
