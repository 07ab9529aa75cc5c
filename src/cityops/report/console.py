"""What the command line prints for people (the JSON form is Outcome.to_json)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cityops.outcomes import Outcome

if TYPE_CHECKING:
    from cityops.report.calendar import Submission

_MARKS = {"loaded": "✓", "unchanged": "=", "valid": "✓", "rejected": "✗", "failed": "!"}


def print_outcome(outcome: Outcome) -> None:
    mark = _MARKS.get(outcome.status, "?")
    click.echo(
        f"{mark} {outcome.dataset} {outcome.period}: {outcome.status}"
        + (f", {outcome.rows} rows" if outcome.rows else "")
        + (f" (batch {outcome.batch_id})" if outcome.batch_id else "")
    )
    for label, problems in (("error", outcome.problems.errors), ("warning", outcome.problems.warnings)):
        for p in problems:
            click.echo(f"  {label}: {p.message_zh}\n         {p.message_en}")
    hidden = sum(outcome.problems.counts.values()) - len(outcome.problems.kept)
    if hidden > 0:
        click.echo(f"  … and {hidden} more of the same kinds (see the report)")
    if outcome.message:
        click.echo(f"  {outcome.message}")
    if outcome.stored_file:
        click.echo(f"  file kept at {outcome.stored_file}")
    if outcome.report_folder:
        click.echo(f"  report in {outcome.report_folder}")
        # The marked copy is written only when a problem sits on a cell, and within its limits.
        for marked in sorted(Path(outcome.report_folder).glob("*.marked.xlsx")):
            click.echo(f"  marked spreadsheet: {marked}")


def print_month(summary: dict[str, Any]) -> None:
    click.echo(f"\nMonth close {summary['period']}: {'ok' if summary['ok'] else 'FAILED'}")
    click.echo("\nFiles:")
    if not summary["files"]:
        click.echo("  (nothing waiting in landing/)")
    for item in summary["files"]:
        mark = _MARKS.get(item["status"], "?")
        line = f"  {mark} {item['dataset']:<22} {item['status']:<10} {item.get('rows') or 0:>8} rows  {item['file']}"
        click.echo(line)
        for label, problems in (("error", item.get("errors") or []), ("warning", item.get("warnings") or [])):
            for problem in problems[:5]:
                click.echo(f"      {label}: {problem['message_zh']}\n               {problem['message_en']}")
    if summary.get("build"):
        click.echo(f"\n{summary['build']}")
    if summary.get("marts"):
        click.echo("\nThe subject database (marts):")
        for name, rows in sorted(summary["marts"].items()):
            click.echo(f"  marts.{name:<36} {rows:>8} rows")
    print_stale_sources(summary.get("stale_sources") or [])
    click.echo(
        f"\nQuery it: psql \"$(.venv/bin/cityops warehouse url | sed 's/+psycopg//')\"  (URL: {summary.get('url')})"
    )


def print_calendar(period: str, rows: list[Submission]) -> None:
    """`cityops status`: the month's submissions by department, in both languages."""
    from cityops.report.calendar import STATE_WORDS

    due = next((r.due_on for r in rows if r.due_on), None)
    click.echo(f"Submissions for {period}" + (f" (due by {due}, Asia/Shanghai):" if due else ":"))
    department = None
    for r in rows:
        if r.department != department:
            department = r.department
            click.echo(f"\n{department}")
        latest = f"{r.latest_status} at {r.last_received_at}" if r.latest_status else "nothing received"
        if r.latest_errors:
            latest += f", {r.latest_errors} errors"
        if r.latest_warnings:
            latest += f", {r.latest_warnings} warnings"
        word = " ".join(STATE_WORDS.get(r.state, (r.state,)))
        click.echo(f"  {r.dataset:<24} {word:<30} {r.files:>2} files  latest: {latest}")


def print_stale_sources(stale: list[dict[str, Any]]) -> None:
    """The monthly sources whose next month is overdue (transform/source_freshness.py)."""
    if not stale:
        return
    click.echo("\n数据源滞后 Stale sources (newest current month; the next one is overdue):")
    for item in stale:
        click.echo(
            f"  ! {item['dataset']:<24} newest {item['newest_month']}, {item['age_days']:.0f} days  "
            f"{item['message_zh']} / {item['message_en']}"
        )
