"""An admin's per-user permissions: GET and PUT /admin/users/{id}/permissions (admins only, 403 for
everyone else; 404 for no such user). The user sees theirs on GET /v1/me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from nija import wiring
from nija.api.routers.admin import Admin
from nija.api.schemas import PermissionsOut
from nija.domain.permissions import PermissionsRequest
from nija.logic.permissions import PermissionsService

router = APIRouter(prefix="/admin", tags=["admin"])
PermissionsDep = Annotated[PermissionsService, Depends(wiring.permissions)]


@router.get("/users/{user_id}/permissions", response_model=PermissionsOut)
def get_permissions(user_id: str, caller: Admin, permissions: PermissionsDep) -> PermissionsOut:
    """What the user may trade: brokers, symbols, value caps, trading on or off (the defaults, which
    restrict nothing, until an admin sets them)."""
    return PermissionsOut.of_record(permissions.get(user_id))


@router.put("/users/{user_id}/permissions", response_model=PermissionsOut)
def put_permissions(
    user_id: str, body: PermissionsRequest, caller: Admin, permissions: PermissionsDep
) -> PermissionsOut:
    """Replace the user's permissions whole (a field left out takes its default: no restriction).
    Applies from the next order and scan, orders already queued included; audited in the user's trail."""
    return PermissionsOut.of_record(permissions.put(caller.user_id, user_id, body.permissions()))
