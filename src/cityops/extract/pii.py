"""Personal data is replaced by a keyed hash before it is stored outside the quarantine.

HMAC-SHA256 with a district key: repeat callers hash alike (so they can be counted), and
without the key a hash cannot be reversed by trying every phone number. The key comes
from CITYOPS_PII_KEY, else a key file made once under CITYOPS_HOME (mode 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from cityops.settings import Home

_NOT_DIGIT = re.compile(r"\D")


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
    """Hashes phone numbers; the same number in any spelling gives the same hash."""

    def __init__(self, home: Home) -> None:
        self._base = hmac.new(_key(home), digestmod=hashlib.sha256)

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        digits = _NOT_DIGIT.sub("", value)
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]  # +86 138... and 138... are the same caller
        if not digits:
            return None
        mac = self._base.copy()  # copying a keyed object is cheaper than re-keying
        mac.update(digits.encode())
        return mac.hexdigest()
