"""What the platform costs per active user-month on AWS, from the synthesized prod template (what is
deployed and how it is set), AWS calls counted while the real flows run on moto, the usage
assumptions below and one table of list prices (issue 15's model; target: at 1,000 users with two
brokers each, <= $0.50 a user-month).

Each flow runs through the real code (the Lambda handlers where there is one) with every AWS call
counted: an API request, an order from the API to its fill, one user's share of a strategy scan, one
reconciliation check, an audit event appended to its chain. The model multiplies those counts by how
often each happens for an active user, adds what each function, log and trace costs, and spreads the
stage's fixed costs (keys, alarms, the schedules' own invocations) over the users."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.report import counted_calls, line, moto_platform

Calls = Counter[tuple[str, str]]

# --- list prices: US East (N. Virginia), on-demand, as published on each service's pricing page
# (aws.amazon.com/<service>/pricing), read 2025-11; free tiers left out (a platform outgrows them).
PRICES = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s": 0.0000166667,  # x86
    "apigw_rest_request": 3.50 / 1e6,
    "ddb_write_unit": 0.625 / 1e6,  # on-demand, since 2024-11-01
    "ddb_read_unit": 0.125 / 1e6,
    "ddb_gb_month": 0.25,
    "ddb_stream_read": 0.02 / 1e5,
    "sqs_fifo_request": 0.50 / 1e6,
    "secret_month": 0.40,
    "secrets_api_call": 0.05 / 1e4,
    "kms_key_month": 1.00,
    "kms_request": 0.03 / 1e4,
    "logs_ingest_gb": 0.50,
    "logs_store_gb_month": 0.03,
    "xray_trace": 5.00 / 1e6,
    "alarm_month": 0.10,
    "dashboard_month": 3.00,
    "s3_put": 0.005 / 1e3,
    # AWS WAF (aws.amazon.com/waf/pricing, read 2026-12): a web ACL, each rule or managed rule group in
    # it (the AWS baseline groups have no fee of their own), each request it inspects.
    "waf_web_acl_month": 5.00,
    "waf_rule_month": 1.00,
    "waf_request": 0.60 / 1e6,
}
SOURCE = "AWS list prices, us-east-1, pricing pages as read 2025-11"

# --- usage of one active user, per broker they trade on where it says so (stated, not measured)
API_REQUESTS_A_DAY = 40  # app opens and screens: reads, a settings change now and then
FILLS_A_DAY = 4  # per broker: the strategy's entries and exits, and manual orders
SYMBOLS = 2  # per broker, scanned every 5 minutes
AUDIT_EVENT_BYTES = 1_100  # a record and its index entries (keys only since issue 15)
LOG_BYTES = {"api": 700, "executor": 1_200, "scan_shard": 900, "sync": 600}  # per invocation
DURATION_S = {"api": 0.08, "executor": 0.35, "scan_user": 0.002, "sync_base": 0.3, "check": 0.01}
MONTH_DAYS = 30
SCANS_A_MONTH = MONTH_DAYS * 24 * 12  # every 5 minutes
SYNCS_A_MONTH = MONTH_DAYS * 24 * 60  # each executor's schedule, every minute
CHECKS_A_MONTH = MONTH_DAYS * 24 + FILLS_A_DAY * MONTH_DAYS  # hourly sweep, and after each fill
BROKERS_DEPLOYED = 5  # an executor and a scan per broker, whoever uses them
SCAN_SHARDS = 16


@dataclass(frozen=True)
class Template:
    """What the prod template deploys that costs by itself, whatever the traffic."""

    kms_keys: int
    alarms: int
    dashboards: int
    memory_mb: dict[str, int]  # per function kind
    web_acls: int
    waf_rules: int
    xray_rate: float


def synthesized() -> Template:
    import json
    import tempfile
    from pathlib import Path

    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra_cdk.app import build_app
    from infra_cdk.stage import cdk_json_context
    from nija.catalogue import catalogue

    with tempfile.TemporaryDirectory() as out:
        context = cdk_json_context(
            stage="prod",
            ses_from="no-reply@nija.example.com",
            **{"aws:cdk:disable-asset-staging": True},
        )
        build_app(context=context, outdir=out, nag=False).app.synth()
        resources = {
            k: r
            for f in Path(out).glob("*.template.json")
            for k, r in json.loads(f.read_text())["Resources"].items()
        }
    count = Counter(r["Type"] for r in resources.values())
    cat = catalogue("prod")
    memory = {}
    for kind, fn in (
        ("api", cat.trading_api),
        ("executor", cat.executor("kraken")),
        ("scan", cat.strategy_scan("kraken")),
    ):
        memory[kind] = fn.memory_mb
    rules = [
        r["Properties"]["SamplingRule"] for r in resources.values() if r["Type"] == "AWS::XRay::SamplingRule"
    ]
    return Template(
        kms_keys=count["AWS::KMS::Key"],
        alarms=count["AWS::CloudWatch::Alarm"],
        dashboards=count["AWS::CloudWatch::Dashboard"],
        memory_mb=memory,
        web_acls=count["AWS::WAFv2::WebACL"],
        waf_rules=sum(
            len(r["Properties"]["Rules"]) for r in resources.values() if r["Type"] == "AWS::WAFv2::WebACL"
        ),
        xray_rate=min((float(r["FixedRate"]) for r in rules), default=0.05),
    )


def measured() -> dict[str, Calls]:
    """AWS calls of each flow, on moto, through the real code."""
    with moto_platform(
        POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_TRACE_DISABLED="true", NIJA_AUTH_MODE="gateway"
    ):
        from nija import wiring
        from nija.domain.audit import AuditEvent, Outcome
        from nija.domain.models import BrokerName, User
        from nija.domain.settings import StrategySettings, scan_shard
        from nija.local import identity
        from nija.local.lambda_runtime import LambdaContext, load_event, load_function
        from tests.kit import queued_event

        paper = BrokerName.PAPER
        users = [str(uuid.uuid4()) for _ in range(64)]
        for u in users:
            wiring.users().put_user(User(user_id=u, email=f"{u[:8]}@example.com"))
            identity.connect_paper(u)
            wiring.settings_store().put(
                u, StrategySettings(enabled=True, brokers=(paper,), symbols=("BTC/USD", "ETH/USD"))
            )
        wiring.broker_sync(paper).run()  # connecting made them due: valued
        me = users[0]
        flows: dict[str, Calls] = {}
        trading = load_function("trading_api", "cost")
        dashboard = load_function("dashboard_api", "cost")

        def call(fn: Any, case: str, **values: str) -> None:
            reply = fn.handler(load_event(case, **values), LambdaContext(f"nija-prod-{case.split('/')[0]}"))
            assert reply["statusCode"] < 400, reply

        mix = [
            (dashboard, "dashboard_api/dashboard"),
            (trading, "trading_api/positions_list"),
            (trading, "trading_api/orders_list"),
            (dashboard, "dashboard_api/settings_get"),
        ]
        with counted_calls() as calls:
            for fn, case in mix:
                call(fn, case, user_id=me)
        flows["api_request"] = _per(calls, len(mix))

        executor = load_function("executor", "cost")
        with counted_calls() as calls:
            call(trading, "trading_api/orders_create", user_id=me, idempotency_key="cost-1")
            event = queued_event(paper)
            executor.handler(event, LambdaContext("nija-prod-executor-paper"))
        flows["order_to_fill"] = Counter(calls)

        shard = next(scan_shard(u) for u in users if scan_shard(u) != scan_shard(me))  # nobody holds
        in_shard = sum(1 for u in users if scan_shard(u) == shard)
        from bench.scan import _holding_time
        from nija.adapters.paper.feed import PaperFeed
        from nija.config import get_settings
        from nija.domain.strategies import Action, closed_candles, get_strategy

        scanner = wiring.scanner()  # at a candle where everyone holds: orders are counted above
        scanner.clock = lambda: _holding_time(
            PaperFeed(get_settings().feed_seed), get_strategy("dual_rsi"), Action, closed_candles
        )
        with counted_calls() as calls:
            report = scanner.run(shard, paper)
        assert report.intents == 0 and report.users == in_shard, report
        flows["scan_user"] = _per(calls, in_shard)

        reconciler = wiring.broker_sync(paper).reconciler
        with counted_calls() as calls:
            reconciler.run(users[:10])
        flows["check"] = _per(calls, 10)

        event = AuditEvent(action="auth.login", outcome=Outcome.SUCCESS, subject=me, actor=me)
        with counted_calls() as calls:
            wiring.audit_records().append_once(event)
        flows["audit_event"] = Counter(calls)
    return flows


def _per(calls: Calls, n: int) -> Calls:
    return Counter({k: v / n for k, v in calls.items()})  # type: ignore[misc]


def _ddb(calls: Calls) -> tuple[float, float]:
    """(write units, read units) of these DynamoDB calls: items under 1 KB, so a write is one unit
    (two in a transaction, per item), a strongly consistent read one unit per item read."""
    writes = reads = 0.0
    for (service, op), n in calls.items():
        if service != "dynamodb":
            continue
        if op in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"):
            writes += n
        elif op == "TransactWriteItems":
            writes += 2 * 3 * n  # about three items a transaction, each charged twice
        else:
            reads += n
    return writes, reads


def model(users: int, brokers: int, flows: dict[str, Calls], t: Template) -> dict[str, float]:
    """Monthly dollars by item, for `users` active users with `brokers` brokers each."""
    p, month = PRICES, Counter[str]()

    def aws(calls: Calls, times: float, label: str) -> None:
        writes, reads = _ddb(calls)
        month[f"DynamoDB ({label})"] += times * (writes * p["ddb_write_unit"] + reads * p["ddb_read_unit"])
        for (service, _op), n in calls.items():
            if service == "secretsmanager":
                month["Secrets Manager calls"] += times * n * p["secrets_api_call"]
            elif service == "kms":
                month["KMS requests"] += times * n * p["kms_request"]
            elif service == "sqs":
                month["SQS FIFO"] += times * n * p["sqs_fifo_request"]

    def compute(invocations: float, seconds: float, memory_mb: int, log_bytes: int, label: str) -> None:
        month[f"Lambda ({label})"] += invocations * (
            p["lambda_request"] + seconds * memory_mb / 1024 * p["lambda_gb_s"]
        )
        month["CloudWatch Logs"] += (
            invocations * log_bytes / 1e9 * (p["logs_ingest_gb"] + p["logs_store_gb_month"])
        )

    api = users * API_REQUESTS_A_DAY * MONTH_DAYS
    month["API Gateway"] += api * p["apigw_rest_request"]
    month["AWS WAF"] += (
        t.web_acls * p["waf_web_acl_month"] + t.waf_rules * p["waf_rule_month"] + api * p["waf_request"]
    )
    month["X-Ray"] += api * t.xray_rate * p["xray_trace"]
    aws(flows["api_request"], api, "API")
    compute(api, DURATION_S["api"], t.memory_mb["api"], LOG_BYTES["api"], "API")

    fills = users * brokers * FILLS_A_DAY * MONTH_DAYS
    aws(flows["order_to_fill"], fills, "orders")
    compute(fills * 2, DURATION_S["executor"], t.memory_mb["executor"], LOG_BYTES["executor"], "orders")

    scans = users * brokers * SYMBOLS / 2 * SCANS_A_MONTH  # the measured user had two symbols
    aws(flows["scan_user"], scans, "scan")
    month["Lambda (scan)"] += scans * DURATION_S["scan_user"] * t.memory_mb["scan"] / 1024 * p["lambda_gb_s"]

    checks = users * brokers * CHECKS_A_MONTH
    aws(flows["check"], checks, "reconciliation")
    month["Lambda (reconciliation)"] += (
        checks * DURATION_S["check"] * t.memory_mb["executor"] / 1024 * p["lambda_gb_s"]
    )
    # each check opens the user's keys (the cache outlives no hourly sweep): one secret read, one decrypt
    month["Secrets Manager calls"] += checks * p["secrets_api_call"]
    month["KMS requests"] += checks * p["kms_request"]

    events = users * (API_REQUESTS_A_DAY / 10 + brokers * FILLS_A_DAY * 2) * MONTH_DAYS
    aws(flows["audit_event"], events, "audit")
    month["DynamoDB storage (audit, a year kept)"] += (
        events * 12 * AUDIT_EVENT_BYTES / 1e9 * p["ddb_gb_month"]
    )

    # one secret per user, every broker's keys a version of it (nija.adapters.vault); each modelled
    # user trades at least one exchange (a paper-only user keeps no secret at all)
    month["Secrets Manager secrets"] += users * p["secret_month"]
    # the stage's own: keys, alarms, dashboards, and every broker's schedules whoever trades there
    month["KMS keys"] += t.kms_keys * p["kms_key_month"]
    month["CloudWatch alarms and dashboards"] += (
        t.alarms * p["alarm_month"] + t.dashboards * p["dashboard_month"]
    )
    schedules = BROKERS_DEPLOYED * (SYNCS_A_MONTH + SCAN_SHARDS * SCANS_A_MONTH)
    month["Lambda (schedules)"] += schedules * (
        p["lambda_request"] + DURATION_S["sync_base"] * t.memory_mb["executor"] / 1024 * p["lambda_gb_s"]
    )
    month["CloudWatch Logs"] += (
        schedules * LOG_BYTES["sync"] / 1e9 * (p["logs_ingest_gb"] + p["logs_store_gb_month"])
    )
    return dict(month)


def main() -> None:
    template = synthesized()
    flows = measured()
    print(f"Cost model: prod template ({template.kms_keys} KMS keys, {template.alarms} alarms), {SOURCE}")
    for name, calls in flows.items():
        shown = ", ".join(f"{s}:{op} {n:.2f}" for (s, op), n in sorted(calls.items()))
        print(f"  measured per {name.replace('_', ' ')}: {shown}")
    for users in (100, 1_000, 10_000):
        for brokers in (1, 2):
            items = model(users, brokers, flows, template)
            per_user = sum(items.values()) / users
            top = sorted(items.items(), key=lambda kv: -kv[1])[:3]
            print(f"cost at {users} users, {brokers} broker(s) each: ${per_user:.2f} per active user-month")
            print("    largest: " + "; ".join(f"{k} ${v / users:.3f}" for k, v in top))
            if (users, brokers) == (1_000, 2):
                print(
                    line("the line above, per active user-month", per_user, "$", "<= $0.50", per_user <= 0.50)
                )


if __name__ == "__main__":
    main()
