"""What a file really is, checked before anything parses it.

A file must be what its name says (a `.xlsx` that is really a CSV, or a binary renamed
`.csv`, is refused), and spreadsheets are inspected as zip archives first so that a
zip bomb or an XML entity trick is refused before a parser expands it. The zip's
directory is checked here; every part is read through (`check_zip_parts`) by the
workbook reader while its child, under its memory and CPU limits, opens the workbook,
and its refusal comes before any row (workbook.py).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
XLS_SUFFIXES = {".xls"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_SAMPLE = 1 << 20
_PROLOG = 64 << 10  # an XML part's declarations must end (and its root element begin) within this
_XML_PARTS = (".xml", ".rels", ".vml")
MAX_ZIP_RATIO = 200  # real xlsx compress 5-20x; bombs compress thousands of times


def max_file_bytes() -> int:
    """CITYOPS_MAX_FILE_MB (default 1024), read at each check so a change applies at once."""
    return int(os.environ.get("CITYOPS_MAX_FILE_MB", "1024")) << 20


def max_unzipped_bytes() -> int:
    return int(os.environ.get("CITYOPS_MAX_UNZIPPED_MB", "2048")) << 20


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


def undecodable(data: bytes, start: int, end: int, row_before: int = 0) -> FileRefused:
    """The refusal for bytes at data[start:end] that the file's encoding cannot read.

    One explanation whatever follows the stray byte and wherever it is: the row it is on
    (counted from `row_before`, the rows read before `data`) and the byte itself.
    """
    row = row_before + data.count(b"\n", 0, start) + 1
    return FileRefused("unknown_encoding", row_number=row, byte=" ".join(f"0x{b:02X}" for b in data[start:end][:4]))


def _lone_high_byte(sample: bytes) -> int | None:
    """Where the first non-ASCII byte stands alone between ASCII bytes, if every one does.

    GBK writes Chinese text as runs of two or more high bytes; a file whose only non-ASCII
    bytes are single ones (`Café,` in Latin-1) is not GBK, even where gb18030 would pair
    such a byte with the ASCII letter after it.
    """
    first = None
    i, n = 0, len(sample)
    while i < n:
        if sample[i] < 0x80:
            i += 1
            continue
        j = i
        while j < n and sample[j] >= 0x80:
            j += 1
        if j - i > 1:
            return None
        first = i if first is None else first
        i = j
    return first


def _text_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    if b"\x00" in sample:
        raise FileRefused("not_text")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _binary(sample):
        raise FileRefused("not_text")
    lone = _lone_high_byte(sample)
    if lone is not None:
        raise undecodable(sample, lone, lone + 1)
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        first = min(exc, utf8_error, key=lambda e: e.start)
        raise undecodable(sample, first.start, first.end) from None


def locate_undecodable(path: Path, encoding: str) -> FileRefused:
    """The refusal for the first bytes of `path` that `encoding` cannot read (found again, from the start)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    rows_before = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            try:
                decoder.decode(block, final=False)
            except UnicodeDecodeError as exc:
                # The decoder may hold back a few bytes of the previous block: count from this one.
                start = max(0, exc.start - (len(exc.object) - len(block)))
                return undecodable(block, start, start + max(1, exc.end - exc.start), rows_before)
            rows_before += block.count(b"\n")
    return FileRefused("unknown_encoding", row_number=rows_before + 1, byte="")


def _binary(sample: bytes) -> bool:
    """Control characters other than tab, CR, LF, FF: another program's file, not text in an odd encoding."""
    controls = sum(1 for b in sample[:65536] if b < 0x20 and b not in (9, 10, 12, 13))
    return controls > 0


def _delimiter(text: str) -> str:
    lines = text.splitlines()[:40]
    tabs = sum(line.count("\t") for line in lines)
    commas = sum(line.count(",") for line in lines)
    return "\t" if tabs > commas else ","


def _prolog_is_safe(head: bytes, complete: bool) -> bool:
    """True when the XML part's root element starts before any declaration.

    A DTD (and so any entity: billion laughs, external entities) can only come before the
    root element, so only the prolog is read: XML declaration, comments and processing
    instructions may come first; any other `<!…` is refused, and so is a prolog that does
    not end within the first 64 KiB. Excel writes UTF-8, and UTF-16 (with its byte order
    mark) for some customXml parts: those are decoded before the check, so that UTF-16
    cannot hide a `<!DOCTYPE` from it; any other NUL byte is refused.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel writes some customXml parts (Power Query's) in UTF-16: check the decoded prolog.
        text = codecs.getincrementaldecoder("utf-16")(errors="strict")
        try:
            head = text.decode(head, final=complete).encode("utf-8")
        except UnicodeError:
            return False
    if b"\x00" in head[:_PROLOG]:
        return False
    i = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while i < len(head) and head[i] in b" \t\r\n":
            i += 1
        if i == len(head):
            return complete  # an empty part, or a prolog longer than we read
        for opener, closer in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if head.startswith(opener, i):
                end = head.find(closer, i + len(opener))
                if end < 0:
                    return False
                i = end + len(closer)
                break
        else:
            return head.startswith(b"<", i) and not head.startswith(b"<!", i)


def _check_zip(path: Path) -> None:
    """The directory: an xlsx's names, and sizes that no real workbook has (a bomb's)."""
    limit = max_unzipped_bytes()
    with _archive(path) as archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise FileRefused("not_what_name_says", found="zip")
        unzipped = sum(info.file_size for info in infos)
        packed = max(1, sum(info.compress_size for info in infos))
        if unzipped > limit or unzipped / packed > MAX_ZIP_RATIO:
            raise FileRefused("unsafe_file")
        for info in infos:
            if info.filename.startswith(("/", "\\")) or ".." in info.filename.replace("\\", "/").split("/"):
                raise FileRefused("unsafe_file")


def check_zip_parts(path: Path) -> None:
    """Every part of a workbook whose directory passed `sniff`: XML without declarations that
    expand (see `_prolog_is_safe`), and no part larger than the directory says."""
    with _archive(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                if info.filename.lower().endswith(_XML_PARTS):
                    head = member.read(_PROLOG)
                    if not _prolog_is_safe(head, complete=len(head) < _PROLOG):
                        raise FileRefused("unsafe_file")
                # Read to the end in bounded blocks: zipfile stops at the declared size and
                # checks the CRC, so a part that lies about its size is refused here, before
                # a row is read from a parser that trusted the declared sizes.
                while member.read(1 << 20):
                    pass


@contextlib.contextmanager
def _archive(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            yield archive
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise FileRefused("unreadable", found="xlsx") from exc


def _encrypted(path: Path) -> bool:
    """An OLE compound file holding Office's EncryptionInfo and EncryptedPackage streams.

    That is how Excel saves an .xlsx with a password to open it. The two names are looked for
    as directory entries: UTF-16LE, at a 128-byte boundary, with the length Office writes.
    """
    wanted = {name: name.encode("utf-16-le") + b"\x00\x00" for name in ("EncryptionInfo", "EncryptedPackage")}
    found: set[str] = set()
    overlap = 128
    with path.open("rb") as fh:
        offset, tail = 0, b""
        while block := fh.read(1 << 20):
            data = tail + block
            base = offset - len(tail)
            for name, pattern in wanted.items():
                start = data.find(pattern)
                while start >= 0:
                    entry = data[start : start + 66]
                    aligned = (base + start) % 128 == 0 and len(entry) == 66
                    if aligned and int.from_bytes(entry[64:66], "little") == len(pattern):
                        found.add(name)
                        break
                    start = data.find(pattern, start + 1)
            if len(found) == len(wanted):
                return True
            offset += len(block)
            tail = data[-overlap:]
    return False


def sniff(path: Path) -> FileKind:
    """Check the file against its name and say how to read it."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size == 0:
        raise FileRefused("empty_file")
    limit = max_file_bytes()
    if size > limit:
        raise FileRefused("too_large", limit_mb=limit >> 20)
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE)
    if suffix in XLSX_SUFFIXES | XLS_SUFFIXES and sample.startswith(_OLE2) and _encrypted(path):
        raise FileRefused("password_protected")
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
