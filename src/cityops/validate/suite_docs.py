"""Each contract's Great Expectations suite, rendered for a reviewer (never edited by hand).

The gate derives its suite from the contract at run time (validate/suite.py); a reviewer
should not have to run Python to see it. `cityops contracts suites --write` renders
every contract's suite, with each check's rule, severity and the messages a clerk will
read, into `expectations/suites/<dataset>.json`; a test fails when a file is stale.
The reporting month is shown as a placeholder: the real bounds are set per file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from cityops.contracts import Contract, all_contracts
from cityops.messages import TEMPLATES
from cityops.settings import contracts_dir

_SENTINEL = dt.date(1900, 1, 1)  # rendered, then replaced by the placeholders below
_PLACEHOLDERS = {
    "1900-01-01": "<reporting month: first day>",
    "1900-02-01": "<next month: first day>",
    "1900-01": "<reporting month>",
}


def suites_dir() -> Path:
    return contracts_dir() / "suites"


def _messages(rule: str) -> dict[str, str]:
    zh, en = TEMPLATES.get(rule, TEMPLATES["gate_failed"])
    return {"message_zh": zh, "message_en": en}


def suite_document(contract: Contract) -> dict[str, Any]:
    from cityops.validate.suite import build_checks

    expectations = []
    for check in build_checks(contract, _SENTINEL):
        config = check.expectation.configuration.to_json_dict()
        expectations.append(
            {
                "check": check.name,
                "rule": check.rule,
                "column": check.header,
                "severity": check.severity,
                "expectation": config["type"],
                "kwargs": config["kwargs"],
                **_messages(check.rule),
            }
        )
    history = [
        {
            "rule": rule.rule,
            "column": contract.column(rule.column).header if rule.column else None,
            "severity": rule.severity,
            "params": rule.params,
            "compared_with": "the previous month's current batch in the warehouse",
        }
        for rule in contract.history
    ]
    return {
        "generated_by": "cityops contracts suites --write (from the contract; do not edit)",
        "contract": f"expectations/{contract.dataset}.yml",
        "dataset": contract.dataset,
        "title": f"{contract.title_zh} | {contract.title_en}",
        "department": contract.department,
        "severities": {"block": "the file is rejected", "warn": "the file loads; the department is told"},
        "expectations": expectations,
        "history_rules": history,
    }


def render_suite(contract: Contract) -> str:
    text = json.dumps(suite_document(contract), ensure_ascii=False, indent=2, default=str) + "\n"
    for sentinel, placeholder in _PLACEHOLDERS.items():
        text = text.replace(sentinel, placeholder)
    return text


def suite_path(dataset: str) -> Path:
    return suites_dir() / f"{dataset}.json"


def write_suites() -> list[Path]:
    suites_dir().mkdir(parents=True, exist_ok=True)
    written = []
    for contract in all_contracts().values():
        path = suite_path(contract.dataset)
        path.write_text(render_suite(contract), encoding="utf-8")
        written.append(path)
    for extra in stale_suites(only_orphans=True):
        extra.unlink()
    return written


def stale_suites(only_orphans: bool = False) -> list[Path]:
    """Suite files that differ from their contract, are missing, or have no contract any more."""
    contracts = all_contracts()
    found = [p for p in suites_dir().glob("*.json") if p.stem not in contracts] if suites_dir().is_dir() else []
    if only_orphans:
        return found
    for contract in contracts.values():
        path = suite_path(contract.dataset)
        if not path.is_file() or path.read_text(encoding="utf-8") != render_suite(contract):
            found.append(path)
    return sorted(found)
