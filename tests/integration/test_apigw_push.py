"""The cloud's pusher, API Gateway's Management API through boto3: against moto for the calls it
makes, and a recorded GoneException answer (moto never answers one) for a connection that is gone."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.backends import get_backend

from nija.adapters.apigw_push import ApiGatewayPusher
from nija.ports.realtime import GoneConnection

ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/dev"


def moto_connections() -> Any:
    from nija.config import get_settings

    account = boto3.client("sts", region_name=get_settings().region).get_caller_identity()["Account"]
    return get_backend("apigatewaymanagementapi")[account][get_settings().region].connections


# (an id without the usual trailing "=": moto keys a connection by its still URL-encoded path)
def test_a_push_posts_to_the_connection_and_close_deletes_it(aws: None) -> None:
    pusher = ApiGatewayPusher(ENDPOINT)
    pusher.post("L0SM9cOFvHcCIhwA", b'{"type":"fill"}')
    assert moto_connections()["L0SM9cOFvHcCIhwA"].data == b'{"type":"fill"}'
    pusher.close("L0SM9cOFvHcCIhwA")
    assert "L0SM9cOFvHcCIhwA" not in moto_connections()


def test_a_gone_connection_is_gone_for_a_push_and_already_closed_for_close(aws: None) -> None:
    pusher = ApiGatewayPusher(ENDPOINT)
    with Stubber(pusher._client) as recorded:
        recorded.add_client_error("post_to_connection", "GoneException", http_status_code=410)
        recorded.add_client_error("delete_connection", "GoneException", http_status_code=410)
        with pytest.raises(GoneConnection):
            pusher.post("gone=", b"{}")
        pusher.close("gone=")  # what was asked is already true: no error
        recorded.assert_no_pending_responses()
