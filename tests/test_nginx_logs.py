"""deploy/nginx/edgate.conf keeps query strings out of nginx's logs, the error log included:
nginx quotes the whole request line with every error about a request (a node down, restarting
or slow), so the ID token of /oauth/logout?id_token_hint=… reached the disk (sec3's finding L1).
The servers log errors from "crit" up, and the access log says which node answered and how.

The second test runs nginx itself (skipped where there is none), as bench/deploy_check.py does,
in front of two nodes that are down."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "edgate.conf"
SECRET = "eyJhbGciOiJSUzI1NiJ9.SECFIX-ID-TOKEN.sig"


def server_blocks(conf: str) -> list[str]:
    return re.findall(r"^server \{\n(.*?)^\}", conf, flags=re.MULTILINE | re.DOTALL)


def test_every_server_logs_errors_from_crit_up_and_the_access_log_names_the_upstream() -> None:
    conf = SITE.read_text()
    blocks = server_blocks(conf)
    assert len(blocks) == 3
    for block in blocks:
        assert re.search(r"^\s+error_log \S+ (crit|alert|emerg);", block, flags=re.MULTILINE), block[:200]
    log_format = re.search(r"log_format edgate_noquery (.*?);", conf, flags=re.DOTALL)
    assert log_format is not None
    assert "$upstream_addr" in log_format.group(1) and "$upstream_status" in log_format.group(1)
    assert "$request " not in log_format.group(1) and "$request_uri" not in log_format.group(1)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_a_node_that_cannot_be_reached_leaves_no_query_string_in_any_log(tmp_path: Path) -> None:
    from bench.deploy_check import SERVER_NAME, free_port, nginx_site, self_signed

    cert, key = self_signed(tmp_path)
    down = [SimpleNamespace(port=free_port()), SimpleNamespace(port=free_port())]
    http, https = free_port(), free_port()
    conf = nginx_site(tmp_path, cert, key, down, http, https)  # type: ignore[arg-type]
    # The http level at Debian's default level ("error"), as /etc/nginx/nginx.conf has it.
    conf.write_text(conf.read_text().replace("nginx-error.log warn;", "nginx-error.log error;"))
    nginx = shutil.which("nginx") or "nginx"
    subprocess.run([nginx, "-c", str(conf), "-p", str(tmp_path)], check=True, capture_output=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the self-signed certificate
            for _ in range(50):
                try:
                    response = requests.get(
                        f"https://127.0.0.1:{https}/oauth/logout?id_token_hint={SECRET}",
                        headers={"Host": SERVER_NAME},
                        verify=False,  # noqa: S501 - nginx's self-signed certificate, on loopback
                        timeout=10,
                    )
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
        assert response.status_code == 502
        time.sleep(0.3)
    finally:
        subprocess.run([nginx, "-c", str(conf), "-p", str(tmp_path), "-s", "stop"], capture_output=True)
    logs = {path.name: path.read_text() for path in tmp_path.glob("*.log")}
    assert "nginx-error.log" in logs and "nginx-access.log" in logs
    for name, text in logs.items():
        assert SECRET not in text and "id_token_hint" not in text, name
    # What the error log no longer says, the access log does: both nodes tried, neither answered.
    line = next(x for x in logs["nginx-access.log"].splitlines() if "/oauth/logout" in x)
    assert line.endswith(f"127.0.0.1:{down[0].port}, 127.0.0.1:{down[1].port} 502, 502") or line.endswith(
        f"127.0.0.1:{down[1].port}, 127.0.0.1:{down[0].port} 502, 502"
    ), line
