"""What the strategy scan reads of its users, in BatchGetItem requests of 100 keys: each user's
profile (trading disabled?), own kill switch, permissions and positions on the scanned series; and the
platform's global and per-broker kill switches."""

from __future__ import annotations

from collections.abc import Sequence

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.batch import batch_get
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.controls import DynamoControls
from nija.adapters.dynamo.keys import switch_key
from nija.adapters.dynamo.mapping import permissions_from, position_from, switch_from, user_from
from nija.adapters.dynamo.models import PermissionsItem, PositionItem, SwitchItem, UserItem
from nija.domain.models import BrokerName, User, UserStatus
from nija.domain.permissions import UserPermissions
from nija.domain.risk import TradingMode, strictest
from nija.domain.switches import SwitchScope
from nija.logic.scan import UserScanState


class DynamoUserStates:
    def __init__(self) -> None:
        bind()

    def read(
        self, users: Sequence[str], series: Sequence[tuple[BrokerName, str]]
    ) -> dict[str, UserScanState]:
        wanted: list[tuple[str, str]] = []
        for user_id in users:
            pk = keys.user_pk(user_id)
            wanted += [(pk, keys.PROFILE), (pk, keys.PERMISSIONS), switch_key(SwitchScope.USER, user_id)]
            wanted += [(pk, keys.position_sk(b.value, s)) for b, s in series]
        found = batch_get(wanted)
        states: dict[str, UserScanState] = {}
        for user_id in users:
            pk = keys.user_pk(user_id)
            profile = found.get((pk, keys.PROFILE))
            if profile is None:  # settings without a profile: a deleted user; nothing to trade for
                continue
            switch = found.get(switch_key(SwitchScope.USER, user_id))
            permissions = found.get((pk, keys.PERMISSIONS))
            positions = {}
            for broker, symbol in series:
                raw = found.get((pk, keys.position_sk(broker.value, symbol)))
                if raw is not None:
                    positions[(broker, symbol)] = position_from(PositionItem.from_raw_data(raw))
            states[user_id] = UserScanState(
                mode=TradingMode(switch_from(SwitchItem.from_raw_data(switch)).mode)
                if switch
                else TradingMode.ACTIVE,
                disabled=_disabled(user_from(UserItem.from_raw_data(profile))),
                positions=positions,
                permissions=permissions_from(PermissionsItem.from_raw_data(permissions)).permissions
                if permissions
                else UserPermissions(),
            )
        return states


def _disabled(user: User) -> bool:
    return user.status is not UserStatus.ACTIVE or user.trading_disabled_reason is not None


class DynamoPlatformModes:
    """The global and per-broker switches, read once per scan (consistent reads)."""

    def __init__(self, controls: DynamoControls | None = None) -> None:
        self.controls = controls or DynamoControls()

    def mode(self, broker: BrokerName) -> TradingMode:
        switches = [
            self.controls.switch(SwitchScope.GLOBAL, "global"),
            self.controls.switch(SwitchScope.BROKER, broker.value),
        ]
        return strictest(TradingMode.ACTIVE, *(TradingMode(s.mode) for s in switches if s is not None))
