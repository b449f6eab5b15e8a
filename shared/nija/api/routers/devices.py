"""Push notification devices: register an Expo push token, or forget one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from nija import wiring
from nija.api.auth import current_principal
from nija.api.standing import Acting
from nija.domain.errors import Conflict, NotFound
from nija.domain.models import Principal
from nija.domain.notifications import MAX_DEVICES, Device
from nija.ports.push import Devices

router = APIRouter(prefix="/v1/devices", tags=["notifications"])
DevicesDep = Annotated[Devices, Depends(wiring.devices)]
Caller = Annotated[Principal, Depends(current_principal)]


@router.post("", status_code=201, response_model=Device)
def register(body: Device, caller: Acting, devices: DevicesDep) -> Device:
    """Fills, refusals, a tripped daily loss limit and paused trading notify this device, as the
    user's settings choose (`strategy.notifications`). Registering again refreshes it."""
    if not devices.add(caller.user_id, body):
        raise Conflict(f"at most {MAX_DEVICES} devices; remove one first")
    return body


@router.delete("/{token}", status_code=204)
def forget(token: str, caller: Acting, devices: DevicesDep) -> Response:
    if not devices.remove(caller.user_id, token):
        raise NotFound("no such device")
    return Response(status_code=204)
