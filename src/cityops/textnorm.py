"""Text folding shared by header matching and value lookups.

Departments type on Chinese keyboards: full-width digits and brackets, ideographic
spaces, line breaks inside header cells. Folding makes those spellings compare equal.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")"})


def fold(value: object) -> str:
    """Canonical comparison form: NFKC (full-width -> half-width), no spaces, lower case."""
    text = unicodedata.normalize("NFKC", str(value)).translate(_BRACKETS)
    return _SPACE.sub("", text).lower()


def tidy(value: object) -> str:
    """A text cell as stored: trimmed of any white space (ideographic too); inner text as written."""
    return str(value).strip()
