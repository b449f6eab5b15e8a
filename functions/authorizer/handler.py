"""authorizer: API Gateway REQUEST authorizer. Verifies the Cognito access token with the same code
the local stack runs and passes {user_id, tier, role} on in the request context."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from nija import wiring
from nija.api.auth import authorizer_context, bearer_token
from nija.api.verify import token_verifier
from nija.domain.errors import Forbidden, Unauthenticated
from nija.logic.identity import active_user, principal_of
from nija.observability import function_tools

tools = function_tools()  # Logger, Metrics and the Tracer (botocore and httplib: the JWKS fetch)
logger, metrics = tools.logger, tools.metrics


def _policy(
    principal_id: str, effect: str, resource: str, context: dict[str, str] | None = None
) -> dict[str, Any]:
    # Allow the whole API for this principal: the cached verdict must hold for every route it calls.
    arn = resource.split("/", 1)[0] + "/*"
    policy: dict[str, Any] = {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": arn}],
        },
    }
    if context:
        policy["context"] = context
    return policy


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(user_id="anonymous")  # until the token names the user
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        token = bearer_token(headers.get("authorization"))
        claims = token_verifier().verify(token)
        user = active_user(claims, wiring.users())
        # An admin's: the session's age, and TOTP asked of the pool (the token authorizes it).
        principal = principal_of(user, claims, lambda: wiring.directory().totp_enabled(token))
    except Unauthenticated as exc:
        logger.info("refused a token", extra={"reason": exc.message})
        metrics.add_metric(name="TokensRefused", unit=MetricUnit.Count, value=1)
        raise Exception("Unauthorized") from None  # API Gateway answers 401 for exactly this text
    except Forbidden as exc:
        logger.info("denied a user", extra={"reason": exc.message})
        metrics.add_metric(name="UsersDenied", unit=MetricUnit.Count, value=1)
        return _policy("denied", "Deny", event["methodArn"])
    logger.append_keys(user_id=principal.user_id)
    # The tier's limit is held by the API functions (nija.api.ratelimit): this answer is cached per
    # token, so requests answered from the cache would never be counted here.
    return _policy(principal.user_id, "Allow", event["methodArn"], authorizer_context(principal))


# The correlation id is API Gateway's request id, the same one the API function's lines carry.
handler = tools.wrap(_handle, correlation_id_path=correlation_paths.API_GATEWAY_REST)
