"""Webhook secrets at rest: sealed with AES-GCM (the event store's own cipher) under a key
derived from the deployment's cipher key, or its token secret where there is none.

So a copy of notify's database alone, a backup say, does not let anyone sign webhooks
as CareLedger; the delivery workers open a secret only to sign a body. The API never
returns one.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b64decode, b64encode
from binascii import Error as Base64Error

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from shared.settings import Settings

_PREFIX = "sealed:v1:"
# A key of its own for this purpose, so the event store's key is never used directly.
_PURPOSE = b"careledger/notify/webhook-secrets/v1"


class SecretUnreadableError(ValueError):
    """Raised when a stored secret cannot be opened (another key, or damaged)."""


class SecretBox:
    """Seals and opens subscription secrets."""

    def __init__(self, key_material: str) -> None:
        if not key_material:
            raise ValueError("sealing secrets needs the cipher key or the token secret")
        key = hmac.new(key_material.encode(), _PURPOSE, hashlib.sha256).digest()
        self._cipher = AESCipher(Environment(env={"CIPHER_KEY": b64encode(key).decode()}))

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The box of this deployment: every notify process must be given the same keys
        (`with_generated_secrets` reads them from the data folder)."""
        return cls(settings.cipher_key or settings.token_secret)

    def seal(self, secret: str) -> str:
        """The text to store for `secret`."""
        return _PREFIX + b64encode(self._cipher.encrypt(secret.encode())).decode()

    def open(self, sealed: str) -> str:
        """The secret a stored text holds."""
        if not sealed.startswith(_PREFIX):
            raise SecretUnreadableError("the stored secret is not sealed")
        try:
            return self._cipher.decrypt(b64decode(sealed[len(_PREFIX) :])).decode()
        except (ValueError, Base64Error, UnicodeDecodeError):
            raise SecretUnreadableError(
                "the stored secret cannot be opened with this deployment's key"
            ) from None
