"""System checks run by `edgate check --deploy`."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core import checks

from . import proxies


@checks.register(checks.Tags.security, deploy=True)
def trusted_proxies_set(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Production sits behind a proxy that ends TLS (deploy/nginx). Without EDGATE_TRUSTED_PROXIES
    the proxy's X-Forwarded-Proto is not believed (every page redirects to HTTPS again) and every
    visitor shares the proxy's address for the per-address limits and the audit log."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not getattr(settings, "TRUSTED_PROXIES", None):
        return [
            checks.Warning(
                "EDGATE_TRUSTED_PROXIES is empty: X-Forwarded-Proto and X-Forwarded-For from the "
                "proxy in front of EdGate will be ignored.",
                hint="Set it to the proxy's address as this node sees it (docs/deploy.md, "
                "'The trusted-proxy setting').",
                id="edgate.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def unix_bind_declared(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """EDGATE_BIND on a unix socket (`unix:PATH`) gives every request REMOTE_ADDR '': unless
    EDGATE_TRUSTED_PROXIES has `unix` (the proxy on the socket is trusted with X-Forwarded-For),
    EdGate knows no client's address and counts them all as one (core/proxies.py). A socket
    handed over by its file descriptor (`fd://N`, or systemd's LISTEN_FDS in this environment)
    may be one. `edgate serve` refuses to start so; this says it before."""
    bind = os.environ.get("EDGATE_BIND", "")
    refusal = proxies.bind_refusal(
        bind,
        list(getattr(settings, "TRUSTED_PROXIES", ())),
        socket_activation=proxies.socket_activation(os.environ, pid=None),
    )
    if refusal is not None:
        what = bind if bind.strip().startswith(("unix:", "fd://")) else proxies.SOCKET_ACTIVATION
        return [
            checks.Error(
                f"The socket to listen on is or may be a unix socket ({what}) but EDGATE_TRUSTED_PROXIES "
                "has no 'unix' entry.",
                hint="Add 'unix' to EDGATE_TRUSTED_PROXIES, or bind to HOST:PORT (docs/deploy.md, "
                "'The trusted-proxy setting').",
                id="edgate.E002",
            )
        ]
    return []


SECOND_FACTOR_MIDDLEWARE = "edgate.mfa.middleware.SecondFactorMiddleware"


@checks.register(checks.Tags.security)
def second_factor_middleware_installed(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Privileged sessions are sent to their second factor by SecondFactorMiddleware, and the
    single sign-on authorization endpoint relies on what it finds (sso/views.py
    second_factor_owed): without it the consoles and every application would open on a password
    alone. The endpoint refuses to run without it; this says why at start-up."""
    if SECOND_FACTOR_MIDDLEWARE not in getattr(settings, "MIDDLEWARE", []):
        return [
            checks.Error(
                f"{SECOND_FACTOR_MIDDLEWARE} is not in MIDDLEWARE.",
                hint="Keep it after the authentication middleware, as src/edgate/settings/base.py has it.",
                id="edgate.E001",
            )
        ]
    return []
