"""Which peers are the proxies EdGate trusts: EDGATE_TRUSTED_PROXIES, addresses or networks.

One place decides it for both headers a proxy sets: X-Forwarded-For (the client's address,
`context.client_ip`) and X-Forwarded-Proto (whether the client used HTTPS,
`middleware.ForwardedProtoMiddleware`). gunicorn is given the same list (serve/gunicorn_conf.py).

A node bound to a unix socket (`edgate serve --bind unix:PATH`) sees no peer address at all
(gunicorn sets REMOTE_ADDR to ''). Such a peer is the local proxy only when the operator says so
with the entry `unix` (`peer_is_trusted`); otherwise it is an unknown client, whose requests the
per-address limits count under one shared identity (`throttle.UNKNOWN_ADDRESS`), and
`edgate serve` refuses a unix bind without the entry (serve/__init__.py), as well as a socket
handed over by its file descriptor (`bind_refusal`). gunicorn itself reads no forwarded header
(serve/gunicorn_conf.py): it would believe any unix-socket peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The entry of EDGATE_TRUSTED_PROXIES that trusts a peer without an address: the proxy that
# reaches this node over its unix socket.
UNIX = "unix"


def parse(
    entries: list[str] | tuple[str, ...], *, name: str = "EDGATE_TRUSTED_PROXIES"
) -> tuple[Network, ...]:
    """Each entry an address (`10.0.0.5`, `::1`) or a network (`10.0.0.0/24`). A host part set in a
    network (`10.0.0.5/24`) is refused: it is usually a typing mistake, and trusting the whole
    network behind it would be a silent widening. The entry `unix` is no network: it is left out
    here and read by `trusts_unix_socket`."""
    networks = []
    for entry in entries:
        if entry.strip() == UNIX:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=True))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name}: {entry!r} is not an IP address or network (like 10.0.0.5 or 10.0.0.0/24) "
                f"nor {UNIX!r}: {exc}"
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


def trusts_unix_socket(entries: list[str] | tuple[str, ...] | None = None) -> bool:
    """Does EDGATE_TRUSTED_PROXIES (or `entries`) say that a peer without an address, the proxy
    on this node's unix socket, is trusted (the entry `unix`)?"""
    if entries is None:
        entries = tuple(getattr(settings, "TRUSTED_PROXIES", ()))
    return any(entry.strip() == UNIX for entry in entries)


def peer_is_trusted(remote: str | None) -> bool:
    """Is the peer that connected (REMOTE_ADDR) a trusted proxy? One without an address (a unix
    socket's) only when `unix` is listed: never by default, so a unix bind the operator did not
    declare keeps X-Forwarded-For and X-Forwarded-Proto unread."""
    if not remote:
        return trusts_unix_socket()
    return is_trusted(remote)


UNIX_BIND_REFUSED = (
    "{bind}: a node on a unix socket sees no client address. Add 'unix' to EDGATE_TRUSTED_PROXIES "
    "(the proxy on that socket is then trusted with X-Forwarded-For, which it must set), or bind "
    "to HOST:PORT. docs/deploy.md, 'The trusted-proxy setting'."
)
HANDED_OVER_REFUSED = (
    "{bind}: a socket handed over by its file descriptor may be a unix socket, on which a node sees "
    "no client address. Add 'unix' to EDGATE_TRUSTED_PROXIES (the proxy on a unix socket is then "
    "trusted with X-Forwarded-For, which it must set; for a TCP socket the entry changes nothing), "
    "or bind to HOST:PORT. docs/deploy.md, 'The trusted-proxy setting'."
)
SOCKET_ACTIVATION = "systemd socket activation (LISTEN_FDS)"


def unix_bind_undeclared(bind: str, entries: list[str] | tuple[str, ...]) -> bool:
    """A unix-socket bind (`unix:PATH`) without the entry `unix` in `entries`: every client
    would be one unknown address (refused by `edgate serve` and `edgate check --deploy`)."""
    return bind.strip().startswith("unix:") and not trusts_unix_socket(entries)


def socket_activation(environ: Mapping[str, str], *, pid: int | None) -> bool:
    """Does `environ` hand over systemd's sockets (LISTEN_FDS), which gunicorn listens on instead
    of any bind? For process `pid`, only when LISTEN_PID is that process (gunicorn.systemd's own
    test); `pid` None: whichever process (`edgate check --deploy`, which is not the server)."""
    try:
        fds = int(environ.get("LISTEN_FDS", "0").strip() or 0)
        listen_pid = int(environ.get("LISTEN_PID", "0").strip() or 0)
    except ValueError:
        return False  # gunicorn fails on such a value before it listens
    return fds > 0 and (pid is None or listen_pid == pid)


def bind_refusal(bind: str, entries: list[str] | tuple[str, ...], *, socket_activation: bool) -> str | None:
    """Why `edgate serve` must not listen so (None: it may), `entries` being EDGATE_TRUSTED_PROXIES.

    Without the entry `unix`, a unix socket is refused however gunicorn would get it: bound by
    path (`unix:PATH`), or handed over by its file descriptor — `fd://N`, or systemd's socket
    activation (`socket_activation`: LISTEN_FDS, which gunicorn takes instead of any bind) —
    whose kind is not known before gunicorn starts, so it is refused whatever it is (review5 L3).
    Refused by `edgate serve` and `edgate check --deploy` (edgate.E002)."""
    if trusts_unix_socket(entries):
        return None
    if unix_bind_undeclared(bind, entries):
        return UNIX_BIND_REFUSED.format(bind=bind)
    if bind.strip().startswith("fd://"):
        return HANDED_OVER_REFUSED.format(bind=bind)
    if socket_activation:
        return HANDED_OVER_REFUSED.format(bind=SOCKET_ACTIVATION)
    return None
