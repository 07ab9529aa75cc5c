"""The front door for one department file: validate it, or ingest it. The CLI and the DAGs call this.

One trip down the layers, each once:
1. extract: read the file as the clerk made it, normalise every cell to the contract, and
   stream the rows into a private stage table (load/stage.py);
2. validate: the contract's GX suite and the rules against last month, on the staged rows;
3. load: publish the batch to `raw` (or not), keep the file in the archive or the
   quarantine, and record the decision in `audit.ingest_batches`;
4. report: the department's reports beside the kept file (a dry run: under validate/).
Every file received leaves an audit row; a rejected file leaves nothing in `raw`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections import Counter
from pathlib import Path

import psycopg
from psycopg import sql

from cityops.contracts import Contract, dataset_ids, get_contract
from cityops.errors import UsageError
from cityops.extract.landing import linked
from cityops.extract.pii import PersonalHasher
from cityops.extract.reader import canonical_chunks, file_problem, open_extract
from cityops.extract.sniff import FileRefused
from cityops.load import files
from cityops.load import publish as audit
from cityops.load.checkpoints import reached
from cityops.load.schema import ensure_schema
from cityops.load.stage import copy_rows, create_stage, drop_stage
from cityops.load.warehouse import connect
from cityops.outcomes import Outcome
from cityops.periods import parse_period
from cityops.problems import Problem, ProblemLog
from cityops.report.writer import dry_run_folder, write_reports
from cityops.settings import Home
from cityops.validate.results import CheckResult, reading_results, store_results
from cityops.validate.worker import gate_worker

log = logging.getLogger("cityops.ingest")


def resolve_contract(dataset: str) -> Contract:
    try:
        return get_contract(dataset)
    except KeyError:
        raise UsageError(f"unknown dataset '{dataset}'; known: {', '.join(dataset_ids())}") from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest(path: Path | str, dataset: str, period: str, *, dry_run: bool = False, home: Home | None = None) -> Outcome:
    """Check a file and, unless `dry_run`, load it. Never raises for a bad file."""
    home = (home or Home.from_env()).ensure()
    path = Path(path)
    contract = resolve_contract(dataset)
    month = parse_period(period)
    if linked(path, home):
        raise UsageError(
            f"{path} 是符号链接，landing/ 只接收真实文件 / is a symbolic link: landing/ takes real files only "
            "(copy the file itself there)"
        )
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    gate_worker()  # GX is imported in a worker while the file is read (validate/worker.py)
    outcome = Outcome("valid" if dry_run else "received", dataset, period)
    sha256 = file_sha256(path)
    with connect(home) as conn:
        ensure_schema(conn, contract)
        if not dry_run:
            audit.recover_interrupted(conn, dataset)
            current = audit.current_batch(conn, dataset, month)
            if current and current.file_sha256 == sha256:
                return _unchanged(conn, outcome, current.batch_id, month, sha256, path, home)
            outcome.batch_id = str(uuid.uuid4())
            landed = files.landed_at(path, home)
            audit.record_received(conn, outcome.batch_id, dataset, month, sha256, str(path), landed)
        batch_id = outcome.batch_id or str(uuid.uuid4())
        stage = create_stage(conn, contract, batch_id, str(path))
        try:
            outcome.rows = _extract(conn, contract, path, stage, outcome.problems, home)
            results = _reading_results(contract, outcome.problems)
            if outcome.rows:
                results += _validate(conn, contract, stage, month, outcome.problems, home)
            _decide(conn, contract, month, sha256, stage, outcome, results, dry_run)
        except Exception as exc:
            conn.rollback()
            if not dry_run:
                audit.record_outcome(conn, batch_id, "failed", message=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            drop_stage(conn, stage)
        source, folder = (path, dry_run_folder(outcome, home)) if dry_run else _keep(conn, outcome, path, home)
    if folder is not None:
        write_reports(source, outcome, folder, dry_run=dry_run)
    return outcome


# --- 1. extract -------------------------------------------------------------------------------


def _extract(conn, contract: Contract, path: Path, stage: sql.Identifier, problems: ProblemLog, home: Home) -> int:
    """Read the file into the stage table; what cannot be read goes to `problems`."""
    extract = open_extract(path, contract, problems)
    if extract is None:
        return 0
    hasher = PersonalHasher(home) if contract.personal_columns else None
    reached("reading")
    log.info("%s: header on row %d, reading %s", contract.dataset, extract.layout.header_row, path.name)
    try:
        staged = copy_rows(conn, stage, contract, canonical_chunks(extract, contract, problems, hasher))
    except FileRefused as refused:
        problems.add(file_problem(refused, path, contract))
        return 0
    log.info("%s: %d rows staged", contract.dataset, staged)
    reached("staged")
    if staged == 0:
        problems.add(Problem.of("no_data"))
    return staged


def _reading_results(contract: Contract, problems: ProblemLog) -> list[CheckResult]:
    """What reading found (everything so far), as check results for the audit."""
    first_values = {(p.severity, p.rule, p.column): p.value for p in reversed(problems.kept)}
    return reading_results(contract, Counter(problems.counts), first_values)


# --- 2. validate ------------------------------------------------------------------------------


def _validate(conn, contract: Contract, stage: sql.Identifier, month: dt.date, problems: ProblemLog, home: Home):
    from cityops.load.warehouse import url
    from cityops.validate.gate import gx_outcomes, run_gate
    from cityops.validate.history import run_history_rules

    warehouse = url(home)  # GX checks the batch where this load staged it, wherever the environment points
    worker = gate_worker()
    outcomes = worker.outcomes(contract, stage, month, warehouse) if worker is not None else None
    if outcomes is None:
        outcomes = gx_outcomes(contract, stage, month, warehouse)
    return run_gate(conn, contract, stage, month, problems, outcomes) + run_history_rules(
        conn, contract, stage, month, problems
    )


# --- 3. load ----------------------------------------------------------------------------------


def _decide(conn, contract, month, sha256, stage, outcome: Outcome, results: list[CheckResult], dry_run: bool):
    """Rejected, or published to raw; every check's result is kept for the audit."""
    if outcome.problems.blocking:
        outcome.status = "rejected"
    if dry_run:
        return
    store_results(conn, outcome.batch_id, contract.dataset, month, results, department=contract.department)
    if outcome.status != "rejected":
        warnings = len(outcome.problems.warnings)
        outcome.status, _ = audit.publish(
            conn, contract, outcome.batch_id, month, sha256, stage, warnings=warnings, report=outcome.to_json()
        )


def _keep(conn: psycopg.Connection, outcome: Outcome, path: Path, home: Home) -> tuple[Path, Path | None]:
    """Quarantine a rejected file, archive a loaded one; (the kept file, the folder for its reports)."""
    if outcome.status == "rejected":
        stored = files.quarantine(path, outcome.dataset, outcome.period, outcome.batch_id, home)
        outcome.stored_file, outcome.report_folder = str(stored), str(stored.parent)
        audit.record_outcome(
            conn,
            outcome.batch_id,
            "rejected",
            rows=0,
            errors=outcome.errors,
            warnings=len(outcome.problems.warnings),
            report=outcome.to_json(),
            stored_file=str(stored),
        )
        return stored, stored.parent
    stored = files.archive(path, outcome.dataset, outcome.period, outcome.batch_id, home)
    outcome.stored_file = str(stored)
    if outcome.problems.counts:  # warnings: the department hears of them, beside the file
        outcome.report_folder = str(stored.parent)
    audit.set_stored_file(conn, outcome.batch_id, str(stored), outcome.report_folder)
    return stored, stored.parent if outcome.report_folder else None


def _unchanged(conn, outcome: Outcome, current_id: str, month: dt.date, sha256: str, path: Path, home: Home) -> Outcome:
    outcome.batch_id = str(uuid.uuid4())
    landed = files.landed_at(path, home)
    audit.record_received(conn, outcome.batch_id, outcome.dataset, month, sha256, str(path), landed)
    audit.record_outcome(conn, outcome.batch_id, "unchanged", message=f"identical to the current batch {current_id}")
    outcome.status = "unchanged"
    outcome.message = f"identical to the current batch {current_id}; nothing changed"
    if files.in_landing(path, home):
        stored = files.archive(path, outcome.dataset, outcome.period, outcome.batch_id, home)
        outcome.stored_file = str(stored)
        audit.set_stored_file(conn, outcome.batch_id, str(stored))  # the audit names every kept file
    outcome.batch_id = current_id
    return outcome
