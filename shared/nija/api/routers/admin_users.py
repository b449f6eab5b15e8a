"""Admin console: the user list (paged, filtered by status and tier), disabling, enabling and erasing
a user, and the console page itself. Admins only (403 for everyone else), except the page: it holds no data
and signs the admin in, then every figure it shows comes from these admin routes."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from nija import wiring
from nija.api.routers.admin import Admin
from nija.api.routers.auth import client_ip
from nija.api.routers.me import DeleteMeIn
from nija.api.schemas import MeOut, Page, PageToken
from nija.domain.models import Tier, UserStatus
from nija.logic.accounts import Accounts
from nija.logic.data_rights import DataRights

router = APIRouter(prefix="/admin", tags=["admin"])
AccountsDep = Annotated[Accounts, Depends(wiring.accounts)]
DataRightsDep = Annotated[DataRights, Depends(wiring.data_rights)]


@router.get("/users", response_model=Page[MeOut], response_model_exclude_none=True)
def list_users(
    caller: Admin,
    accounts: AccountsDep,
    status: UserStatus | None = None,
    tier: Tier | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: PageToken = None,
) -> Page[MeOut]:
    """Users, newest first. Filtered pages may hold fewer than `limit`: follow `next_token`."""
    users, token = accounts.list_users(status, tier, limit, next_token)
    return Page[MeOut](items=[MeOut.of(u) for u in users], next_token=token)


@router.post("/users/{user_id}/disable", response_model=MeOut)
def disable_user(user_id: str, caller: Admin, accounts: AccountsDep) -> MeOut:
    """No sign-in, every session ended, every API call refused, no order placed for them."""
    return MeOut.of(accounts.set_status(caller.user_id, user_id, UserStatus.DISABLED))


@router.post("/users/{user_id}/enable", response_model=MeOut)
def enable_user(user_id: str, caller: Admin, accounts: AccountsDep) -> MeOut:
    return MeOut.of(accounts.set_status(caller.user_id, user_id, UserStatus.ACTIVE))


@router.post("/users/{user_id}/erase", status_code=204)
def erase_user(
    user_id: str,
    body: Annotated[DeleteMeIn, Body()],
    caller: Admin,
    request: Request,
    data_rights: DataRightsDep,
) -> Response:
    """Erase an account on its owner's request when they cannot sign in to DELETE /v1/me themselves
    (a disabled account): the same erasure, confirmed with the account's email address, audited with
    the admin as the actor. 409 open_orders while an order may still fill; 404 for no such user."""
    data_rights.delete_account(user_id, body.confirm, client_ip(request), actor=caller.user_id)
    return Response(status_code=204)


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
def console() -> HTMLResponse:
    page, policy = console_page()
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Content-Security-Policy": policy}
    return HTMLResponse(page, headers=headers)


@router.get("/console.js", include_in_schema=False)
def console_script() -> Response:
    """The page's script, a file of its own: the page's policy allows scripts from its origin only."""
    return Response(_asset("console.js"), media_type="text/javascript; charset=utf-8")


@cache
def _asset(name: str) -> str:
    return resources.files("nija.api").joinpath(name).read_text(encoding="utf-8")


@cache
def console_page() -> tuple[str, str]:
    """The page and its Content-Security-Policy: its script from its own origin (console.js), its one
    style block by its SHA-256 hash, nothing inline besides, no other origin, no framing."""
    page = _asset("console.html")
    (style,) = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    style_hash = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = (
        f"default-src 'none'; script-src 'self'; style-src 'sha256-{style_hash}'; "
        "connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return page, policy
