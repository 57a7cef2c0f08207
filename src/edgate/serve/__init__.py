"""`edgate serve`: the production server (gunicorn with the configuration in gunicorn_conf.py).

`edgate serve [--bind HOST:PORT]` runs gunicorn's master process in this process; it imports
`edgate.wsgi`, whose settings default to `edgate.settings.production` (set
DJANGO_SETTINGS_MODULE to run others). Everything else is read from the environment by
gunicorn_conf.py, so a systemd unit and a shell start the same server.

A unix-socket bind (`--bind unix:PATH`) is refused unless EDGATE_TRUSTED_PROXIES has the entry
`unix`: on a socket gunicorn gives no client address (REMOTE_ADDR ''), so without it EdGate could
tell no client from another (core/proxies.py). So is a socket handed over by its file descriptor
(`--bind fd://N`, or systemd's socket activation), which may be one.
"""

from __future__ import annotations

import argparse
import os
import sys

from edgate.core import proxies

DEFAULT_BIND = "127.0.0.1:8000"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="edgate serve",
        description=(
            "Serve EdGate with gunicorn (production settings unless DJANGO_SETTINGS_MODULE says "
            "otherwise). Workers, threads and the rest come from the environment: see "
            "edgate/serve/gunicorn_conf.py and deploy/edgate.env.example."
        ),
    )
    parser.add_argument(
        "--bind",
        default=os.environ.get("EDGATE_BIND", DEFAULT_BIND),
        help=f"HOST:PORT or unix:PATH to listen on (default: EDGATE_BIND or {DEFAULT_BIND})",
    )
    parser.add_argument("--check-config", action="store_true", help="print the effective settings and exit")
    options = parser.parse_args(argv)
    trusted = [e.strip() for e in os.environ.get("EDGATE_TRUSTED_PROXIES", "").split(",") if e.strip()]
    refusal = proxies.bind_refusal(
        options.bind, trusted, socket_activation=proxies.socket_activation(os.environ, pid=os.getpid())
    )
    if refusal is not None:
        parser.exit(2, f"edgate serve: {refusal}\n")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgate.settings.production")

    from gunicorn.app.wsgiapp import WSGIApplication

    gunicorn_argv = ["edgate serve", "--config", "python:edgate.serve.gunicorn_conf", "--bind", options.bind]
    if options.check_config:
        gunicorn_argv.append("--print-config")
    sys.argv = [*gunicorn_argv, "edgate.wsgi:application"]
    WSGIApplication("%(prog)s [OPTIONS]").run()
