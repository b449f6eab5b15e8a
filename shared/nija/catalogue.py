"""The one resource catalogue: names and shapes of tables, indexes, queues and secrets.

Both the CDK app (infra_cdk/) and the local stack (nija.local) read this module, so a resource is
defined once. It is plain data: nothing here talks to AWS or reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

from nija.domain.ip_limits import IpLimit
from nija.domain.models import BrokerName, Tier
from nija.domain.ratelimit import WINDOW_S, RequestLimit

BROKERS: tuple[BrokerName, ...] = tuple(BrokerName)

# The vault's names for a user and a broker: each data key is bound to them as its KMS encryption
# context (nija.adapters.vault, nija.adapters.envelope), each user's secret is tagged with the user's,
# and each version of it is labelled with the broker's. The CDK app's IAM conditions
# (kms:EncryptionContext:broker, secretsmanager:VersionStage) use them.
VAULT_USER_KEY = "user_id"
VAULT_BROKER_KEY = "broker"
VAULT_CONTEXT_KEYS: tuple[str, ...] = (VAULT_USER_KEY, VAULT_BROKER_KEY)


# Requests per source address in a WAF evaluation window (nija.ip_limits). Prod takes fewer sign-ins
# (other stages' test suites and benchmarks sign many users in from one address: 127.0.0.1 locally,
# a CI runner against dev) and more of everything, for users who share an address (an office's NAT,
# a carrier's): two enterprise users at their full 1,000 a minute.
SIGN_IN_IP_LIMIT, PROD_SIGN_IN_IP_LIMIT = IpLimit(200, 300), IpLimit(100, 300)
IP_LIMIT, PROD_IP_LIMIT = IpLimit(5_000, 300), IpLimit(10_000, 300)


@dataclass(frozen=True)
class KeyAttr:
    name: str
    type: str = "S"  # DynamoDB scalar type: S, N or B


ALL, KEYS_ONLY, INCLUDE = "ALL", "KEYS_ONLY", "INCLUDE"  # DynamoDB's index projection types


@dataclass(frozen=True)
class Index:
    """A global secondary index. ``projection``: what it copies of each item besides the table's and
    its own keys (every attribute, none, or ``include``'s); each copy is written and stored again."""

    name: str
    partition_key: KeyAttr
    sort_key: KeyAttr | None = None
    projection: str = ALL
    include: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.projection not in (ALL, KEYS_ONLY, INCLUDE):
            raise ValueError(f"index {self.name}: no projection type {self.projection!r}")
        if bool(self.include) != (self.projection == INCLUDE):
            raise ValueError(f"index {self.name}: INCLUDE, and only INCLUDE, names its attributes")


@dataclass(frozen=True)
class TableDef:
    logical_id: str
    name: str
    partition_key: KeyAttr
    sort_key: KeyAttr | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream: bool = False
    append_only: bool = False  # no principal may update or delete an item (a resource policy denies it)

    def index(self, name: str) -> Index:
        for index in self.indexes:
            if index.name == name:
                return index
        raise KeyError(f"table {self.name} has no index {name}")

    @property
    def attributes(self) -> tuple[KeyAttr, ...]:
        seen: dict[str, KeyAttr] = {}
        for attr in (
            self.partition_key,
            self.sort_key,
            *[a for i in self.indexes for a in (i.partition_key, i.sort_key)],
        ):
            if attr is not None:
                seen.setdefault(attr.name, attr)
        return tuple(seen.values())


@dataclass(frozen=True)
class QueueDef:
    broker: BrokerName
    name: str
    dlq_name: str
    visibility_timeout_s: int
    max_receive_count: int
    retention_s: int = 4 * 24 * 3600
    dlq_retention_s: int = 14 * 24 * 3600


@dataclass(frozen=True)
class FunctionDef:
    key: str  # folder under functions/
    name: str
    memory_mb: int
    timeout_s: int


@dataclass(frozen=True)
class Catalogue:
    stage: str
    prefix: str
    state_table: TableDef
    audit_table: TableDef
    queues: dict[BrokerName, QueueDef] = field(default_factory=dict)
    user_pool_name: str = ""
    user_pool_client_name: str = ""
    admins_group: str = "admins"
    # The app client's token lifetimes: the deployed pool's and the local stack's (whose emulator
    # is made to keep them: nija.local.moto_cognito). expires_in is the access token's.
    access_token_minutes: int = 15
    id_token_minutes: int = 15
    # How long API Gateway keeps an authorizer verdict (per Authorization header); the local stack too.
    authorizer_cache_seconds: int = 60
    refresh_token_days: int = 30
    executor_timeout_s: int = 30
    # X-Ray: the stage's sampling rule (infra_cdk/constructs/costs.py) records this many requests a
    # second (the reservoir) and this fraction of the rest; X-Ray's default rule is 1 a second and 5 %.
    xray_reservoir_per_second: int = 1
    xray_fixed_rate: float = 0.01
    # Per source address (nija.ip_limits): AWS WAF's rate-based rules in front of the REST API, and
    # the local stack's gateway. The sign-in routes (the public /v1/auth/ ones), and every request.
    sign_in_ip_limit: IpLimit = SIGN_IN_IP_LIMIT
    ip_limit: IpLimit = IP_LIMIT

    def queue(self, broker: BrokerName | str) -> QueueDef:
        return self.queues[BrokerName(broker)]

    def secret_name(self, user_id: str) -> str:
        """One secret per user, whatever their brokers (a secret costs $0.40 a month): each broker's
        sealed keys are a version of it labelled with the broker's name (nija.adapters.vault). The
        prefix lets IAM scope access per stage."""
        return f"{self.prefix}/users/{user_id}/vault"

    @property
    def vault_key_alias(self) -> str:
        return f"alias/{self.prefix}/vault"

    @property
    def secret_prefix(self) -> str:
        return f"{self.prefix}/users/"

    @property
    def secret_name_pattern(self) -> str:
        """An IAM wildcard over ``secret_name``: every user's vault secret in the stage.

        Secrets Manager appends ``-`` and six random characters to the name in the ARN; callers add them.
        """
        return f"{self.secret_prefix}*/vault"

    def sync_rule_name(self, broker: BrokerName | str) -> str:
        """The schedule that makes each executor look up its open orders at the broker."""
        return f"{self.prefix}-sync-{BrokerName(broker).value}"

    def scan_rule_name(self, broker: BrokerName | str) -> str:
        """The schedule that runs a broker's strategy scan (every SCAN_EVERY; 5 minutes by default)."""
        return f"{self.prefix}-scan-{BrokerName(broker).value}"

    def broker_of(self, resource: str) -> BrokerName:
        """The broker a queue or schedule (name or ARN) belongs to: how an executor or a scan knows
        its broker."""
        name = resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        for broker in self.queues:
            if name in (self.queues[broker].name, self.sync_rule_name(broker), self.scan_rule_name(broker)):
                return broker
        raise KeyError(f"{resource} belongs to no broker of stage {self.stage}")

    def executor(self, broker: BrokerName | str) -> FunctionDef:
        return FunctionDef(
            "executor", f"{self.prefix}-executor-{BrokerName(broker).value}", 512, self.executor_timeout_s
        )

    def strategy_scan(self, broker: BrokerName | str) -> FunctionDef:
        """One scan deployment per broker, like the executors: each carries only its broker's client."""
        return FunctionDef("strategy_scan", f"{self.prefix}-scan-{BrokerName(broker).value}", 1024, 300)

    @property
    def trading_api(self) -> FunctionDef:
        return FunctionDef("trading_api", f"{self.prefix}-trading-api", 512, 15)

    @property
    def authorizer(self) -> FunctionDef:
        return FunctionDef("authorizer", f"{self.prefix}-authorizer", 256, 5)

    @property
    def dashboard_api(self) -> FunctionDef:
        return FunctionDef("dashboard_api", f"{self.prefix}-dashboard-api", 512, 15)

    @property
    def admin_api(self) -> FunctionDef:
        return FunctionDef("admin_api", f"{self.prefix}-admin-api", 512, 15)

    @property
    def timestream_database(self) -> str:
        """Created only when the stack's `timestream` flag is on (nija.ports.timeseries)."""
        return f"{self.prefix}-analytics"

    @property
    def timestream_table(self) -> str:
        return "points"

    @property
    def realtime(self) -> FunctionDef:
        """The WebSocket API's $connect, $disconnect and $default routes."""
        return FunctionDef("realtime", f"{self.prefix}-realtime", 256, 10)

    @property
    def stream_processor(self) -> FunctionDef:
        """The state table's stream: user events pushed to that user's WebSocket connections."""
        return FunctionDef("stream_processor", f"{self.prefix}-stream-processor", 256, 60)

    @property
    def audit_writer(self) -> FunctionDef:
        """The state table's stream, its audit outbox only: each event appended to its chain once."""
        return FunctionDef("audit_writer", f"{self.prefix}-audit-writer", 256, 60)

    @property
    def audit_anchor(self) -> FunctionDef:
        """Hourly: every audit chain's head into the write-once anchor bucket (nija.domain.audit_anchor)."""
        return FunctionDef("audit_anchor", f"{self.prefix}-audit-anchor", 512, 300)

    @property
    def audit_anchor_rule_name(self) -> str:
        return f"{self.prefix}-audit-anchor"

    @property
    def local_anchor_bucket(self) -> str:
        """The local stack's anchor bucket (in the cloud the CDK app names it, unique in AWS)."""
        return f"{self.prefix}-audit-anchors"

    @property
    def websocket_api_name(self) -> str:
        return f"{self.prefix}-ws"

    @property
    def websocket_stage(self) -> str:
        return self.stage

    @property
    def api_functions(self) -> tuple[FunctionDef, ...]:
        """The functions behind the REST API (each a FastAPI app through Mangum)."""
        return (self.dashboard_api, self.trading_api, self.admin_api)

    @property
    def rest_api_name(self) -> str:
        return f"{self.prefix}-api"

    @property
    def xray_sampling_rule_name(self) -> str:
        """X-Ray allows 32 characters: the prefix is at most 21 (a stage of 16)."""
        return f"{self.prefix}-sampling"

    @property
    def xray_service_pattern(self) -> str:
        """The services the stage's sampling rule matches: its REST API stage (API Gateway names it
        ``<api name>/<stage>``) and its functions, all named under the prefix."""
        return f"{self.prefix}-*"

    @property
    def email_configuration_set_name(self) -> str:
        """The SES configuration set the user pool's email goes through (when it sends with SES)."""
        return f"{self.prefix}-email"

    def request_limit(self, tier: Tier | str) -> RequestLimit:
        """A tier's requests a minute per user, held by the API functions themselves (one middleware
        of every API app, nija.api.ratelimit, over nija.adapters.dynamo.request_limits): at most N in
        any rolling minute, a burst of up to N at once. README.md, "Tiers and rate limits", says why."""
        return RequestLimit(count=Tier(tier).requests_per_minute, window_s=WINDOW_S)

    @property
    def request_limits(self) -> dict[Tier, RequestLimit]:
        return {tier: self.request_limit(tier) for tier in Tier}


# The key layout of both tables (every prefix, builder and parser, and the layout table itself) is
# one module: nija.adapters.dynamo.keys. Here: the key attributes and the indexes they use.
PK = KeyAttr("pk")
SK = KeyAttr("sk")
GSI1 = Index("gsi1", KeyAttr("gsi1pk"), KeyAttr("gsi1sk"))
GSI2 = Index("gsi2", KeyAttr("gsi2pk"), KeyAttr("gsi2sk"))
GSI3 = Index("gsi3", KeyAttr("gsi3pk"), KeyAttr("gsi3sk"))
GSI4 = Index("gsi4", KeyAttr("gsi4pk"), KeyAttr("gsi4sk"))
# The audit table's indexes find records; the records are read from the table by key (a Query of a
# chain, or a BatchGetItem of a page), so an index holds keys only. Every record is written to each
# index it is in and kept forever: a full copy per index was most of the table's storage. gsi2 also
# holds the actor, which a search of one subject's records by one person filters on
# (nija.adapters.dynamo.audit).
AUDIT_INDEXES: tuple[Index, ...] = (
    replace(GSI1, projection=KEYS_ONLY),
    replace(GSI2, projection=INCLUDE, include=("actor",)),
    replace(GSI3, projection=KEYS_ONLY),
    replace(GSI4, projection=KEYS_ONLY),
)


@cache
def catalogue(stage: str) -> Catalogue:
    prefix = f"nija-{stage}"
    # SQS wants the visibility timeout at least six times the consumer's timeout.
    executor_timeout = 30
    queues = {
        b: QueueDef(
            broker=b,
            name=f"{prefix}-orders-{b.value}.fifo",
            dlq_name=f"{prefix}-orders-{b.value}-dlq.fifo",
            visibility_timeout_s=6 * executor_timeout,
            max_receive_count=5,
        )
        for b in BROKERS
    }
    cat = Catalogue(
        stage=stage,
        prefix=prefix,
        state_table=TableDef(
            logical_id="StateTable",
            name=f"{prefix}-state",
            partition_key=PK,
            sort_key=SK,
            indexes=(GSI1, GSI2),
            ttl_attribute="expires_at",
            stream=True,
        ),
        # Append-only: its own table, so that IAM can allow PutItem and nothing else on it.
        audit_table=TableDef(
            logical_id="AuditTable",
            name=f"{prefix}-audit",
            partition_key=PK,
            sort_key=SK,
            indexes=AUDIT_INDEXES,
            append_only=True,
        ),
        queues=queues,
        # In prod traces grow with traffic only (1 %); a dev stage also traces a request every second,
        # so that a developer's occasional call is seen.
        xray_reservoir_per_second=0 if stage == "prod" else 1,
        user_pool_name=f"{prefix}-users",
        user_pool_client_name=f"{prefix}-mobile",
        executor_timeout_s=executor_timeout,
    )
    if stage == "prod":
        cat = replace(cat, sign_in_ip_limit=PROD_SIGN_IN_IP_LIMIT, ip_limit=PROD_IP_LIMIT)
    return cat
