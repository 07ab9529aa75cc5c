"""Hostile and broken input: refused with a clear reason, in bounded memory; nothing extracted
anywhere; odd file names placed safely; text that looks like SQL stays text.

How long a refusal takes is measured by `make bench` (group `limits`), not asserted here:
on a busy machine a wall-clock limit fails for no fault of the code."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cityops.errors import PlacementRefused
from cityops.ingest import ingest
from cityops.load.files import place, safe_name
from tests.fixtures.commands import ROOT
from tests.fixtures.db import query, scalar
from tests.fixtures.garbage import table, write

SHEET = "xl/worksheets/sheet1.xml"
XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10))
    + b"]>\n"
)
EXTERNAL = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _good_xlsx(folder: Path) -> Path:
    return write(folder / "good.xlsx", table())


def _rezip(source: Path, target: Path, change: dict[str, bytes]) -> Path:
    """A copy of the workbook `source` with some parts replaced or added."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, change.pop(info.filename, old.read(info.filename)))
        for name, data in change.items():
            new.writestr(name, data)
    return target


def _with_prolog(source: Path, target: Path, part: str, prolog: bytes) -> Path:
    with zipfile.ZipFile(source) as old:
        body = old.read(part)
    body = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
    return _rezip(source, target, {part: XML_DECL + prolog + body.lstrip()})


def _refused(wh, path: Path, rule: str) -> None:
    outcome = ingest(path, "garbage_sorting", "2025-03")
    assert outcome.status == "rejected", outcome.to_json()
    [problem] = outcome.problems.errors
    assert (problem.rule, problem.row) == (rule, None), problem
    assert problem.message_zh and problem.message_en
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 0
    assert scalar(wh, "select status from audit.ingest_batches where batch_id = %s", outcome.batch_id) == "rejected"


@pytest.mark.parametrize(
    ("name", "part", "prolog"),
    [
        ("billion_laughs", SHEET, LAUGHS),
        ("external_entity", "xl/workbook.xml", EXTERNAL),
        # A DTD may follow comments: a check of the first 4 KiB alone would miss this one.
        ("laughs_after_a_long_comment", SHEET, b"<!--" + b"padding " * 1200 + b"-->\n" + LAUGHS),
        ("entity_in_the_relationships", "_rels/.rels", EXTERNAL),
    ],
)
def test_xml_with_a_dtd_inside_an_xlsx_is_refused_before_parsing(wh, tmp_path, name, part, prolog):
    bad = _with_prolog(_good_xlsx(tmp_path), tmp_path / f"{name}.xlsx", part, prolog)
    _refused(wh, bad, "unsafe_file")


def test_a_utf16_part_cannot_hide_a_dtd(wh, tmp_path):
    good = _good_xlsx(tmp_path)
    with zipfile.ZipFile(good) as old:
        body = old.read(SHEET)
    body = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
    text = '<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS.decode() + body.decode()
    bad = _rezip(good, tmp_path / "utf16.xlsx", {SHEET: text.encode("utf-16")})
    _refused(wh, bad, "unsafe_file")


def test_a_part_that_lies_about_its_size_is_refused(wh, tmp_path):
    """The ratio check trusts the sizes the zip declares; reading the parts proves them."""
    good = _good_xlsx(tmp_path)
    data = bytearray(good.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:  # central directory entries: declare every part as 1 byte unzipped
        data[entry + 24 : entry + 28] = (1).to_bytes(4, "little")
        entry = data.find(b"PK\x01\x02", entry + 4)
    bad = tmp_path / "liar.xlsx"
    bad.write_bytes(bytes(data))
    outcome = ingest(bad, "garbage_sorting", "2025-03")
    assert [p.rule for p in outcome.problems.errors] in (["unreadable"], ["unsafe_file"])


def test_a_member_named_with_dot_dots_is_refused_and_nothing_is_extracted(wh, tmp_path):
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    bad = _rezip(_good_xlsx(tmp_path), work / "slip.xlsx", {"../../evil.txt": b"pwned", "/abs.txt": b"x"})
    _refused(wh, bad, "unsafe_file")
    assert not (tmp_path / "evil.txt").exists() and not Path("/abs.txt").exists()
    assert not list(wh.root.rglob("evil.txt"))


BOMB_CHILD = """
import json, sys
from pathlib import Path
from cityops.contracts import get_contract
from cityops.extract.reader import open_extract
from cityops.problems import ProblemLog
log = ProblemLog()
extract = open_extract(Path(sys.argv[1]), get_contract("garbage_sorting"), log)
rows = sum(1 for _ in extract.rows) if extract else 0  # without the check: the whole bomb is parsed
# VmHWM, not ru_maxrss: the latter survives exec and would count the forking pytest's memory.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"rules": [p.rule for p in log.errors], "rows": rows, "max_rss_mb": peak_kb / 1024}))
"""


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # a runaway parse dies, not the machine


@pytest.mark.slow
def test_a_zip_bomb_saved_as_xlsx_is_refused_in_bounded_memory(tmp_path):
    good = _good_xlsx(tmp_path)
    bomb = tmp_path / "2025-03.xlsx"
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != SHEET:
                new.writestr(info.filename, old.read(info.filename))
        with new.open(SHEET, "w", force_zip64=True) as sheet:  # 256 MiB of rows, a few hundred KiB zipped
            sheet.write(XML_DECL + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            sheet.write(b"<sheetData>")
            block = b'<row><c t="n"><v>1</v></c><c t="n"><v>2</v></c></row>' * 4096
            for _ in range((256 << 20) // len(block)):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    assert bomb.stat().st_size < 4 << 20
    done = subprocess.run(
        [sys.executable, "-c", BOMB_CHILD, str(bomb)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        preexec_fn=_limit_memory,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["rules"] == ["unsafe_file"] and result["rows"] == 0
    assert result["max_rss_mb"] < 400, result


def test_a_file_over_the_configured_size_limit_is_refused_without_reading_it(wh, tmp_path, monkeypatch):
    monkeypatch.setenv("CITYOPS_MAX_FILE_MB", "1")
    big = tmp_path / "2025-03.csv"
    lines = table()
    with big.open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(",".join(str(c) for c in line) + "\n")
        fh.write(("," * 9 + "\n") * 120_000)  # blank rows: 1.2 MB of a file that is otherwise valid
    _refused(wh, big, "too_large")
    [problem] = ingest(big, "garbage_sorting", "2025-03").problems.errors
    assert "1 MB" in problem.message_en and "1 MB" in problem.message_zh


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("program.csv", Path(sys.executable).resolve().read_bytes()[:65536], "not_text"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "not_text"),
        ("archive.csv", b"PK\x03\x04" + bytes(200), "not_what_name_says"),
        ("spreadsheet97.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "not_what_name_says"),
        ("text.xlsx", "统计月份,街镇\n2025-03,华阳路\n".encode(), "not_what_name_says"),
        ("empty.csv", b"", "empty_file"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused(wh, tmp_path, name, content, rule):
    path = tmp_path / name
    path.write_bytes(content)
    _refused(wh, path, rule)


# --- names ------------------------------------------------------------------------------------

ODD_NAMES = [
    "..2025-03.xlsx",
    ".hidden 2025-03.xlsx",
    "2025-03 (1).xlsx",
    "-rf 2025-03.xlsx",
    "2025-03'; drop table audit.ingest_batches; --.xlsx",
    "$(touch pwned) 2025-03.xlsx",
    "..\\..\\windows 2025-03.xlsx",
    "长宁区 2025年3月 垃圾分类.xlsx",
    "line\nbreak 2025-03.xlsx",
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_a_landing_file_with_an_odd_name_is_placed_inside_its_decision_folder(wh, tmp_path, name):
    landing = wh.landing / "garbage_sorting"
    landing.mkdir(parents=True, exist_ok=True)
    path = write(landing / name, table())
    before = set(wh.root.parent.iterdir())
    outcome = ingest(path, "garbage_sorting", "2025-03")
    assert outcome.status == "loaded", outcome.to_json()
    stored = Path(outcome.stored_file)
    folder = stored.parent
    assert folder.parent.parent.parent == wh.archive, stored
    assert stored.name == safe_name(name) and stored.is_file()
    assert "/" not in stored.name and "\\" not in stored.name and "\n" not in stored.name
    assert not stored.name.startswith(".")
    assert not path.exists(), "moved out of landing"
    assert set(wh.root.parent.iterdir()) == before, "nothing written beside CITYOPS_HOME"
    assert [p.name for p in folder.iterdir()] == [stored.name], "no partial copy left behind"
    recorded = scalar(wh, "select source_file from audit.ingest_batches where batch_id = %s", outcome.batch_id)
    assert recorded == str(path), "the name is stored verbatim, as data"
    assert scalar(wh, "select count(*) from audit.ingest_batches") == 1


def test_a_users_relative_path_with_dot_dots_is_fine_and_placed_by_base_name(wh, tmp_path, monkeypatch):
    (tmp_path / "work" / "sub").mkdir(parents=True)
    own = write(tmp_path / "work" / "2025-03.xlsx", table())
    monkeypatch.chdir(tmp_path / "work" / "sub")
    outcome = ingest(Path("../2025-03.xlsx"), "garbage_sorting", "2025-03")
    assert outcome.status == "loaded"
    stored = Path(outcome.stored_file)
    assert stored.name == "2025-03.xlsx"
    assert stored.parent.parent.parent.parent == wh.archive
    assert own.exists(), "a file given on the command line is copied, the user's own stays"


def test_placement_never_leaves_its_folder(tmp_path):
    root, outside = tmp_path / "home", tmp_path / "elsewhere"
    (root / "archive").mkdir(parents=True)
    outside.mkdir()
    source = tmp_path / "x.csv"
    source.write_text("a\n")
    for hostile in ("../x", "..", ".", "a/../../b", "/etc/passwd", "C:\\evil", "\x00nul", ""):
        name = safe_name(hostile)
        assert "/" not in name and "\\" not in name and name not in {".", ".."} and name, (hostile, name)
    placed = place(source, root / "archive", root, move=False)
    assert placed.parent == root / "archive"
    with pytest.raises(PlacementRefused):
        place(source, outside, root, move=False)
    with pytest.raises(PlacementRefused):
        place(source, root / "archive" / ".." / ".." / "elsewhere", root, move=False)


# --- text that looks like SQL -----------------------------------------------------------------

INJECTION = "'; drop table raw.garbage_sorting; --"


def test_sql_in_a_street_cell_is_an_unknown_street_and_drops_nothing(wh, tmp_path):
    assert ingest(write(tmp_path / "first.xlsx", table()), "garbage_sorting", "2025-03").status == "loaded"
    lines = table()
    lines[3][1] = INJECTION
    outcome = ingest(write(tmp_path / "second.xlsx", lines), "garbage_sorting", "2025-03")
    assert outcome.status == "rejected"
    [problem] = [p for p in outcome.problems.errors if p.rule == "unknown_street"]
    assert (problem.row, problem.value) == (4, INJECTION)
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 10
    report = scalar(wh, "select report from audit.ingest_batches where batch_id = %s", outcome.batch_id)
    assert INJECTION in [e["value"] for e in report["errors"]], "stored verbatim, as data"


def test_sql_in_a_free_text_cell_is_stored_verbatim(wh, tmp_path):
    from tests.fixtures.rows import hotline, load

    rows = [hotline(i) for i in range(3)]
    rows[1]["description"] = INJECTION
    rows[2]["description"] = "Robert'); DROP TABLE audit.ingest_batches;-- 门口占道"
    outcome = load(tmp_path, "hotline_cases", rows)
    assert outcome.status == "loaded", [p.message_en for p in outcome.problems.errors]
    stored = [r[0] for r in query(wh, "select description from raw.hotline_cases order by _row")]
    assert stored[1:] == [INJECTION, rows[2]["description"]]
    assert scalar(wh, "select count(*) from audit.ingest_batches") == 1, "the audit table is still there"
