"""Children's names in the read models: encrypted at rest, searchable by keyed hashes.

The list shows a child's name, so the case row needs it; like the events, it is stored
encrypted with AES-GCM under the service's cipher key (the events' own cipher). Search
cannot look inside ciphertext, so each case also gets a few search tokens: HMAC-SHA256
(under a key derived from the cipher key) of its normalised name's prefixes and suffixes,
its full name, and its ID number. A query is hashed the same way and matched by equality,
so no plaintext name is ever stored or compared in the database.

Names are also found by how they are read: tokens of the name's pinyin (pypinyin, no
tones), by whole syllables (wang, wangxiao, wangxiaoming, xiaoming), so a search typed in
pinyin finds the child, and a search for 王晓明 finds 王小明 (the same name read the same
way, as a survey written by hand often spells it). Hashed like the others: no reading is
stored in clear either.

The trade-off: somebody holding the database but not the key learns which cases share a
token (a surname, a given name), though not what it says; with the key, the names can be
read anyway. Substrings in the middle of a name (小 in 王小明) are not found.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from base64 import b64decode
from collections.abc import Sequence
from typing import Any

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment
from pypinyin import lazy_pinyin

_MAX_TOKEN_CHARS = 20  # prefixes and suffixes longer than this add nothing to a search
_SEPARATORS = re.compile(r"[\s·•・.\-]+")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")


def normalise(text: str) -> str:
    """The form names are compared in: NFKC, case-folded, without spaces or dots."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def reading(text: str) -> list[str]:
    """How a normalised name is read: its syllables in pinyin without tones (王小明 →
    wang, xiao, ming); letters and digits as they are."""
    return [syllable for syllable in lazy_pinyin(text) if syllable]


class PersonalData:
    """Seals the displayed fields of a case and derives its search tokens."""

    def __init__(self, cipher_key: str) -> None:
        # Without a key (some tests) the fields are stored as plain JSON, like the events.
        self._cipher = (
            AESCipher(Environment(env={"CIPHER_KEY": cipher_key})) if cipher_key else None
        )
        secret = b64decode(cipher_key) if cipher_key else b""
        self._hmac_key = hashlib.sha256(b"careledger read-model search\x00" + secret).digest()

    def seal(self, fields: dict[str, Any]) -> bytes:
        """The fields as stored: JSON, encrypted when the service has a cipher key."""
        plain = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        return self._cipher.encrypt(plain) if self._cipher else plain

    def open(self, sealed: bytes) -> dict[str, Any]:
        """The fields back from what `seal` stored."""
        plain = self._cipher.decrypt(bytes(sealed)) if self._cipher else bytes(sealed)
        fields: dict[str, Any] = json.loads(plain)
        return fields

    def tokens(
        self, name: str, id_number: str | None, parent_phones: Sequence[str | None] = ()
    ) -> set[str]:
        """Everything a case can be found by (nothing, once erased): its name, ID number
        and its parents' phone numbers (likely duplicates: register/lookalikes.py)."""
        text = normalise(name)[: _MAX_TOKEN_CHARS * 2]
        phones = {self.phone_token(p) for p in parent_phones if p and _digits(p)}
        if not text and not id_number:
            return phones
        found = {self._token("n", text[:n]) for n in range(1, min(len(text), _MAX_TOKEN_CHARS) + 1)}
        found |= {
            self._token("n", text[-n:]) for n in range(2, min(len(text), _MAX_TOKEN_CHARS) + 1)
        }
        found.add(self._token("n", text))
        syllables = reading(text)
        found |= {self._token("p", "".join(syllables[:n])) for n in range(1, len(syllables) + 1)}
        found |= {self._token("p", "".join(syllables[-n:])) for n in range(2, len(syllables))}
        if id_number:
            found.add(self._token("i", id_number.strip().upper()))
        return found | phones

    def phone_token(self, phone: str) -> str:
        """The token of a parent's phone number, by its digits (138-0013-8000 is
        13800138000)."""
        return self._token("t", _digits(phone))

    def query_tokens(self, q: str) -> list[str]:
        """The tokens a search for `q` matches: a name (or a start or end of one), or an
        ID number."""
        text = normalise(q)
        wanted = [self._token("n", text)]
        # Typed in pinyin (wangxiaoming, "wang xiao ming"), or two characters or more
        # read the same way (王晓明 for 王小明); a single character stays itself (王 is
        # not 汪).
        if text.isascii() or len(text) >= 2:
            wanted.append(self._token("p", "".join(reading(text))))
        if _ID_NUMBER.match(q.strip().upper()):
            wanted.append(self._token("i", q.strip().upper()))
        return wanted

    def _token(self, kind: str, text: str) -> str:
        digest = hmac.digest(self._hmac_key, f"{kind}:{text}".encode(), "sha256")
        return digest[:16].hex()  # 128 bits: collisions are not a practical concern
