"""The master keys that wrap each case's data key (envelope encryption).

The first key is the current one: new case keys are wrapped with it, and `rotate` re-wraps
the others with it. The rest are kept only until rotation has moved every case key off
them; then they can be dropped. A key is named by the start of its SHA-256, so the store
says which key wrapped what without holding the key."""

from __future__ import annotations

import hashlib
import os
from base64 import b64decode, b64encode
from dataclasses import dataclass
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class MasterKeyError(ValueError):
    """Raised for a master key that is not 32 bytes of base64, or one not on the list."""


def key_id(key: bytes) -> str:
    """A master key's name: what the store records beside each key it wrapped."""
    return hashlib.sha256(b"careledger master key\n" + key).hexdigest()[:16]


@dataclass(frozen=True)
class MasterKeys:
    """The master keys in force, the current one first."""

    keys: tuple[bytes, ...]

    @classmethod
    def parse(cls, values: tuple[str, ...]) -> MasterKeys:
        """Keys as the settings give them: base64 of 32 bytes each."""
        keys = []
        for n, value in enumerate(values):
            try:
                key = b64decode(value.strip(), validate=True)
            except ValueError:
                raise MasterKeyError(f"master key {n + 1} is not base64") from None
            if len(key) != 32:
                raise MasterKeyError(f"master key {n + 1} is {len(key)} bytes, not 32")
            keys.append(key)
        if not keys:
            raise MasterKeyError("no master key")
        return cls(tuple(keys))

    @property
    def current_id(self) -> str:
        """The name of the key new case keys are wrapped with."""
        return key_id(self.keys[0])

    def wrap(self, case_id: UUID, case_key: bytes) -> tuple[str, str]:
        """`case_key` wrapped by the current master key (bound to the case: a wrapped key
        copied onto another case's row does not open)."""
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(self.keys[0]).encrypt(nonce, case_key, case_id.bytes)
        return self.current_id, b64encode(nonce + sealed).decode()

    def unwrap(self, case_id: UUID, master_key_id: str, wrapped: str) -> bytes:
        """The case key, unwrapped by the master key that wrapped it."""
        for key in self.keys:
            if key_id(key) == master_key_id:
                raw = b64decode(wrapped)
                return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], case_id.bytes)
        raise MasterKeyError(
            f"case keys wrapped by master key {master_key_id} need that key in "
            "CARELEDGER_CASE_MASTER_KEYS"
        )

    @staticmethod
    def new_key() -> str:
        """A new master key, base64 (what `careledger secrets generate` writes)."""
        return b64encode(os.urandom(32)).decode()
