"""The command line as users and outside tests call it: exit codes, JSON, help, no tracebacks."""

from __future__ import annotations

import json
import pathlib

import click
import pytest

from cityops.cli.main import main
from tests.fixtures.commands import cityops
from tests.fixtures.db import scalar
from tests.fixtures.garbage import garbage_rows, table, write


def test_ingest_json_loaded_then_unchanged(wh, tmp_path):
    path = write(tmp_path / "2025-03.xlsx", table())
    first = cityops("ingest", str(path), "--dataset", "garbage_sorting", "--period", "2025-03", "--json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert {k: data[k] for k in ("status", "dataset", "period", "rows")} == {
        "status": "loaded",
        "dataset": "garbage_sorting",
        "period": "2025-03",
        "rows": 10,
    }
    assert data["warnings"] == [] and data["errors"] == [] and data["batch_id"]
    again = cityops("ingest", str(path), "--dataset", "garbage_sorting", "--period", "2025-03", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "unchanged"


def test_ingest_json_rejected_names_row_column_value_rule(wh, tmp_path):
    rows = garbage_rows()
    rows[2][3] = -3
    path = write(tmp_path / "2025-03.xlsx", table(rows))
    done = cityops("ingest", str(path), "--dataset", "garbage_sorting", "--period", "2025-03", "--json")
    assert done.returncode == 1
    problem = json.loads(done.stdout)["errors"][0]
    assert {k: problem[k] for k in ("row", "column", "value", "rule")} == {
        "row": 6,
        "column": "湿垃圾（吨）",
        "value": "-3",
        "rule": "min_value",
    }
    assert problem["message_zh"] and problem["message_en"]
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 0


def test_the_console_names_the_marked_copy_only_when_one_was_written(wh, tmp_path):
    rows = garbage_rows()
    rows[2][3] = -3  # a problem on a cell: the copy marks it
    on_a_cell = cityops("ingest", str(write(tmp_path / "cell.xlsx", table(rows))), "--dataset", "garbage_sorting",
                        "--period", "2025-03")  # fmt: skip
    assert on_a_cell.returncode == 1 and "marked spreadsheet: " in on_a_cell.stdout
    marked = on_a_cell.stdout.split("marked spreadsheet: ")[1].splitlines()[0]
    assert marked.endswith("cell.marked.xlsx") and pathlib.Path(marked).is_file()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")  # refused as a whole: no cell to mark, so no copy
    whole = cityops("ingest", str(empty), "--dataset", "garbage_sorting", "--period", "2025-03")
    assert whole.returncode == 1 and "report in " in whole.stdout and "marked spreadsheet" not in whole.stdout


def test_validate_is_a_dry_run(wh, tmp_path):
    path = write(tmp_path / "2025-03.xlsx", table())
    done = cityops("validate", str(path), "--dataset", "garbage_sorting", "--period", "2025-03", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["status"] == "valid"
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 0
    assert scalar(wh, "select count(*) from audit.ingest_batches") == 0


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "nope.xlsx", "--dataset", "garbage_sorting", "--period", "2025-03"],
        ["ingest", "README.md", "--dataset", "no_such_dataset", "--period", "2025-03"],
        ["ingest", "README.md", "--dataset", "garbage_sorting", "--period", "2025-13"],
        ["ingest", "README.md", "--dataset", "garbage_sorting", "--period", "March"],
        ["ingest", "README.md", "--dataset", "garbage_sorting"],
    ],
)
def test_usage_errors_exit_2_with_a_message_and_no_traceback(home, args):
    done = cityops(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.strip()


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize(
    ("path", "command"), list(_commands(main)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help_text(path, command):
    assert command.help and len(command.help.strip()) > 15, f"`cityops {' '.join(path)}` needs help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"`cityops {' '.join(path)} {param.opts[0]}` needs help text"
