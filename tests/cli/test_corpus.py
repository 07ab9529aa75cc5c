"""Files that nobody here made (issue 16): other projects' own test files, and the findings' files.

The corpus is built at test time (cityops_dev.corpus: each sdist named in its manifest is
downloaded with pip, its sha256 checked, the listed test files extracted into a cache); the
findings' files are built by tests/fixtures/foreign.py. A fixed sample goes through the real
command line (one run each: `validate --json` or `ingest`, under its own name or renamed to
another format, the four in turn), each judged as the issue asks: exit 1 or 2, one JSON object or a
rejection in both languages, nothing on stderr, no traceback, under 500 MiB, never accepted.
Every corpus file, under both names, also goes through the reader in-process. The whole matrix,
with its times, is `make bench-foreign`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cityops.contracts import get_contract
from cityops.extract.reader import canonical_chunks, file_problem, open_extract
from cityops.extract.sniff import FileRefused
from cityops.problems import ProblemLog
from cityops_dev import corpus
from tests.fixtures.commands import CITYOPS
from tests.fixtures.foreign import generated

CONTRACT = get_contract(corpus.DATASET)
# One or two files of each project and format; the findings' files all go.
SAMPLE = (
    "agate-excel/examples/test_sheets.xlsx",
    "agate-excel/examples/test_empty.xls",
    "pyexcel-xls/tests/fixtures/complex_hidden_sheets.xls",
    "pyexcel-xlsx/tests/fixtures/merged-cell-sheet.xlsx",
    "tablib/tests/files/bad_dimensions.xlsx",
    "xlutils/xlutils/tests/ragged.xls",
    "pyexcel-io/tests/fixtures/csv-encoding-utf16.csv",
    "csvkit/examples/null_byte.csv",
    "csvkit/examples/test_latin1.csv",
    "csvkit/examples/dummy.tsv",
    "chardet/tests/windows-1252/_ude_1.txt",
    "chardet/tests/GB2312/_mozilla_bug171813_text.html",
)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    try:
        found = dict(corpus.build())
    except corpus.CorpusUnavailable as exc:
        pytest.fail(f"the foreign-file corpus could not be built (it is downloaded with pip): {exc}")
    assert 60 <= len(found) <= 150, len(found)
    assert sum(p.stat().st_size for p in found.values()) < 4 << 20, "a few MiB"
    made = generated(tmp_path_factory.mktemp("generated"))
    return found | {f"generated/{name}": path for name, path in made.items()}


def test_a_sample_through_the_command_line_is_refused_cleanly(wh, files, tmp_path):
    labels = [*SAMPLE, *(label for label in files if label.startswith("generated/"))]
    runs = []
    for index, label in enumerate(labels):  # one run each, the four kinds in turn
        command = ("validate", "ingest")[index % 2]
        name = corpus.names(files[label])[(index // 2) % 2]
        runs.append(corpus.run(files[label], label, name, command, tmp_path / "run", CITYOPS, timed=False))
    faults = [r for r in runs if r.faults]
    print("\n" + corpus.summary(runs))
    assert not faults, corpus.summary(runs)


def test_every_corpus_file_under_both_names_is_refused_by_the_reader_in_both_languages(files, tmp_path):
    """The reader alone (the command line adds nothing to the decision): a blocking problem for each."""
    problems = []
    for label, path in files.items():
        if label.startswith("generated/"):
            continue  # one is a valid month with a bad value: refused by the gate, run on the command line above
        for name in corpus.names(path):
            copy = tmp_path / name
            copy.write_bytes(path.read_bytes())
            log = ProblemLog()
            extract = open_extract(copy, CONTRACT, log)
            if extract is not None:
                try:
                    for _ in canonical_chunks(extract, CONTRACT, log):
                        pass
                except FileRefused as refused:
                    log.add(file_problem(refused, copy, CONTRACT))
            if not log.blocking:
                problems.append(f"{label} as {name}: nothing blocks it")
            elif not all(p.message_zh and p.message_en for p in log.errors):
                problems.append(f"{label} as {name}: a message missing")
            copy.unlink()
    assert not problems, problems
