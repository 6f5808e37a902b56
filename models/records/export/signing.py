"""The desktop's export key: every records export's ``manifest.json`` signed (Ed25519) into ``signature.json``.

The hashes of an export are unkeyed: someone who rewrites an entry, every hash after it and the manifest
makes a folder that checks whole. A signature made with a key that only this replica holds closes that,
for a records team that registered the key's fingerprint once (``scc-desktop export key``) and checks each
export against it (``verify_export.py --signed-by FINGERPRINT``): a rewritten manifest no longer matches
the signature, and a signature made again with another key names another fingerprint.

The private key is made on first use and kept in the encrypted replica (``replica_meta`` row
``export_signing_key``), so it is as safe as the decision log itself, travels with a backup of the replica
and is never written anywhere else. A replica made afresh has a new key: its fingerprint is registered anew.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import text

KEY_ROW = "export_signing_key"
SIGNATURE_NAME = "signature.json"
SIGNATURE_FORMAT = "scc-records-export-signature"


class SigningKeyError(Exception):
    """The key kept in the replica cannot be read; the message says what to do."""


@dataclass(frozen=True)
class ExportKey:
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def signature_bytes(self, manifest: bytes) -> bytes:
        """``signature.json``: the Ed25519 signature of the manifest's exact bytes, with the public key."""
        doc = {"format": SIGNATURE_FORMAT, "format_version": 1, "algorithm": "Ed25519", "signs": "manifest.json",
               "public_key": self.public_raw.hex(), "key_fingerprint": self.fingerprint,
               "signature": self.private.sign(manifest).hex()}
        return (json.dumps(doc, indent=2) + "\n").encode("ascii")


def fingerprint(public_raw: bytes) -> str:
    """The key's name for a records team to register: the SHA-256 of its 32 raw bytes, in hex."""
    return hashlib.sha256(public_raw).hexdigest()


def spaced(fp: str, groups: int = 8) -> str:
    """The first ``groups`` fours of a fingerprint, spaced for reading aloud or copying by hand."""
    return " ".join(fp[i:i + 4] for i in range(0, 4 * groups, 4))


def load_or_create(session) -> ExportKey:
    """This replica's export key, made and kept on first use (in the caller's write transaction)."""
    row = session.execute(text("SELECT value FROM replica_meta WHERE key = :k"), {"k": KEY_ROW}).scalar()
    if row is not None:
        try:
            return ExportKey(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(row)))
        except (ValueError, TypeError):
            raise SigningKeyError(
                f"the export key kept in this replica (replica_meta row {KEY_ROW}) cannot be read: it was changed "
                "outside SCC Desktop. Nothing was exported. A new key needs that row deleted; the records team then "
                "registers the new key's fingerprint ('scc-desktop export key').") from None
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    session.execute(text("INSERT INTO replica_meta (key, value) VALUES (:k, :v)"), {"k": KEY_ROW, "v": raw.hex()})
    return ExportKey(key)


def export_key(store) -> ExportKey:
    with store.writing() as s:
        return load_or_create(s)


_P = 2 ** 255 - 19


def canonical(public_raw: bytes) -> bool:
    """Whether 32 bytes are a point's one encoding (RFC 8032, 5.1.3): y below p, and no sign bit on x = 0 (y = 1
    or p - 1).  OpenSSL takes the other encodings of those points; the standalone checker refuses them."""
    value = int.from_bytes(public_raw, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    return y < _P and not (sign and y in (1, _P - 1))


def verify(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    """The app's check of a signature (OpenSSL's Ed25519), beside the standalone checker's own: a public key
    not in its one encoding is refused first, as the standalone checker's decoding refuses it."""
    if len(public_raw) != 32 or not canonical(public_raw):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
