"""The checkpoints' signing key: Ed25519, from its own setting or file, never stored in
the database (docs/auditors.md)."""

from __future__ import annotations

from base64 import b64decode, b64encode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def signing_key(seed_base64: str) -> Ed25519PrivateKey:
    """The private key from the base64 of its 32-byte seed (Settings.audit_signing_key)."""
    seed = b64decode(seed_base64, validate=True)
    if len(seed) != 32:
        raise ValueError("the audit signing key must be 32 bytes, base64-encoded")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as auditors are given it: base64 of its 32 raw bytes."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def public_key(text: str) -> Ed25519PublicKey:
    """A public key from `public_key_text`."""
    return Ed25519PublicKey.from_public_bytes(b64decode(text, validate=True))


def verifies(key: Ed25519PublicKey, message: bytes, signature_hex: str) -> bool:
    """Whether `signature_hex` is `key`'s signature of `message`."""
    try:
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
