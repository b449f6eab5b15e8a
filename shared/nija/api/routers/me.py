"""The caller's profile, and their data rights: GET /v1/me/export (everything held about them, as
JSON) and DELETE /v1/me (their account, keys and data; the audit trail stays, pseudonymised)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from nija import wiring
from nija.api.auth import current_principal
from nija.api.routers.auth import client_ip
from nija.api.schemas import MeOut
from nija.domain.models import Principal
from nija.logic.accounts import Accounts
from nija.logic.data_rights import DataRights
from nija.logic.permissions import PermissionsService

router = APIRouter(prefix="/v1", tags=["profile"])
AccountsDep = Annotated[Accounts, Depends(wiring.accounts)]
DataRightsDep = Annotated[DataRights, Depends(wiring.data_rights)]
PermissionsDep = Annotated[PermissionsService, Depends(wiring.permissions)]
Caller = Annotated[Principal, Depends(current_principal)]


class DeleteMeIn(BaseModel):
    """A destructive action, confirmed by typing the account's email address."""

    model_config = ConfigDict(extra="forbid")

    confirm: str = Field(min_length=1, description="this account's email address")


class ExportOut(BaseModel):
    """`data` holds one entry per kind of record (profile, strategy_settings, risk_settings, permissions,
    broker_credentials (metadata, never keys), positions, equity, orders, trades, equity_snapshots,
    pnl_buckets, audit_events, sign_in_events, websocket_connections, paper_balances, paper_orders...).
    When `complete` is false, `truncated` names the kinds cut short (their newest records are in)."""

    format: str
    user_id: str
    exported_at: str
    complete: bool
    truncated: list[str]
    notice: str | None
    data: dict[str, Any]


@router.get("/me", response_model=MeOut)
def me(caller: Caller, accounts: AccountsDep, permissions: PermissionsDep) -> MeOut:
    """Your profile, and `permissions`: what an admin allows you (brokers, symbols, value caps,
    trading on or off)."""
    return MeOut.of(accounts.profile(caller.user_id), permissions.of(caller.user_id))


@router.get("/me/export", response_model=ExportOut)
def export_me(caller: Caller, data_rights: DataRightsDep) -> JSONResponse:
    """Everything NIJA holds about you, as one JSON document (up to about 5 MB: see `complete`).
    Never a secret: no API key, no broker key."""
    document = data_rights.export(caller.user_id)
    return JSONResponse(
        document,
        headers={
            "Content-Disposition": f'attachment; filename="nija-export-{caller.user_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.delete("/me", status_code=204)
def delete_me(
    body: Annotated[DeleteMeIn, Body()], caller: Caller, request: Request, data_rights: DataRightsDep
) -> Response:
    """Delete your account: broker keys, settings, orders, positions, trades, figures, API key and
    sign-in. Refused (409 open_orders) while an order may still fill. A retry finishes an erasure
    that stopped half-way. Your audit trail stays, under your random user id only."""
    data_rights.delete_account(caller.user_id, body.confirm, client_ip(request))
    return Response(status_code=204)
