"""Pushing to WebSocket clients through API Gateway's Management API (POST @connections/{id}), and
closing a connection (DELETE @connections/{id})."""

from __future__ import annotations

import contextlib
from functools import cached_property
from typing import Any

from nija.adapters.aws import _CONFIG, _lock, _session
from nija.config import get_settings
from nija.ports.realtime import GoneConnection


class ApiGatewayPusher:
    def __init__(self, endpoint_url: str) -> None:
        # https://{api id}.execute-api.{region}.amazonaws.com/{stage}
        self.endpoint_url = endpoint_url

    @cached_property
    def _client(self) -> Any:
        with _lock:
            return _session().client(
                "apigatewaymanagementapi",
                region_name=get_settings().region,
                endpoint_url=self.endpoint_url,
                config=_CONFIG,
            )

    def post(self, connection_id: str, data: bytes) -> None:
        client = self._client
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        except client.exceptions.GoneException:
            raise GoneConnection(f"connection {connection_id} is gone") from None

    def close(self, connection_id: str) -> None:
        client = self._client
        with contextlib.suppress(client.exceptions.GoneException):  # already closed: what was asked
            client.delete_connection(ConnectionId=connection_id)
