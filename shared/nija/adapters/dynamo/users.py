"""User profiles (UserStore) and the sign-in guards (LoginGuards) over the state table."""

from __future__ import annotations

from enum import Enum

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.cursor import Listing, decode_cursor, encode_cursor
from nija.adapters.dynamo.mapping import user_from, user_item
from nija.adapters.dynamo.models import LoginGuardItem, UserItem
from nija.adapters.dynamo.writes import ConditionFailed, Update, saved_if, write
from nija.config import get_settings
from nija.domain.audit import AuditEvent
from nija.domain.lockout import LoginGuard
from nija.domain.models import Tier, User, UserStatus


def _users_page() -> Listing:
    """A page of every profile by time: the index's one USERS partition, profile items only."""
    return Listing(
        get_settings().catalogue.state_table,
        UserItem.by_time.Meta.index_name,
        fixed={"gsi2pk": keys.USERS_INDEX, "sk": keys.PROFILE},
        prefixed={"pk": keys.USER_PREFIX},
    )


class DynamoUsers:
    """UserStore over the state table: one PROFILE item per user."""

    def __init__(self) -> None:
        bind()

    def get_user(self, user_id: str) -> User | None:
        try:
            return user_from(UserItem.get(keys.user_pk(user_id), keys.PROFILE, consistent_read=True))
        except UserItem.DoesNotExist:
            return None

    def put_user(self, user: User) -> None:
        user_item(user).save()

    def update_user(self, user_id: str, audit: AuditEvent | None = None, **fields: object) -> User | None:
        """Change only these fields of the profile, whatever else changed since it was read (an admin's
        disable is not undone by an executor counting broker errors on an older copy). None: no
        profile. A None value removes the field. With `audit`, its event is stored atomically."""
        item = UserItem(keys.user_pk(user_id), keys.PROFILE)
        actions = []
        for name, value in fields.items():
            attribute = getattr(UserItem, name)
            stored = value.value if isinstance(value, Enum) else value
            actions.append(attribute.remove() if stored is None else attribute.set(stored))
        try:
            write([Update(item, actions, UserItem.pk.exists())], audit)
        except ConditionFailed:
            return None
        return self.get_user(user_id) if audit is not None else user_from(item)  # update() refreshes the item

    def list_users(
        self, status: UserStatus | None, tier: Tier | None, limit: int, cursor: str | None
    ) -> tuple[list[User], str | None]:
        """Users newest first, a page at a time, optionally of one status and tier. A page may hold
        fewer than `limit` when filtered; its token goes on from where the read stopped."""
        condition = None
        if status is not None:
            condition = UserItem.status == status.value
        if tier is not None:
            condition = (
                (UserItem.tier == tier.value)
                if condition is None
                else condition & (UserItem.tier == tier.value)
            )
        result = UserItem.by_time.query(
            keys.USERS_INDEX,
            filter_condition=condition,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, _users_page()),
            scan_index_forward=False,
        )
        return [user_from(item) for item in result], encode_cursor(result.last_evaluated_key)

    def create_user(self, user: User) -> bool:
        """Write the profile if the user has none yet; False when one exists."""
        return saved_if(user_item(user), UserItem.pk.does_not_exist())


class DynamoLoginGuards:
    """The sign-in guards (nija.domain.lockout) over the state table, one item per guarded name."""

    def __init__(self) -> None:
        bind()

    def get_guard(self, name: str) -> LoginGuard:
        try:
            item = LoginGuardItem.get(keys.login_guard_pk(name), keys.GUARD, consistent_read=True)
        except LoginGuardItem.DoesNotExist:
            return LoginGuard()
        return LoginGuard(
            failures=tuple(float(f) for f in item.failures or []),
            locked_until=float(item.locked_until),
            version=int(item.version),
        )

    def put_guard(self, name: str, guard: LoginGuard) -> bool:
        item = LoginGuardItem(
            keys.login_guard_pk(name),
            keys.GUARD,
            failures=list(guard.failures),
            locked_until=guard.locked_until,
            version=guard.version,
        )
        previous = guard.version - 1
        condition = (
            LoginGuardItem.pk.does_not_exist() if previous == 0 else LoginGuardItem.version == previous
        )
        return saved_if(item, condition)
