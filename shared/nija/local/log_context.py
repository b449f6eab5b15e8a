"""Powertools' log keys, one set per thread and per request, as in the cloud where each Lambda
function has its own process and each process one invocation at a time.

Every Powertools Logger of a service shares one formatter, and `append_keys` (which the handlers and
`inject_lambda_context` use for function_name, user_id and correlation_id) writes to that
formatter's one dict. The local stack runs every handler in one process, on threads: the executor's
keys then showed on the API's lines. Installed in the local stack, each thread has its own dict
(starting from the formatter's keys as constructed); nija.api.request_log gives each HTTP request
of the local API its own function, user and correlation id."""

from __future__ import annotations

import logging
import threading
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_BASE = "_nija_base_keys"
_LOCAL = "_nija_thread_keys"


class _PerThread:
    """A formatter's `log_format`, one dict per thread."""

    def __get__(self, formatter: Any, owner: type | None = None) -> Any:
        if formatter is None:
            return self
        local = formatter.__dict__.setdefault(_LOCAL, threading.local())
        keys = getattr(local, "keys", None)
        if keys is None:
            keys = local.keys = dict(formatter.__dict__.get(_BASE, {}))
        return keys

    def __set__(self, formatter: Any, value: dict[str, Any]) -> None:
        formatter.__dict__.setdefault(_LOCAL, threading.local()).keys = value


def install() -> None:
    """Give every Powertools formatter per-thread keys (those made before are converted too)."""
    if isinstance(LambdaPowertoolsFormatter.__dict__.get("log_format"), _PerThread):
        return
    init = LambdaPowertoolsFormatter.__init__

    def per_thread_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.__dict__[_BASE] = dict(self.log_format)  # what a new thread starts from

    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    made = {
        id(h.formatter): h.formatter
        for lg in loggers
        if isinstance(lg, logging.Logger)
        for h in lg.handlers
        if isinstance(h.formatter, LambdaPowertoolsFormatter)
    }
    for formatter in made.values():  # made before: their shared dict becomes their base
        formatter.__dict__[_BASE] = dict(formatter.__dict__.pop("log_format", {}))
    LambdaPowertoolsFormatter.__init__ = per_thread_init  # type: ignore[method-assign]
    LambdaPowertoolsFormatter.log_format = _PerThread()  # type: ignore[assignment]
