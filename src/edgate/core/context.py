"""Who is acting, and from where: passed explicitly to every action."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.http import HttpRequest

from . import proxies


@dataclass(frozen=True)
class Ctx:
    client_ip: str | None = None
    actor_id: int | None = None
    actor_label: str = ""

    @classmethod
    def system(cls, label: str = "system") -> Ctx:
        return cls(actor_label=label)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the nearest untrusted hop of X-Forwarded-For when a trusted proxy sent it.

    None when there is no address to give: a peer without one (a unix socket) that is not a
    trusted proxy (`proxies.peer_is_trusted`: the entry `unix`), or a trusted one that sent no
    usable X-Forwarded-For. The per-address limits count None under one shared identity
    (`throttle.UNKNOWN_ADDRESS`), never as unlimited; audit events record None (no address)."""
    remote = request.META.get("REMOTE_ADDR") or None
    if not proxies.peer_is_trusted(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote
        if not proxies.is_trusted(hop):
            return hop
    return remote


def ctx_from_request(request: HttpRequest) -> Ctx:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Ctx(client_ip=client_ip(request), actor_id=user.pk, actor_label=user.get_username())
    return Ctx(client_ip=client_ip(request))
