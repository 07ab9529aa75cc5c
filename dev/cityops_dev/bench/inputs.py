"""The generated inputs, cached under CITYOPS_HOME/bench/inputs keyed by size (and generator)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import shutil
import tempfile
from pathlib import Path

from cityops_dev.bench.core import Config, say

MONTH = dt.date(2025, 3, 1)
PERIOD = "2025-03"
HOTLINE_ENCODING = "gb18030"  # the hotline export is GBK (Excel's ANSI); GB18030 reads it too
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def _generator_key() -> str:
    """Inputs are regenerated when the sample writers change (a cached file would lie)."""
    import cityops_dev.samples.hotline as hotline
    import cityops_dev.samples.writers as writers

    digest = hashlib.sha256()
    for module in (hotline, writers):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:8]


def _cached(cfg: Config, name: str) -> Path:
    cfg.inputs.mkdir(parents=True, exist_ok=True)
    return cfg.inputs / name


def hotline_csv(cfg: Config, rows: int) -> Path:
    """`cityops samples --rows N` for the hotline: the month as the ticket system exports it."""
    target = _cached(cfg, f"hotline_{rows}_{_generator_key()}.csv")
    if target.exists():
        return target
    from cityops_dev.samples import write_month

    say(f"generating a {rows:,}-row hotline CSV (cityops samples --rows {rows}) …")
    with tempfile.TemporaryDirectory(dir=cfg.inputs) as tmp:
        (written,) = write_month(MONTH, Path(tmp), hotline_rows=rows, datasets=["hotline_cases"])
        shutil.move(written, target)
    say(f"  {target.name}: {target.stat().st_size / 2**20:.0f} MiB")
    return target


def _data_rows(reader):
    """(is_data, row) for each row; data rows are those after the header (工单编号 …)."""
    in_data = False
    for row in reader:
        yield in_data and len(row) > 8, row
        if not in_data and "工单编号" in row:
            in_data = True


def bad_csv(cfg: Config, rows: int, every: int = 100) -> Path:
    """The same month with 1 row in `every` broken: a bad datetime, or a channel not in the list."""
    target = _cached(cfg, f"hotline_{rows}_bad{every}_{_generator_key()}.csv")
    if target.exists():
        return target
    source = hotline_csv(cfg, rows)
    say(f"writing the 1%-bad copy of {source.name} …")
    partial = target.with_suffix(".part")
    with (
        source.open(encoding=HOTLINE_ENCODING, newline="") as fin,
        partial.open("w", encoding=HOTLINE_ENCODING, newline="") as fout,
    ):
        writer = csv.writer(fout, lineterminator="\r\n")
        n = 0
        for is_data, row in _data_rows(csv.reader(fin)):
            if is_data:
                n += 1
                if n % every == 0:
                    if (n // every) % 2:
                        row[1] = "2025-03-32 25:61:00"  # 受理时间: not a time
                    else:
                        row[2] = "传真"  # 受理渠道: not one of the contract's channels
            writer.writerow(row)
    partial.rename(target)
    return target


def hotline_xlsx(cfg: Config, rows: int) -> Path:
    """The hotline month as an .xlsx (openpyxl write_only; times as real datetime cells)."""
    target = _cached(cfg, f"hotline_{rows}_{_generator_key()}.xlsx")
    if target.exists():
        return target
    from openpyxl import Workbook

    source = hotline_csv(cfg, rows)
    say(f"writing a {rows:,}-row hotline xlsx with openpyxl (write_only; slow, cached afterwards) …")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单明细")
    with source.open(encoding=HOTLINE_ENCODING, newline="") as fin:
        for is_data, row in _data_rows(csv.reader(fin)):
            if is_data:
                row = [dt.datetime.fromisoformat(v) if _DATETIME.match(v) else v for v in row]
            sheet.append(row)
    partial = target.with_suffix(".part.xlsx")
    book.save(partial)
    partial.rename(target)
    return target


def month_files(out: Path, period: str, datasets: list[str] | None = None, rows: int | None = None) -> list[Path]:
    """`cityops samples` for a month (all eleven datasets unless `datasets`) into `out`."""
    from cityops.periods import parse_period
    from cityops_dev.samples import write_month

    return write_month(parse_period(period), out, datasets=datasets, hotline_rows=rows)


def garbage_small(cfg: Config) -> Path:
    """A clerk's garbage-sorting month (the sample writer's xlsx: title, ten streets, 合计, footer)
    with one cell typed wrong, so that `validate` refuses it and writes every report."""
    target = _cached(cfg, f"garbage_small_{_generator_key()}.xlsx")
    if target.exists():
        return target
    from openpyxl import load_workbook

    (written,) = month_files(cfg.inputs / "garbage-month", PERIOD, datasets=["garbage_sorting"])
    book = load_workbook(written)
    sheet = book.worksheets[0]
    rows = [row for row in sheet.iter_rows() if any(isinstance(cell.value, (int, float)) for cell in row)]
    number = next(cell for cell in rows[len(rows) // 2] if isinstance(cell.value, (int, float)))
    number.value = "约一千吨"  # not a number
    partial = target.with_suffix(".part.xlsx")
    book.save(partial)
    partial.rename(target)
    shutil.rmtree(cfg.inputs / "garbage-month", ignore_errors=True)
    return target
