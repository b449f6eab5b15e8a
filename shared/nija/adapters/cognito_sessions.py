"""Recovery and sessions over Cognito: reset codes, password changes, revoking and signing out.

Asking for a code answers alike whether or not the address has an account: the refusals that would
tell (an unknown address, a confirmed one, no verified email) are swallowed here.
"""

from __future__ import annotations

from nija.adapters.cognito import (
    CognitoIdentity,
    _mapped,
    _no_directory_user,
    _provider_refused,
    _refresh_refused,
    _token_refused,
    _wrong_code,
)
from nija.domain.errors import Forbidden, InvalidInput, NijaError, NotFound, ServiceUnavailable


def _wrong_current_password(message: str) -> NijaError:
    # ChangePassword's NotAuthorizedException: the current password (the access token was verified
    # just before). Not a 401: a client would take it for an ended session.
    return Forbidden("the current password is not right", code="wrong_password")


def _totp_refused(message: str) -> NijaError:
    return InvalidInput("the code is not right", field="code", code="invalid_code")


def _nothing_to_send(message: str) -> NijaError:
    return _Quiet(message)


class _Quiet(NijaError):
    """A refusal that is not told to the caller (an unknown or confirmed address asking for a code)."""


def _revocation_off(message: str) -> NijaError:
    # The app client has token revocation off: our configuration, not the caller's request.
    return ServiceUnavailable("signing out is not configured (token revocation on the app client)")


_QUIET = ("UserNotFoundException", "InvalidParameterException", "NotAuthorizedException")


class CognitoSessions(CognitoIdentity):
    def forgot_password(self, email: str) -> None:
        # The pool prevents user-existence errors (an unknown address is answered as a known one);
        # what still tells them apart (no verified address, a disabled user) is kept from the caller.
        quiet = dict.fromkeys(_QUIET, _nothing_to_send)
        try:
            with _mapped(_nothing_to_send, **quiet):
                self._idp.forgot_password(ClientId=self.client_id, Username=email)
        except _Quiet:
            return

    def reset_password(self, email: str, code: str, new_password: str) -> None:
        with _mapped(_wrong_code, UserNotFoundException=_wrong_code, NotAuthorizedException=_wrong_code):
            self._idp.confirm_forgot_password(
                ClientId=self.client_id, Username=email, ConfirmationCode=code, Password=new_password
            )

    def change_password(self, access_token: str, current_password: str, new_password: str) -> None:
        with _mapped(
            _token_refused,
            NotAuthorizedException=_wrong_current_password,
            UserNotFoundException=_token_refused,
        ):
            self._idp.change_password(
                AccessToken=access_token, PreviousPassword=current_password, ProposedPassword=new_password
            )

    def resend_confirmation(self, email: str) -> None:
        quiet = dict.fromkeys(_QUIET, _nothing_to_send)
        try:
            with _mapped(_nothing_to_send, **quiet):
                self._idp.resend_confirmation_code(ClientId=self.client_id, Username=email)
        except _Quiet:
            return

    def revoke(self, refresh_token: str) -> None:
        with _mapped(
            _refresh_refused,
            UnsupportedTokenTypeException=_refresh_refused,
            InvalidParameterException=_refresh_refused,
            NotAuthorizedException=_refresh_refused,
            UnsupportedOperationException=_revocation_off,
        ):
            self._idp.revoke_token(Token=refresh_token, ClientId=self.client_id)

    def sign_out_everywhere(self, access_token: str) -> None:
        with _mapped(
            _token_refused, NotAuthorizedException=_token_refused, UserNotFoundException=_token_refused
        ):
            self._idp.global_sign_out(AccessToken=access_token)

    def sign_out_user(self, email: str) -> None:
        try:
            with _mapped(_provider_refused, UserNotFoundException=_no_directory_user):
                self._idp.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=email)
        except NotFound:
            return

    def disable_totp(self, access_token: str, code: str) -> None:
        with _mapped(
            _token_refused,
            NotAuthorizedException=_token_refused,
            UserNotFoundException=_token_refused,
            CodeMismatchException=_totp_refused,
            EnableSoftwareTokenMFAException=_totp_refused,
        ):
            result = self._idp.verify_software_token(
                AccessToken=access_token, UserCode=code, FriendlyDeviceName="NIJA"
            )
            if result.get("Status") != "SUCCESS":
                raise _totp_refused("")
            self._idp.set_user_mfa_preference(
                AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False}
            )
