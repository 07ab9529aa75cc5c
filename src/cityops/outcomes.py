"""What became of one file: the outcome `cityops validate`/`ingest`, the DAGs and the portal report.

Its JSON form is the outer interface's (`--json`): status, dataset, period, rows,
batch_id, warnings, errors; plus where the file and its reports were kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cityops.problems import ProblemLog

# status -> exit code of `validate` / `ingest`; anything else (a load that failed) is 3.
EXIT_CODES = {"loaded": 0, "unchanged": 0, "valid": 0, "rejected": 1}


@dataclass
class Outcome:
    status: str  # received (while working) | loaded | unchanged | rejected | valid | failed
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
        return EXIT_CODES.get(self.status, 3)

    @property
    def errors(self) -> int:
        """Every blocking problem found, listed or only counted."""
        return sum(n for (severity, _, _), n in self.problems.counts.items() if severity == "block")

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
