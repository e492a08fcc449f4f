"""The settings of sessions and of notify's token check, and where `careledger run`
points notify's API to ask whether a token holds."""

from __future__ import annotations

import pytest

from services.processes import demo_processes
from shared.settings import Settings, SettingsError


def test_access_tokens_last_minutes_and_notify_trusts_an_answer_seconds() -> None:
    settings = Settings.from_env({})
    assert settings.access_token_ttl_seconds == 300
    assert settings.token_ttl_seconds == 8 * 3600
    assert settings.token_check_seconds == 5
    assert settings.cases_url == "http://127.0.0.1:8000"


def test_the_token_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "CARELEDGER_ACCESS_TOKEN_TTL_SECONDS": "120",
            "CARELEDGER_TOKEN_CHECK_SECONDS": "2",
            "CARELEDGER_CASES_URL": "http://cases-api:8000/",
        }
    )
    assert (settings.access_token_ttl_seconds, settings.token_check_seconds) == (120, 2)
    assert settings.cases_url == "http://cases-api:8000"


@pytest.mark.parametrize(
    "name, value",
    [
        ("CARELEDGER_CASES_URL", "cases-api:8000"),
        ("CARELEDGER_TOKEN_CHECK_SECONDS", "0"),
        ("CARELEDGER_ACCESS_TOKEN_TTL_SECONDS", "five"),
    ],
)
def test_a_bad_token_setting_names_itself(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


@pytest.mark.parametrize(
    "host, url",
    [
        ("127.0.0.1", "http://127.0.0.1:9000"),
        ("0.0.0.0", "http://127.0.0.1:9000"),
        ("::", "http://[::1]:9000"),
        ("10.0.0.5", "http://10.0.0.5:9000"),
    ],
)
def test_the_inbox_api_asks_the_case_api_it_runs_beside(host: str, url: str) -> None:
    (notify_api,) = [p for p in demo_processes(host, 9000) if p.name == "notify-api"]
    assert notify_api.args[notify_api.args.index("--cases-url") + 1] == url


def test_the_case_api_points_the_web_app_s_bell_at_the_inbox_beside_it() -> None:
    (cases_api,) = [p for p in demo_processes("127.0.0.1", 9000) if p.name == "cases-api"]
    assert cases_api.args[cases_api.args.index("--notify-url") + 1] == "http://127.0.0.1:9001"
