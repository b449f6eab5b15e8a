"""What each broker adapter can do, as flags the platform (and the tests) can read.

The flags describe the adapters as built, not the exchanges' full APIs: tests/integration/
test_broker_adapters.py checks each flag against the requests the adapter really sends.
"""

from __future__ import annotations

from decimal import Decimal

from nija.domain.models import BrokerName, Frozen


class BrokerCapabilities(Frozen):
    broker: BrokerName
    # Our client order id travels with the order, in this parameter of the exchange's API.
    supports_client_order_id: bool
    client_order_id_param: str | None
    # The exchange finds an order by our client order id itself (else the adapter scans recent orders).
    lookup_by_client_order_id: bool
    # The cancel request names the order by our client order id (else by the exchange's order id,
    # after a lookup).
    cancel_by_client_order_id: bool
    market_orders: bool = True
    limit_orders: bool = True
    fractional: bool = True  # quantities below one unit (fractional shares on Alpaca)
    # The key check learns from the broker what the key may do (trade and withdraw not None).
    reports_permissions: bool
    # The smallest order value the exchange accepts on our instruments, in the quote currency.
    min_notional: Decimal | None = None
    # Where fills and their trade ids come from.
    fills_from: str


CAPABILITIES: dict[BrokerName, BrokerCapabilities] = {
    BrokerName.COINBASE: BrokerCapabilities(
        broker=BrokerName.COINBASE,
        supports_client_order_id=True,
        client_order_id_param="client_order_id",
        lookup_by_client_order_id=False,  # no such filter: the adapter scans the newest orders
        cancel_by_client_order_id=False,  # batch_cancel takes order ids
        reports_permissions=True,  # GET /api/v3/brokerage/key_permissions
        min_notional=Decimal("1"),  # quote_min_size of BTC-USD and ETH-USD
        fills_from="GET /api/v3/brokerage/orders/historical/fills?order_ids= (trade_id)",
    ),
    BrokerName.KRAKEN: BrokerCapabilities(
        broker=BrokerName.KRAKEN,
        supports_client_order_id=True,
        client_order_id_param="cl_ord_id",
        lookup_by_client_order_id=True,  # OpenOrders / ClosedOrders filtered by cl_ord_id
        cancel_by_client_order_id=True,  # CancelOrder with cl_ord_id
        reports_permissions=False,  # no endpoint says what a key may do
        min_notional=Decimal("0.5"),  # costmin of XBTUSD and ETHUSD
        fills_from="the order's trade ids (trades=true), detailed by QueryTrades",
    ),
    BrokerName.BINANCE: BrokerCapabilities(
        broker=BrokerName.BINANCE,
        supports_client_order_id=True,
        client_order_id_param="newClientOrderId",
        lookup_by_client_order_id=True,  # GET /api/v3/order?origClientOrderId= (per symbol)
        cancel_by_client_order_id=True,  # DELETE /api/v3/order?origClientOrderId=
        reports_permissions=True,  # GET /sapi/v1/account/apiRestrictions
        min_notional=Decimal("5"),  # the NOTIONAL filter of BTCUSDT
        fills_from="the placement's fills (newOrderRespType=FULL), else GET /api/v3/myTrades?orderId=",
    ),
    BrokerName.ALPACA: BrokerCapabilities(
        broker=BrokerName.ALPACA,
        supports_client_order_id=True,
        client_order_id_param="client_order_id",
        lookup_by_client_order_id=True,  # GET /v2/orders:by_client_order_id
        cancel_by_client_order_id=False,  # DELETE /v2/orders/{order id}, after that lookup
        reports_permissions=True,  # trade from the account's status; trading keys never withdraw
        min_notional=Decimal("1"),  # fractional and crypto orders
        fills_from="GET /v2/account/activities/FILL after the order's submission, by order_id",
    ),
    BrokerName.PAPER: BrokerCapabilities(
        broker=BrokerName.PAPER,
        supports_client_order_id=True,
        client_order_id_param=None,  # our own book keys orders by the client order id itself
        lookup_by_client_order_id=True,
        cancel_by_client_order_id=True,
        reports_permissions=True,
        min_notional=None,
        fills_from="the paper book: one fill per order, trade id derived from the order",
    ),
}


def capabilities(broker: BrokerName) -> BrokerCapabilities:
    return CAPABILITIES[broker]
