"""Powertools' log keys, one set per execution context, as in the cloud where each Lambda function
instance is a process of its own that runs one invocation at a time.

Every Powertools Logger of a service shares one formatter, and `append_keys` (which the handlers and
`inject_lambda_context` use for function_name, user_id and correlation_id) writes to that
formatter's one dict. The local stack runs every handler in one process: the executor's keys then
showed on the API's lines. Installed in the local stack, the formatter keeps its keys in a context
variable instead, starting in each context from the keys it was constructed with. A thread starts
with a context of its own, and each local function instance runs its invocations in its own
(nija.local.pollers.FunctionInstance), so neither a thread pool's worker reused for another
function (the API's worker threads also run the realtime handler) nor the caller of an invocation
sees its keys. An API request's context starts from the server thread's keys, to which nothing
appends; nija.api.request_log gives each request its own function, user and correlation id."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_BASE = "_nija_base_keys"
_VAR = "_nija_context_keys"


class _PerContext:
    """A formatter's `log_format`, one dict per context."""

    def __get__(self, formatter: Any, owner: type | None = None) -> Any:
        if formatter is None:
            return self
        var = _var(formatter)
        try:
            return var.get()
        except LookupError:
            keys = dict(formatter.__dict__.get(_BASE, {}))
            var.set(keys)
            return keys

    def __set__(self, formatter: Any, value: dict[str, Any]) -> None:
        _var(formatter).set(value)


def _var(formatter: Any) -> ContextVar[dict[str, Any]]:
    var: ContextVar[dict[str, Any]] | None = formatter.__dict__.get(_VAR)
    if var is None:
        var = formatter.__dict__[_VAR] = ContextVar(f"powertools_keys_{id(formatter)}")
    return var


def install() -> None:
    """Give every Powertools formatter per-context keys (those made before are converted too)."""
    if isinstance(LambdaPowertoolsFormatter.__dict__.get("log_format"), _PerContext):
        return
    init = LambdaPowertoolsFormatter.__init__

    def per_context_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.__dict__[_BASE] = dict(self.log_format)  # what a new context starts from

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
        _var(formatter)  # now, before any thread might make a second one
    LambdaPowertoolsFormatter.__init__ = per_context_init  # type: ignore[method-assign]
    LambdaPowertoolsFormatter.log_format = _PerContext()  # type: ignore[assignment]
