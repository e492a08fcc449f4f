"""CARELEDGER_WEBHOOK_ALLOW: networks and host names webhooks may reach although they are
not public, read once at start-up; a malformed entry stops the process with its name."""

from __future__ import annotations

import pytest

from services.notify.deliver.targets import WebhookTargetError, WebhookTargets
from shared.settings import Settings, SettingsError


def test_the_allow_list_is_read_as_networks_and_host_names() -> None:
    settings = Settings.from_env(
        {"CARELEDGER_WEBHOOK_ALLOW": " 127.0.0.1/32, 10.0.0.0/8 ,Hooks.County.TEST., ::1,"}
    )

    assert settings.webhook_allow == (
        "127.0.0.1/32",
        "10.0.0.0/8",
        "hooks.county.test",
        "::1/128",
    )


def test_without_the_setting_only_public_addresses_are_allowed() -> None:
    assert Settings.from_env({}).webhook_allow == ()


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "http://10.0.0.1/", "2130706433", "a b"])
def test_a_malformed_entry_is_refused_at_start_up(entry: str) -> None:
    with pytest.raises(SettingsError, match="CARELEDGER_WEBHOOK_ALLOW"):
        Settings.from_env({"CARELEDGER_WEBHOOK_ALLOW": entry})


def test_an_allowed_host_name_is_trusted_whatever_it_resolves_to() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["10.1.2.3"]

    allowed = WebhookTargets(["hooks.county.test"], resolve)
    target = allowed.target("https://hooks.county.test:8443/in?x=1")

    assert (target.address, target.host_name, target.host_header, target.path) == (
        "10.1.2.3",
        "hooks.county.test",
        "hooks.county.test:8443",
        "/in?x=1",
    )
    with pytest.raises(WebhookTargetError, match="private"):
        allowed.target("https://other.county.test/in")
