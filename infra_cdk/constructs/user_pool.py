"""The Cognito user pool, its admins group and the mobile app client, and the SES configuration set
its email goes through when the stage names a sender."""

from __future__ import annotations

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra_cdk.constructs.nag import acknowledge
from infra_cdk.stage import StageSettings

PLUS_PLAN_REASON = (
    "Threat protection needs the Cognito Plus feature plan, not bought yet; stage throttling and the "
    "per-tier rate limits bound brute force meanwhile."
)
FROM_NAME = "NIJA"
NO_SENDER = (
    "{stage} sends sign-up and password-reset email through SES: name a sender verified in SES, "
    "e.g. make deploy STAGE={stage} SES_FROM=no-reply@example.com (README: Deploying). Cognito's own "
    "sender stops at about 50 messages a day."
)


def _email(
    scope: Construct, settings: StageSettings
) -> tuple[cognito.UserPoolEmail, ses.ConfigurationSet | None]:
    """SES from the stage's sender, through its configuration set; Cognito's own sender without one."""
    if settings.email_from is None:
        if settings.is_prod:
            Annotations.of(scope).add_error(NO_SENDER.format(stage=settings.stage))
        return cognito.UserPoolEmail.with_cognito(), None
    configuration_set = ses.ConfigurationSet(
        scope,
        "Email",
        configuration_set_name=settings.catalogue.email_configuration_set_name,
        # An address that bounced or complained is not sent to again: SES counts both against the
        # account's sending status.
        suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        reputation_metrics=True,
        sending_enabled=True,
    )
    email = cognito.UserPoolEmail.with_ses(
        from_email=settings.email_from,
        from_name=FROM_NAME,
        ses_verified_domain=settings.email_domain,
        ses_region=Stack.of(scope).region,
        configuration_set_name=configuration_set.configuration_set_name,
    )
    return email, configuration_set


class UserPool(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        cat = settings.catalogue
        email, self.email_configuration_set = _email(self, settings)
        self.pool = cognito.UserPool(
            self,
            "Pool",
            user_pool_name=cat.user_pool_name,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            self_sign_up_enabled=True,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            # Sign-up is confirmed with the emailed code (POST /v1/auth/confirm), not a link.
            user_verification=cognito.UserVerificationConfig(email_style=cognito.VerificationEmailStyle.CODE),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            email=email,
            deletion_protection=settings.deletion_protection,
            removal_policy=settings.removal_policy,
        )
        acknowledge(
            self.pool,
            {
                "AwsSolutions-COG2": "MFA is optional by product decision: users turn on TOTP from the app "
                "(/v1/auth/mfa/setup, /enable); SMS is off.",
                "AwsSolutions-COG3": PLUS_PLAN_REASON,
                "AwsSolutions-COG8": PLUS_PLAN_REASON,
            },
        )
        self.admins = self.pool.add_group(
            "Admins", group_name=cat.admins_group, description="NIJA operators: /admin routes"
        )
        self.client = self.pool.add_client(
            "MobileClient",
            user_pool_client_name=cat.user_pool_client_name,
            # A public mobile client cannot keep a secret.
            generate_secret=False,
            # USER_PASSWORD_AUTH (the API relays email and password); CDK adds REFRESH_TOKEN_AUTH.
            auth_flows=cognito.AuthFlow(user_password=True),
            disable_o_auth=True,
            access_token_validity=Duration.minutes(cat.access_token_minutes),
            id_token_validity=Duration.minutes(cat.id_token_minutes),
            refresh_token_validity=Duration.days(cat.refresh_token_days),
            enable_token_revocation=True,
            # Unknown email and wrong password answer alike (no account enumeration through login).
            prevent_user_existence_errors=True,
        )
