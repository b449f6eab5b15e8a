"""Executor throughput on moto (in process): 100 users x 10 orders queued, then the executor handler
drains the paper queue in Lambda-sized batches, with every pre-trade check on. Orders a second."""

from __future__ import annotations

import time
from decimal import Decimal

from bench.report import line, moto_platform

USERS, ORDERS_EACH = 100, 10  # the figure (about 3 minutes here, set-up included);
# `python -m bench.executor_throughput USERS ORDERS` samples less.


def main(users_count: int = USERS, orders_each: int = ORDERS_EACH) -> None:
    with moto_platform(POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_TRACE_DISABLED="true"):
        from nija import wiring
        from nija.adapters.aws import client, queue_url
        from nija.config import get_settings
        from nija.domain.models import BrokerName, Principal, User
        from nija.local import identity
        from nija.local.lambda_runtime import LambdaContext, load_function, queue_arn, sqs_event
        from nija.logic.orders import OrderRequest, place_order

        users = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(users_count)]
        for user in users:
            wiring.users().put_user(User(user_id=user, email=f"u{user[:8]}@example.com"))
            identity.connect_paper(user)
        request = OrderRequest(
            broker=BrokerName.PAPER, symbol="BTC/USD", side="buy", quantity=Decimal("0.001")
        )
        for n in range(orders_each):
            for user in users:
                place_order(Principal(user_id=user), request, f"k{n}", wiring.orders(), wiring.order_queue())
        name = get_settings().catalogue.queue(BrokerName.PAPER).name
        url, arn = queue_url(name), queue_arn("us-east-1", name)
        handler = load_function("executor", "throughput").handler
        sqs = client("sqs")
        done, started = 0, time.perf_counter()
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages"
        ):
            result = handler(sqs_event(batch, arn, "us-east-1"), LambdaContext("nija-bench-executor-paper"))
            failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
            ok = [m for m in batch if m["MessageId"] not in failed]
            if ok:
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ok)],
                )
            done += len(ok)
        elapsed = time.perf_counter() - started
        filled = sum(
            1
            for u in users
            for o in wiring.orders().list_orders(u, 100, None)[0]
            if o.status.value == "filled"
        )
    total = users_count * orders_each
    print(
        f"Executor throughput on moto (in process), {users_count} users x {orders_each} orders, every check on"
    )
    print(line("orders processed", done, "", str(total), done == total))
    print(line("orders filled", filled, "", str(total), filled == total))
    print(line("throughput (one executor instance)", done / elapsed, "/s", "reported", None))
    print(line("per order", elapsed / max(done, 1) * 1000, "ms", "reported", None))


if __name__ == "__main__":
    import sys

    main(*(int(a) for a in sys.argv[1:3]))
