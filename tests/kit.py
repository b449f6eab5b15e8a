"""The test kit: builders of the platform's values (orders, fills) that the tests share instead of
copying, and in-memory fakes of the ports that let a use case's unit test run without moto."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from nija.domain.audit import AuditEvent
from nija.domain.errors import Conflict
from nija.domain.ids import client_order_id, intent_id
from nija.domain.messages import CancelOrder, PlaceOrder
from nija.domain.models import BrokerName, Fill, OrderIntent, OrderType, Position, Side, Trade
from nija.domain.orders import Order, OrderStatus
from nija.logic.execution import Executor
from nija.logic.executor_parts import Breakers, Guard, NoBreakers, NoGuard
from nija.ports.broker import Broker, BrokerOrderRequest
from nija.ports.telemetry import NoTelemetry, Telemetry

# --- builders ------------------------------------------------------------------------------------


def an_order(
    user: str = "u1",
    source: str = "manual:r1",
    *,
    symbol: str = "BTC/USD",
    side: Side = Side.BUY,
    type: OrderType = OrderType.MARKET,
    quantity: str = "1",
    limit_price: str | None = None,
    broker: BrokerName = BrokerName.PAPER,
    created_at: datetime | None = None,
) -> Order:
    """A queued order, its ids derived as the platform derives them from user, source, symbol and side."""
    iid = intent_id(user, source, symbol, side.value)
    fields: dict[str, Any] = {"created_at": created_at} if created_at is not None else {}
    return Order.from_intent(
        OrderIntent(
            intent_id=iid,
            client_order_id=client_order_id(iid),
            user_id=user,
            broker=broker,
            symbol=symbol,
            side=side,
            type=type,
            quantity=Decimal(quantity),
            limit_price=Decimal(limit_price) if limit_price is not None else None,
            source=source,
            **fields,
        )
    )


def a_request(
    cid: str, side: str, qty: str, limit: str | None = None, symbol: str = "BTC/USD"
) -> BrokerOrderRequest:
    """What the executor asks a broker to place: a limit order when `limit` is given, else market."""
    return BrokerOrderRequest(
        client_order_id=cid,
        symbol=symbol,
        side=Side(side),
        type=OrderType.LIMIT if limit else OrderType.MARKET,
        quantity=Decimal(qty),
        limit_price=Decimal(limit) if limit else None,
    )


def a_fill(trade_id: str, quantity: str, price: str = "100", fee: str = "0.1") -> Fill:
    return Fill(trade_id=trade_id, quantity=Decimal(quantity), price=Decimal(price), fee=Decimal(fee))


def an_executor(
    broker: Broker | None = None,
    *,
    guard: Guard | None = None,
    breakers: Breakers | None = None,
    telemetry: Telemetry | None = None,
) -> Executor:
    """The executor over the process's stores (moto): the paper broker, and no guard, breakers or
    telemetry, unless the test hands in its own."""
    from nija import wiring

    return Executor(
        orders=wiring.orders(),
        ledger=wiring.ledger(),
        broker=broker or wiring.broker(BrokerName.PAPER),
        guard=guard or NoGuard(),
        breakers=breakers or NoBreakers(),
        audit=wiring.audit_records(),
        telemetry=telemetry or NoTelemetry(),
    )


def filled_order(user: str, n: int, start: datetime) -> Order:
    """Order n (created n minutes after `start`) filled at the paper broker, recorded on the DynamoDB
    store as the executor records it: the order, its trade, the position and the fill's PnL bucket."""
    from nija import wiring

    at = start + timedelta(minutes=n)
    o = an_order(user, f"manual:{n}", created_at=at)
    wiring.orders().create_order(o)
    o, _ = wiring.orders().claim_for_submission(o)
    fill = Fill(trade_id=f"t{n}", quantity=Decimal("1"), price=Decimal("100"), timestamp=at)
    o.apply_fill(fill)
    held = wiring.ledger().get_position(user, BrokerName.PAPER, "BTC/USD")
    position = Position(
        user_id=user,
        broker=BrokerName.PAPER,
        symbol="BTC/USD",
        quantity=(held.quantity if held else Decimal(0)) + 1,
        average_price=Decimal(100),
        version=(held.version if held else 0) + 1,
    )
    trade = Trade(
        user_id=user,
        broker=BrokerName.PAPER,
        order_id=o.order_id,
        trade_id=f"t{n}",
        symbol="BTC/USD",
        side=Side.BUY,
        quantity=Decimal(1),
        price=Decimal(100),
        timestamp=at,
    )
    assert wiring.ledger().record_fill(o, fill, position, trade)
    return o


# --- reading what the platform stored --------------------------------------------------------------


def paper_orders(user: str) -> list[dict[str, Any]]:
    """Every order on the paper broker's own book for this user (its DynamoDB items), open or not."""
    from nija.adapters.aws import client
    from nija.adapters.dynamo import keys
    from nija.config import get_settings

    return client("dynamodb").query(  # type: ignore[no-any-return]
        TableName=get_settings().catalogue.state_table.name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={
            ":pk": {"S": keys.paper_pk(user)},
            ":sk": {"S": keys.paper_order_sk("")},
        },
        ConsistentRead=True,
    )["Items"]


def queued_event(broker: str = "paper") -> dict[str, Any]:
    """The event Lambda's SQS source makes of the messages waiting on a broker's order queue."""
    from nija.adapters.aws import client, queue_url
    from nija.config import get_settings
    from nija.local.lambda_runtime import queue_arn, sqs_event

    name, region = get_settings().catalogue.queue(broker).name, get_settings().region
    messages = client("sqs").receive_message(
        QueueUrl=queue_url(name),
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )["Messages"]
    return sqs_event(messages, queue_arn(region, name), region)


# A fill as the stream processor's user events carry it (nija.domain.realtime).
FILL_EVENT: dict[str, str] = {
    "type": "fill",
    "order_id": "o1",
    "side": "buy",
    "symbol": "BTC/USD",
    "quantity": "0.1",
    "price": "50000",
    "broker": "paper",
}


# --- in-memory fakes -----------------------------------------------------------------------------


@dataclass
class MemoryOrders:
    """The order-store port (what the API's order use cases use) in a dict, with the same conditions
    as the DynamoDB store: a request key maps to one order, an order is created once, a cancel
    applies to a live order only. Audit events are kept in `audit`."""

    orders: dict[tuple[str, str], Order] = field(default_factory=dict)
    request_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)

    def claim_request_key(self, user_id: str, key: str, order_id: str) -> None:
        held = self.request_keys.setdefault((user_id, key), order_id)
        if held != order_id:
            raise Conflict("this Idempotency-Key was already used for a different order")

    def create_order(self, order: Order, audit: AuditEvent | None = None) -> tuple[Order, bool]:
        key = (order.user_id, order.order_id)
        if key in self.orders:
            return self.orders[key], False
        self.orders[key] = order.model_copy(deep=True)
        self.audit.extend([audit] if audit else [])
        return order, True

    def get_order(self, user_id: str, order_id: str) -> Order | None:
        return self.orders.get((user_id, order_id))

    def list_orders(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        mine = sorted((o for (u, _), o in self.orders.items() if u == user_id), key=lambda o: o.created_at)
        return mine[::-1][:limit], None

    def request_cancel(self, order: Order, audit: AuditEvent | None = None) -> Order | None:
        stored = self.orders.get((order.user_id, order.order_id))
        if stored is None or stored.status.is_terminal:
            return None
        stored.cancel_requested = True
        if stored.status is OrderStatus.QUEUED:
            stored.status = OrderStatus.CANCELED
        self.audit.extend([audit] if audit else [])
        return stored


@dataclass
class MemoryStore(MemoryOrders):
    """Orders and the ledger (what the executor needs), with the DynamoDB store's conditions: a claim
    takes a queued order once, a save or a fill applies only to the order (and position) as read, a
    trade id is recorded once."""

    positions: dict[tuple[str, BrokerName, str], Position] = field(default_factory=dict)
    trades: dict[str, Trade] = field(default_factory=dict)

    def claim_for_submission(self, order: Order) -> tuple[Order, bool]:
        stored = self.orders.get((order.user_id, order.order_id))
        if stored is not None and stored.status is not OrderStatus.QUEUED:
            return stored.model_copy(deep=True), False
        claimed = order.model_copy(deep=True)
        if claimed.status is OrderStatus.QUEUED:
            claimed.transition(OrderStatus.SUBMITTED)
        self.orders[(order.user_id, order.order_id)] = claimed.model_copy(deep=True)
        return claimed, True

    def save_order(
        self, order: Order, expected: OrderStatus, expected_fills: int, audit: AuditEvent | None = None
    ) -> None:
        stored = self.orders.get((order.user_id, order.order_id))
        if stored is None or (stored.status, len(stored.trade_ids)) != (expected, expected_fills):
            raise Conflict(f"order {order.order_id} changed since it was read")
        self.orders[(order.user_id, order.order_id)] = order.model_copy(deep=True)
        self.audit.extend([audit] if audit else [])

    def open_orders(self, broker: BrokerName, limit: int | None = None) -> list[Order]:
        live = (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)
        found = [
            o.model_copy(deep=True) for o in self.orders.values() if o.broker is broker and o.status in live
        ]
        return found[:limit] if limit is not None else found

    def record_fill(
        self, order: Order, fill: Fill, position: Position, trade: Trade, audit: AuditEvent | None = None
    ) -> bool:
        if trade.trade_id in self.trades:
            return False
        stored = self.orders.get((order.user_id, order.order_id))
        held = self.positions.get((position.user_id, position.broker, position.symbol))
        if stored is None or len(stored.trade_ids) != len(order.trade_ids) - 1:
            raise Conflict(f"order {order.order_id} changed since it was read")
        if (held.version if held else 0) != position.version - 1:
            raise Conflict(f"the position of order {order.order_id} changed since it was read")
        self.trades[trade.trade_id] = trade
        self.orders[(order.user_id, order.order_id)] = order.model_copy(deep=True)
        self.positions[(position.user_id, position.broker, position.symbol)] = position
        self.audit.extend([audit] if audit else [])
        return True

    def get_position(self, user_id: str, broker: BrokerName, symbol: str) -> Position | None:
        return self.positions.get((user_id, broker, symbol))

    def list_positions(self, user_id: str) -> list[Position]:
        return [p for (u, _, _), p in self.positions.items() if u == user_id]

    def list_trades(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Trade], str | None]:
        mine = sorted((t for t in self.trades.values() if t.user_id == user_id), key=lambda t: t.timestamp)
        return mine[::-1][:limit], None

    def record(self, event: AuditEvent) -> None:  # the audit log port (the sync's differences)
        self.audit.append(event)


@dataclass
class MemoryQueue:
    """The order queue: what was sent, in order."""

    sent: list[PlaceOrder | CancelOrder] = field(default_factory=list)

    def send(self, message: PlaceOrder | CancelOrder) -> None:
        self.sent.append(message)

    def send_batch(
        self, messages: Sequence[PlaceOrder | CancelOrder]
    ) -> list[tuple[PlaceOrder | CancelOrder, str]]:
        self.sent.extend(messages)
        return []


@dataclass
class RecordedTelemetry:
    """The telemetry port, kept: counts by (metric, dimensions) and the log lines."""

    counts: list[tuple[str, float, dict[str, str]]] = field(default_factory=list)
    lines: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def count(self, metric: str, value: float = 1, **dimensions: str) -> None:
        self.counts.append((metric, value, dimensions))

    def info(self, message: str, **fields: Any) -> None:
        self.lines.append(("INFO", message, fields))

    def warning(self, message: str, **fields: Any) -> None:
        self.lines.append(("WARNING", message, fields))


def order_part(sync_report: dict[str, Any]) -> dict[str, Any]:
    """The executor's sync report without its sweep figures (which users the minute's slot holds)."""
    return {k: v for k, v in sync_report.items() if k not in ("due", "checked", "skipped")}


@contextmanager
def service_log(service: str = "nija-test") -> Iterator[Any]:
    """The lines a service logs through Powertools, as its handler formats them (the same appended
    keys), captured beside that handler while the block runs."""
    import io
    import logging

    from aws_lambda_powertools import Logger

    Logger(service=service)  # the service's logger and handler, if nothing has made them yet
    logger = logging.getLogger(service)
    (powertools,) = logger.handlers
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(powertools.formatter)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


def password_tokens(client_id: str, email: str, password: str) -> dict[str, str]:
    """A user's tokens from the user pool (the password flow the app's sign-in uses)."""
    from nija.adapters.aws import client

    result = client("cognito-idp").initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return dict(result["AuthenticationResult"])


# --- broker keys in the vault ------------------------------------------------------------------------

KRAKEN_SECRET = "a3Jha2VuLXNlY3JldA=="  # kraken's secrets are base64


@contextmanager
def recorded_brokers() -> Iterator[None]:
    """Every broker request answered from the brokers' recordings (nothing reaches the network)."""
    from fixtures.brokers.answers import Answers

    from nija.adapters.brokers import override_client_settings

    with override_client_settings(adapter=Answers(), enable_rate_limit=False, timeout_s=5.0):
        yield


def connect_kraken(user_id: str, api_secret: str = KRAKEN_SECRET) -> Any:
    """Kraken keys for a user through the real vault (the paper broker keeps none): checked against
    kraken's recorded answers, sealed, stored in the user's secret and audited."""
    from nija import wiring

    with recorded_brokers():
        return wiring.vault_service().connect(
            user_id, BrokerName.KRAKEN, {"api_key": f"kraken-{user_id[:8]}", "api_secret": api_secret}
        )


def routed(
    event: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A sample API event (events/<function>/...) sent to another route, as API Gateway would on the
    stage `test`: its path, method, JSON body and extra headers (multiValueHeaders dropped)."""
    import copy
    import json

    routed_event = copy.deepcopy(event)
    routed_event.pop("multiValueHeaders", None)
    routed_event["headers"].update(headers or {})
    routed_event.update(path=path, httpMethod=method, resource=path, body=json.dumps(body or {}))
    routed_event["requestContext"].update(path=f"/test{path}", httpMethod=method, resourcePath=path)
    return routed_event


def emailed_code(outbox: Any, to: str) -> str:
    """The code in the newest message to `to` in a JSON-lines email outbox (nija.adapters.mail)."""
    import json
    import re
    from pathlib import Path

    messages = [json.loads(line) for line in Path(outbox).read_text().splitlines()]
    found = re.search(r"\b(\d{6})\b", [m for m in messages if m["to"] == to][-1]["body"])
    assert found is not None
    return found.group(1)
