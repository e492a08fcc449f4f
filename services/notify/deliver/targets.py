"""Where webhooks may go. A subscription's URL is refused unless it is a plain http(s)
URL (no credentials, no whitespace or control characters, a real host name or a dotted
IP address) whose host is, and resolves to, public addresses only: never loopback,
private, link-local (the cloud metadata service at 169.254.169.254), multicast, reserved
or unspecified ones, unless the operator allows them (`CARELEDGER_WEBHOOK_ALLOW`: networks
such as `10.0.0.0/8`, or host names trusted whatever they resolve to).

The check runs twice: when an admin subscribes, and before every delivery, which
resolves the name once, checks every address again and connects to the checked one, so
a name that now resolves elsewhere (DNS rebinding) cannot redirect a signed body.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from shared.settings import Settings, parse_webhook_allow

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# A host name and port → the addresses it resolves to; raises OSError when it does not.
Resolver = Callable[[str, int], list[str]]

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$")
# Names that only a numeric parser reads as an address (2130706433, 0177.0.0.1, 0x7f.1,
# 127.1): no DNS name ends in a numeric label, so they are never a real host name.
_NUMERIC_TAIL = re.compile(r"(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)\.?$")
_KINDS = (
    ("is_unspecified", "an unspecified"),
    ("is_loopback", "a loopback"),
    ("is_link_local", "a link-local"),
    ("is_multicast", "a multicast"),
    ("is_reserved", "a reserved"),  # before private: Python counts 240/4 as both
    ("is_private", "a private"),
)


class WebhookTargetError(ValueError):
    """Raised when a webhook URL is malformed, or its host is or resolves to an address
    webhooks may not reach."""

    field = "url"


@dataclass(frozen=True)
class Target:
    """A checked webhook target: connect to `address`, speak to `host_name`."""

    scheme: str
    host_name: str  # for the certificate check and SNI
    host_header: str  # the URL's host[:port], as the receiver expects it
    port: int
    path: str  # path and query
    address: str  # the checked address to connect to


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives `host`, each once, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_syntax(url: str) -> SplitResult:
    """The URL's parts; raises WebhookTargetError unless it is an http(s) URL with a
    well-formed host, a real port, and no credentials, fragment or whitespace."""
    # urlsplit silently drops tabs and line breaks: look at the text as given.
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise WebhookTargetError("Must not contain spaces, line breaks or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise WebhookTargetError("Not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookTargetError("Must be an http:// or https:// URL with a host.")
    # Credentials in a URL end up in listings and logs; the signature proves the sender.
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise WebhookTargetError("Must not contain a user name or password.")
    if port == 0 or parts.fragment:
        raise WebhookTargetError("Must name a real port and no #fragment.")
    if _literal(parts.hostname) is None and (
        not _HOST_NAME.match(parts.hostname) or _NUMERIC_TAIL.search(parts.hostname)
    ):
        raise WebhookTargetError(
            "The host must be a DNS name (IDN as punycode) or a dotted IPv4 or an IPv6 address."
        )
    return parts


class WebhookTargets:
    """The rule of where webhooks may go, with the operator's allow-list and a resolver
    (the system's; tests hand in their own)."""

    def __init__(self, allow: Iterable[str] = (), resolve: Resolver = system_resolver) -> None:
        entries = parse_webhook_allow(allow)
        self._networks: list[Network] = []
        self._hosts: set[str] = set()
        for entry in entries:
            try:
                self._networks.append(ipaddress.ip_network(entry))
            except ValueError:
                self._hosts.add(entry)
        self._resolve = resolve

    @classmethod
    def from_settings(
        cls, settings: Settings, resolve: Resolver = system_resolver
    ) -> WebhookTargets:
        """The rule with the operator's allow-list (`CARELEDGER_WEBHOOK_ALLOW`)."""
        return cls(settings.webhook_allow, resolve)

    def check_subscription(self, url: str) -> None:
        """Raises WebhookTargetError unless `url` may be subscribed. A name that does not
        resolve now is taken: every delivery checks it again before connecting."""
        with contextlib.suppress(OSError):
            self.target(url)

    def target(self, url: str) -> Target:
        """Resolves `url`'s host once and checks every address; the target to connect to.
        Raises WebhookTargetError when it may not be reached, OSError when the name does
        not resolve."""
        parts = check_syntax(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        literal = _literal(host)
        addresses = [literal] if literal is not None else self._addresses(host, port)
        if host.rstrip(".") not in self._hosts:
            for address in addresses:
                self._check(address)
        return Target(
            scheme=parts.scheme,
            host_name=host,
            host_header=parts.netloc,
            port=port,
            path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
            address=str(addresses[0]),
        )

    def _addresses(self, host: str, port: int) -> list[Address]:
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self._resolve(host, port)]
        if not found:
            raise OSError(f"{host} resolves to no address")
        return found

    def _check(self, address: Address) -> None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self._networks):
            return
        for attribute, kind in _KINDS:
            if getattr(address, attribute):
                raise WebhookTargetError(_refusal(kind))
        if not address.is_global:
            raise WebhookTargetError(_refusal("a non-public"))


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _refusal(kind: str) -> str:
    # The address itself is not echoed: the answer must not map an internal network.
    return (
        f"The host is or resolves to {kind} address; webhooks go to public addresses "
        "unless the operator allows it (CARELEDGER_WEBHOOK_ALLOW)."
    )
