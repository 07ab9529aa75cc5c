"""The front door: validate or ingest one department file. The CLI and the DAGs call this.

read & normalise -> stage (COPY) -> gate (GX + history rules) -> publish or quarantine.
Every file received leaves an audit row; a rejected file leaves nothing in `raw` and
is kept in quarantine beside its report; a loaded one is kept in the archive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cityops.contracts import Contract, get_contract
from cityops.extract.pii import PersonalHasher
from cityops.extract.reader import canonical_chunks, file_problem, open_extract
from cityops.extract.sniff import FileRefused
from cityops.load import publish as audit
from cityops.load.faults import checkpoint
from cityops.load.schema import ensure_schema
from cityops.load.stage import copy_rows, create_stage, drop_stage
from cityops.load.warehouse import connect
from cityops.report import filing
from cityops.settings import Home
from cityops.validate.problems import Problem, ProblemLog

log = logging.getLogger("cityops.ingest")
_PERIOD = re.compile(r"(\d{4})-(\d{2})")


class UsageError(ValueError):
    """A wrong call (unknown dataset, no such file, bad period): exit code 2."""


@dataclass
class Outcome:
    status: str  # loaded | unchanged | rejected | valid | failed
    dataset: str
    period: str
    rows: int = 0
    batch_id: str | None = None
    problems: ProblemLog = field(default_factory=ProblemLog)
    stored_file: str | None = None
    message: str | None = None
    report_folder: str | None = None  # where the department's reports were written

    @property
    def exit_code(self) -> int:
        return {"loaded": 0, "unchanged": 0, "valid": 0, "rejected": 1}.get(self.status, 3)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "dataset": self.dataset,
            "period": self.period,
            "rows": self.rows,
            "batch_id": self.batch_id,
            "warnings": [p.to_json() for p in self.problems.warnings],
            "errors": [p.to_json() for p in self.problems.errors],
            "counts": self.problems.summary(),
        }
        if self.stored_file:
            data["stored_file"] = self.stored_file
        if self.message:
            data["message"] = self.message
        if self.report_folder:
            data["report_folder"] = self.report_folder
        return data


def parse_period(text: str) -> dt.date:
    match = _PERIOD.fullmatch(text or "")
    if not match or not 1 <= int(match[2]) <= 12:
        raise UsageError(f"--period must be a month as YYYY-MM (for example 2025-03), not '{text}'")
    return dt.date(int(match[1]), int(match[2]), 1)


def resolve_contract(dataset: str) -> Contract:
    try:
        return get_contract(dataset)
    except KeyError:
        from cityops.contracts import dataset_ids

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
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
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
            audit.record_received(conn, outcome.batch_id, dataset, month, sha256, str(path))
        batch_id = outcome.batch_id or str(uuid.uuid4())
        stage = create_stage(conn, contract, batch_id, str(path))
        try:
            outcome.rows = _stage_and_check(conn, contract, path, month, stage, batch_id, outcome, home, dry_run)
            if outcome.problems.blocking:
                outcome.status = "rejected"
            elif not dry_run:
                outcome.status, _ = audit.publish(
                    conn,
                    contract,
                    batch_id,
                    month,
                    sha256,
                    stage,
                    warnings=sum(1 for p in outcome.problems.warnings),
                    report=outcome.to_json(),
                )
        except Exception as exc:
            conn.rollback()
            if not dry_run:
                audit.record_outcome(conn, batch_id, "failed", message=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            drop_stage(conn, stage)
        if not dry_run:
            _file_away(conn, outcome, path, home)
        else:
            filing.dry_run(path, outcome, home)
    return outcome


def _stage_and_check(
    conn,
    contract: Contract,
    path: Path,
    month: dt.date,
    stage,
    batch_id: str,
    outcome: Outcome,
    home: Home,
    dry_run: bool,
) -> int:
    problems = outcome.problems
    staged = _read_and_stage(conn, contract, path, stage, problems, home)
    reading = Counter(problems.counts)  # everything so far was found reading the file
    first_values = {(p.severity, p.rule, p.column): p.value for p in reversed(problems.kept)}
    results = []
    if staged:
        from cityops.validate.gate import run_gate  # GX costs seconds to import: only when checking
        from cityops.validate.history import run_history_rules

        results = run_gate(conn, contract, stage, month, problems)
        results += run_history_rules(conn, contract, stage, month, problems)
    if not dry_run:
        from cityops.validate.results import reading_results, store_results

        results = reading_results(contract, reading, first_values) + results
        store_results(conn, batch_id, contract.dataset, month, results, department=contract.department)
    return staged


def _read_and_stage(conn, contract: Contract, path: Path, stage, problems: ProblemLog, home: Home) -> int:
    """Read the file into the stage table; what cannot be read goes to `problems`."""
    extract = open_extract(path, contract, problems)
    if extract is None:
        return 0
    hasher = PersonalHasher(home) if contract.personal_columns else None
    checkpoint("reading")
    log.info("%s: header on row %d, reading %s", contract.dataset, extract.layout.header_row, path.name)
    try:
        staged = copy_rows(conn, stage, contract, canonical_chunks(extract, contract, problems, hasher))
    except FileRefused as refused:
        problems.add(file_problem(refused, path, contract))
        return 0
    log.info("%s: %d rows staged", contract.dataset, staged)
    checkpoint("staged")
    if staged == 0:
        problems.add(Problem.of("no_data"))
    return staged


def _unchanged(conn, outcome: Outcome, current_id: str, month: dt.date, sha256: str, path: Path, home: Home) -> Outcome:
    outcome.batch_id = str(uuid.uuid4())
    audit.record_received(conn, outcome.batch_id, outcome.dataset, month, sha256, str(path))
    audit.record_outcome(conn, outcome.batch_id, "unchanged", message=f"identical to the current batch {current_id}")
    outcome.status = "unchanged"
    outcome.message = f"identical to the current batch {current_id}; nothing changed"
    if filing.in_landing(path, home):
        outcome.stored_file = str(filing.archive(path, outcome, home))
    outcome.batch_id = current_id
    return outcome


def _file_away(conn, outcome: Outcome, path: Path, home: Home) -> None:
    """Quarantine a rejected file beside its report; archive a loaded one."""
    if outcome.status == "rejected":
        stored = filing.quarantine(path, outcome, home)
        audit.record_outcome(
            conn,
            outcome.batch_id,
            "rejected",
            rows=0,
            errors=sum(n for (sev, _, _), n in outcome.problems.counts.items() if sev == "block"),
            warnings=len(outcome.problems.warnings),
            report=outcome.to_json(),
            stored_file=str(stored),
        )
    else:
        stored = filing.archive(path, outcome, home)
        audit.set_stored_file(conn, outcome.batch_id, str(stored))
    outcome.stored_file = str(stored)
