"""Personal data is replaced by a keyed hash before it is stored outside the quarantine.

HMAC-SHA256 with a district key: repeat callers hash alike (so they can be counted), and
without the key a hash cannot be reversed by trying every phone number. The key comes
from CITYOPS_PII_KEY, else a key file made once under CITYOPS_HOME (mode 0600).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from cityops.settings import Home

_NOT_DIGIT = re.compile(r"\D")
_NUMBER = re.compile(r"[0-9０-９](?:[0-9０-９ \-－]*[0-9０-９])?")  # digits, spaces and hyphens between
_DIGITS = re.compile(r"[^0-9０-９]")
HIDDEN = "****"


def _masked_run(match: re.Match) -> str:
    run = match.group(0)
    digits = _DIGITS.sub("", run)
    if len(digits) < 7:
        return run  # a house number, an extension: not a phone
    return f"{digits[-11:-8]}{HIDDEN}{digits[-4:]}" if len(digits) >= 11 else f"{HIDDEN}{digits[-4:]}"


def mask_personal(value: object) -> str | None:
    """A personal cell as pages, reports and logs may show it: 13912340000 -> 139****0000.

    Each number of seven digits or more (spaces and hyphens inside it count as part of it; a
    +86 prefix is dropped) keeps at most its first three and last four digits (a mobile
    number's carrier and its tail, what a clerk needs to find the row); a shorter landline
    keeps its last four. A value with no such run is hidden whole. The one masking rule:
    the reader applies it to every problem on a column the contract marks `personal`.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(int(value) if isinstance(value, float) and value.is_integer()
                                                    else value)  # fmt: skip
    masked = _NUMBER.sub(_masked_run, text)
    return masked if masked != text else HIDDEN


def _key(home: Home) -> bytes:
    configured = os.environ.get("CITYOPS_PII_KEY")
    if configured:
        return configured.encode()
    path: Path = home.root / "secrets" / "pii.key"
    if not path.exists():
        _make_key(path)
    key = path.read_text().strip()
    if len(key) < 32:  # never hash with an empty or truncated key; the message never shows the key
        raise RuntimeError(
            f"the PII key file {path} is empty or truncated: restore it from where secrets are kept "
            "(hashes made with another key would not match), or set CITYOPS_PII_KEY"
        )
    return key.encode()


def _make_key(path: Path) -> None:
    """Written whole under a private name, then linked into place: a full disk leaves no
    half key, and of two processes making it at once, the first one's key wins for both."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
            fh.flush()
            os.fsync(fh.fileno())
        os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink(missing_ok=True)


class PersonalHasher:
    """Hashes phone numbers; the same number in any spelling gives the same hash.

    HMAC-SHA256 (RFC 2104) computed from its two keyed SHA-256 states, copied per value:
    the same bytes as `hmac.new(key, digits, sha256).hexdigest()`, in half its time.
    """

    def __init__(self, home: Home) -> None:
        key = _key(home)
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def _mac(self, digits: str) -> str:
        inner = self._inner.copy()
        inner.update(digits.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        digits = _NOT_DIGIT.sub("", value)
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]  # +86 138... and 138... are the same caller
        if not digits:
            return None
        return self._mac(digits)

    def hash_array(self, values: pa.Array) -> pa.Array:
        """A column of stored text, hashed: ASCII values are reduced to their digits by Arrow
        kernels and each distinct number is hashed once; other spellings (full-width digits
        count as digits here, as in `__call__`) go through `__call__`, one by one."""
        ascii_ = pc.fill_null(pc.string_is_ascii(values), True)
        digits = pc.replace_substring_regex(values, r"[^0-9]", "")
        local = pc.and_(pc.starts_with(digits, "86"), pc.equal(pc.utf8_length(digits), 13))
        digits = pc.if_else(local, pc.utf8_slice_codeunits(digits, 2), digits)
        encoded = pc.if_else(pc.equal(digits, ""), pa.scalar(None, pa.string()), digits).dictionary_encode()
        macs = pa.array([self._mac(d) for d in encoded.dictionary.to_pylist()], pa.string())
        hashed = pc.take(macs, encoded.indices)
        if pc.all(ascii_).as_py():
            return hashed
        others = values.filter(pc.invert(ascii_)).to_pylist()
        patch = pa.array([self(v) for v in others], pa.string())
        return pc.replace_with_mask(hashed, pc.invert(ascii_), patch)


_BLOCK = 64  # SHA-256's block size: HMAC pads (or first hashes) the key to it
