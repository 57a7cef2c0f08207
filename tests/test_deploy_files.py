"""deploy/ stays in step with the code: every setting a node reads from its environment is
explained in deploy/edgate.env.example, and the units run the commands that exist.
(bench/deploy_check.py runs the nginx configuration itself; it needs root and nginx.)"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "edgate"
# Development only: never set on a production node.
DEVELOPMENT_ONLY = {"EDGATE_DEBUG", "EDGATE_NODE_MODULES"}


def environment_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in [*SRC.joinpath("settings").glob("*.py"), *SRC.joinpath("serve").glob("*.py")]:
        text = path.read_text()
        names |= set(
            re.findall(
                r"""(?:environ\.get|environ\[|_required|env_list|_int)\(\s*["']([A-Z][A-Z0-9_]+)["']""", text
            )
        )
        names |= set(re.findall(r"""environ\[["']([A-Z][A-Z0-9_]+)["']\]""", text))
        if "dj_database_url.config(" in text:
            names.add("DATABASE_URL")  # the variable dj_database_url reads
    return names - DEVELOPMENT_ONLY


def test_every_environment_variable_is_explained_in_the_example_file() -> None:
    example = (ROOT / "deploy" / "edgate.env.example").read_text()
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    read = environment_read_by_the_code()
    assert {"EDGATE_SECRET_KEY", "DATABASE_URL", "EDGATE_TRUSTED_PROXIES", "EDGATE_WORKERS"} <= read
    assert read - documented == set(), "not in deploy/edgate.env.example"
    assert "DJANGO_SETTINGS_MODULE=edgate.settings.production" in example


def test_units_run_edgate_serve_and_the_hourly_cleanup() -> None:
    systemd = ROOT / "deploy" / "systemd"
    server = (systemd / "edgate.service").read_text()
    cleanup = (systemd / "edgate-cleanup.service").read_text()
    timer = (systemd / "edgate-cleanup.timer").read_text()
    assert re.search(r"^ExecStart=\S+/edgate serve$", server, flags=re.MULTILINE)
    assert re.search(r"^ExecReload=.*HUP", server, flags=re.MULTILINE)
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"):
        assert hardening in server and hardening in cleanup
    assert re.search(r"^ExecStart=\S+/edgate cleanup$", cleanup, flags=re.MULTILINE)
    assert "OnCalendar=hourly" in timer
    for unit in (server, cleanup):
        assert "EnvironmentFile=/etc/edgate/edgate.env" in unit
