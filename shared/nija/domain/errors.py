"""Domain error hierarchy. HTTP mapping lives in nija.api.errors, by type only."""

from __future__ import annotations


class NijaError(Exception):
    """Base of every error the platform raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(NijaError):
    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class NotFound(NijaError):
    code = "not_found"


class Conflict(NijaError):
    code = "conflict"


class Unauthenticated(NijaError):
    code = "unauthenticated"


class Forbidden(NijaError):
    code = "forbidden"


class AccountInactive(Forbidden):
    """A write for an account that is disabled, being erased or gone: refused by the write itself
    (nija.domain.standing), whatever a cache upstream still believes."""

    code = "account_inactive"


class RateLimited(NijaError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidTransition(Conflict):
    """An order state change that the state machine does not allow."""

    code = "invalid_transition"


class DuplicateFill(Conflict):
    code = "duplicate_fill"


class ServiceUnavailable(NijaError):
    """A dependency (Cognito, a queue) did not answer; safe to retry later."""

    code = "service_unavailable"


class BrokerError(NijaError):
    """Base of the broker error taxonomy; subclasses say whether a retry can help."""

    code = "broker_error"
    retryable = False


class BrokerTemporaryError(BrokerError):
    code = "broker_temporary"
    retryable = True


class CircuitOpen(BrokerTemporaryError):
    """The broker's circuit breaker holds calls back (open, or a probe already running): the message
    waits and comes back."""

    code = "circuit_open"


class BrokerRateLimited(BrokerTemporaryError):
    code = "broker_rate_limited"


class BrokerThrottled(BrokerRateLimited):
    """We held a request back ourselves, before sending it: the broker's shared request budget is
    spent for longer than a request may wait. Nothing reached the broker; try again after
    `retry_after` seconds."""

    code = "broker_throttled"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InsufficientFunds(BrokerError):
    code = "insufficient_funds"


class InvalidOrder(BrokerError):
    code = "invalid_order"


class OrderNotFound(InvalidOrder):
    """The broker has no order with that client order id."""

    code = "order_not_found"


class BrokerAuthFailed(BrokerError):
    code = "auth_failed"


class UnknownOutcome(BrokerError):
    """The broker may or may not have the order (a timeout): look it up before any retry."""

    code = "unknown_outcome"
    retryable = True
