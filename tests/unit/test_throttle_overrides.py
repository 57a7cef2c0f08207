"""EDGATE_THROTTLES: limits raised or lowered from the environment, checked at start-up."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from edgate.core import conf


def _with(settings, text: str) -> conf.EdgateSettings:  # type: ignore[no-untyped-def]
    edgate = copy.deepcopy(settings.EDGATE)
    edgate["THROTTLE_OVERRIDES"] = text
    settings.EDGATE = edgate
    conf.reset()
    return conf.get()


def test_overrides_replace_the_named_limits_only(settings) -> None:  # type: ignore[no-untyped-def]
    before = conf.get()
    after = _with(settings, " register_address=100000 , match_address=500/60,")
    assert after.limit("register_address").limit == 100000
    assert after.limit("register_address").window == before.limit("register_address").window
    assert after.limit("match_address").limit == 500
    assert after.limit("match_address").window == timedelta(seconds=60)
    assert after.limit("sign_in_profile") == before.limit("sign_in_profile")


@pytest.mark.parametrize(
    "text", ["register_adress=5", "register_address", "register_address=0", "register_address=5/x", "x=1/1"]
)
def test_a_bad_override_stops_start_up(settings, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImproperlyConfigured, match="EDGATE_THROTTLES"):
        _with(settings, text)


def test_the_environment_variable_reaches_the_settings() -> None:
    code = (
        "import django; django.setup(); from edgate.core import conf; "
        "print(conf.get().limit('register_address').limit)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "edgate.settings.test",
        "EDGATE_THROTTLES": "register_address=77",
    }
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "77"
