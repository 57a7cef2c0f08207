"""Which peers are the proxies EdGate trusts: EDGATE_TRUSTED_PROXIES, addresses or networks.

One place decides it for both headers a proxy sets: X-Forwarded-For (the client's address,
`context.client_ip`) and X-Forwarded-Proto (whether the client used HTTPS,
`middleware.ForwardedProtoMiddleware`). gunicorn is given the same list (serve/gunicorn_conf.py).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse(
    entries: list[str] | tuple[str, ...], *, name: str = "EDGATE_TRUSTED_PROXIES"
) -> tuple[Network, ...]:
    """Each entry an address (`10.0.0.5`, `::1`) or a network (`10.0.0.0/24`). A host part set in a
    network (`10.0.0.5/24`) is refused: it is usually a typing mistake, and trusting the whole
    network behind it would be a silent widening."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=True))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name}: {entry!r} is not an IP address or network (like 10.0.0.5 or 10.0.0.0/24): {exc}"
            ) from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse(entries)


def is_trusted(address: str | None) -> bool:
    """Is `address` (a peer's, or a hop of X-Forwarded-For) one of the trusted proxies?"""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.5 is 10.0.0.5 (a dual-stack socket's view)
    return any(ip in network for network in _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()))))
