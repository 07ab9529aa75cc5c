"""Small programs the harness measures in their own process: `python -m cityops_dev.bench.children CMD ...`.

Each prints one JSON object on stdout. Imports are inside the commands so that a child
pays for what it measures and nothing else.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

BLOCK = 1 << 20


def header_offset(path: Path, min_fields: int = 8) -> tuple[int, str]:
    """Byte offset of the header line (titles above it are skipped) and the file's encoding."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        head.decode("utf-8")
        encoding = "UTF8"
    except UnicodeDecodeError as exc:
        encoding = "UTF8" if exc.start > len(head) - 4 else "GB18030"
    offset = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while offset < len(head):
        end = head.find(b"\n", offset)
        if head[offset:end].count(b",") + 1 >= min_fields:
            return offset, encoding
        offset = end + 1
    raise SystemExit(f"no header line in the first 64 KiB of {path}")


def copy_floor(path: str, url: str) -> dict:
    """The floor: the file's bytes from its header on, COPY'd into an all-text table."""
    import psycopg

    file = Path(path)
    offset, encoding = header_offset(file)
    with file.open("rb") as fh:
        fh.seek(offset)
        columns = fh.readline().count(b",") + 1
        fh.seek(offset)
        with psycopg.connect(url) as conn:
            conn.execute("drop table if exists public.bench_floor")
            cols = ", ".join(f"c{i} text" for i in range(columns))
            conn.execute(f"create table public.bench_floor ({cols})")
            with conn.cursor() as cur:
                copy_sql = f"copy public.bench_floor from stdin (format csv, header, encoding '{encoding}')"
                with cur.copy(copy_sql) as copy:
                    while block := fh.read(BLOCK):
                        copy.write(block)
                rows = cur.rowcount
    return {"rows": rows, "columns": columns, "encoding": encoding}


def ingest_many(specs: list[str]) -> dict:
    """Load several files in one process (GX imported once): DATASET:PERIOD:FILE each."""
    from cityops.ingest import ingest

    outcomes = {}
    for spec in specs:
        dataset, period, file = spec.split(":", 2)
        outcome = ingest(file, dataset, period)
        outcomes[f"{dataset} {period}"] = f"{outcome.status} {outcome.rows}"
        print(f"{dataset} {period}: {outcome.status} {outcome.rows}", file=sys.stderr, flush=True)
    return outcomes


def validate_warm(path: str, runs: str) -> dict:
    """`cityops validate`'s check, repeated in one process: the first run cold, then warm."""
    from cityops.ingest import ingest

    seconds = []
    for _ in range(int(runs) + 1):
        started = time.perf_counter()
        outcome = ingest(path, "garbage_sorting", "2025-03", dry_run=True)
        seconds.append(time.perf_counter() - started)
    return {"first_s": seconds[0], "seconds": seconds[1:], "status": outcome.status}


def xlsx_project(path: str) -> dict:
    """The project's read + normalise of a hotline xlsx (no hashing, no gate, no load)."""
    from cityops.contracts import get_contract
    from cityops.extract.reader import canonical_chunks, open_extract
    from cityops.problems import ProblemLog

    contract = get_contract("hotline_cases")
    started = time.perf_counter()
    log = ProblemLog()
    extract = open_extract(Path(path), contract, log)
    if extract is None:
        raise SystemExit(f"the reader refused {path}: {log.summary()}")
    rows = sum(len(chunk) for chunk in canonical_chunks(extract, contract, log))
    return {"seconds": time.perf_counter() - started, "rows": rows, "problems": len(log.errors)}


def xlsx_calamine(path: str) -> dict:
    """calamine's raw read of the same file: every cell as a Python value."""
    from python_calamine import load_workbook

    started = time.perf_counter()
    rows = load_workbook(path).get_sheet_by_index(0).to_python()
    return {"seconds": time.perf_counter() - started, "rows": len(rows)}


def dag_parse(path: str) -> dict:
    """One DAG file through a DagBag, as the DAG processor parses it; airflow's import excluded."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:
        from airflow.models.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=path, safe_mode=False)  # examples are off by AIRFLOW__CORE__LOAD_EXAMPLES
    seconds = time.perf_counter() - started
    errors = {name: str(error) for name, error in bag.import_errors.items()}
    return {"seconds": seconds, "dags": sorted(bag.dag_ids), "errors": errors}


def airflow_dag(dag_id: str, logical_date: str) -> dict:
    """`airflow dags test` of one DAG on the home's SQLite metadata (migrated first, untimed)."""
    from cityops.orchestrate.airflow_run import ensure_metadata_db, run_dag
    from cityops.settings import Home

    if sys.argv[-1] == "--prepare":
        ensure_metadata_db(Home.from_env())
        return {"prepared": True}
    run_dag(dag_id, {}, logical_date)
    return {"dag": dag_id}


def _garbage_xlsx(work: Path) -> Path:
    import datetime as dt

    from cityops_dev.samples import write_month

    (path,) = write_month(dt.date(2025, 3, 1), work / "garbage", datasets=["garbage_sorting"])
    return path


def _hostile(kind: str, work: Path) -> Path:
    """A hostile garbage file, built from a sample month (the same shapes tests/extract/test_hostile.py refuses)."""
    import zipfile

    good = _garbage_xlsx(work)
    target = work / f"{kind}.xlsx"
    sheet = "xl/worksheets/sheet1.xml"
    head = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    if kind == "too_large":
        target = work / "too_large.csv"
        target.write_text("统计月份,街镇\n" + ",\n" * 700_000, encoding="utf-8")  # over CITYOPS_MAX_FILE_MB=1
        return target
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != sheet:
                new.writestr(info.filename, old.read(info.filename))
        with new.open(sheet, "w", force_zip64=True) as part:
            if kind == "laughs":
                entities = b"".join(
                    b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"lol") * 10)
                    for n in range(1, 10)
                )
                body = old.read(sheet)
                body = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
                part.write(head + b"<!DOCTYPE lolz [" + entities + b"]>\n" + body.lstrip())
            else:  # a bomb: 256 MiB of rows, a few hundred KiB zipped
                part.write(head + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                part.write(b"<sheetData>")
                block = b'<row><c t="n"><v>1</v></c><c t="n"><v>2</v></c></row>' * 4096
                for _ in range((256 << 20) // len(block)):
                    part.write(block)
                part.write(b"</sheetData></worksheet>")
    return target


def limit_refuse(kind: str, work: str) -> dict:
    """The time from opening a hostile file to its refusal (the reader alone, no warehouse)."""
    from cityops.contracts import get_contract
    from cityops.extract.reader import open_extract
    from cityops.problems import ProblemLog

    path = _hostile(kind, Path(work))
    contract = get_contract("garbage_sorting")
    started = time.perf_counter()
    log = ProblemLog()
    extract = open_extract(path, contract, log)
    rows = sum(1 for _ in extract.rows) if extract else 0
    return {"seconds": time.perf_counter() - started, "rules": [p.rule for p in log.errors], "rows": rows}


def limit_samples(rows: str, work: str) -> dict:
    """`cityops samples` of a hotline month of ROWS rows."""
    import datetime as dt

    from cityops_dev.samples import write_month

    started = time.perf_counter()
    write_month(dt.date(2025, 3, 1), Path(work) / "samples", hotline_rows=int(rows), datasets=["hotline_cases"])
    return {"seconds": time.perf_counter() - started, "rows": int(rows)}


def limit_dagbag(work: str) -> dict:
    """The whole dags/ folder through one DagBag, Airflow's own import included (the old test's limit)."""
    started = time.perf_counter()
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:
        from airflow.models.dagbag import DagBag
    from cityops.settings import PROJECT_ROOT

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    return {"seconds": time.perf_counter() - started, "dags": len(bag.dag_ids), "errors": len(bag.import_errors)}


def main(argv: list[str]) -> None:
    command, *args = argv
    handlers = {
        "copy": lambda: copy_floor(*args),
        "ingest-many": lambda: ingest_many(args),
        "validate-warm": lambda: validate_warm(*args),
        "xlsx-project": lambda: xlsx_project(*args),
        "xlsx-calamine": lambda: xlsx_calamine(*args),
        "dag-parse": lambda: dag_parse(*args),
        "airflow-dag": lambda: airflow_dag(*args[:2]),
        "limit-refuse": lambda: limit_refuse(*args),
        "limit-samples": lambda: limit_samples(*args),
        "limit-dagbag": lambda: limit_dagbag(*args),
    }
    print(json.dumps(handlers[command](), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
