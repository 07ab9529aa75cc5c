"""What a file really is, checked before anything parses it.

A file must be what its name says (a `.xlsx` that is really a CSV, or a binary renamed
`.csv`, is refused), and spreadsheets are inspected as zip archives first so that a
zip bomb or an XML entity trick is refused before a parser expands it.
"""

from __future__ import annotations

import codecs
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
XLS_SUFFIXES = {".xls"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_SAMPLE = 1 << 20
MAX_FILE_BYTES = int(os.environ.get("CITYOPS_MAX_FILE_MB", "1024")) << 20
MAX_UNZIPPED_BYTES = int(os.environ.get("CITYOPS_MAX_UNZIPPED_MB", "2048")) << 20
MAX_ZIP_RATIO = 200  # real xlsx compress 5-20x; bombs compress thousands of times


class FileRefused(Exception):
    """The file as a whole cannot be read; `rule` names why (see validate/messages.py)."""

    def __init__(self, rule: str, **details: object) -> None:
        super().__init__(rule)
        self.rule = rule
        self.details = details


@dataclass(frozen=True)
class FileKind:
    format: str  # xlsx | xls | csv
    encoding: str | None = None
    delimiter: str | None = None


def _text_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    if b"\x00" in sample:
        raise FileRefused("not_text")
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused("not_text")


def _delimiter(text: str) -> str:
    lines = text.splitlines()[:40]
    tabs = sum(line.count("\t") for line in lines)
    commas = sum(line.count(",") for line in lines)
    return "\t" if tabs > commas else ","


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise FileRefused("not_what_name_says", found="zip")
            unzipped = sum(info.file_size for info in infos)
            packed = max(1, sum(info.compress_size for info in infos))
            if unzipped > MAX_UNZIPPED_BYTES or unzipped / packed > MAX_ZIP_RATIO:
                raise FileRefused("unsafe_file")
            for info in infos:
                if info.filename.startswith("/") or ".." in info.filename.split("/"):
                    raise FileRefused("unsafe_file")
                if info.filename.endswith((".xml", ".rels")):
                    with archive.open(info) as member:
                        head = member.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise FileRefused("unsafe_file")
    except zipfile.BadZipFile as exc:
        raise FileRefused("unreadable", found="xlsx") from exc


def sniff(path: Path) -> FileKind:
    """Check the file against its name and say how to read it."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size == 0:
        raise FileRefused("empty_file")
    if size > MAX_FILE_BYTES:
        raise FileRefused("too_large", limit_mb=MAX_FILE_BYTES >> 20)
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE)
    if suffix in XLSX_SUFFIXES:
        if not sample.startswith(_ZIP):
            raise FileRefused("not_what_name_says", expected="xlsx")
        _check_zip(path)
        return FileKind("xlsx")
    if suffix in XLS_SUFFIXES:
        if not sample.startswith(_OLE2):
            raise FileRefused("not_what_name_says", expected="xls")
        return FileKind("xls")
    if suffix in CSV_SUFFIXES:
        if sample.startswith((_ZIP, _OLE2)):
            raise FileRefused("not_what_name_says", expected="csv")
        encoding = _text_encoding(sample)
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
        if not text.strip():
            raise FileRefused("empty_file")
        return FileKind("csv", encoding, _delimiter(text))
    raise FileRefused("unsupported_format", suffix=suffix or "(none)")
