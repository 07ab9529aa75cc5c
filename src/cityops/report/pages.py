"""Jinja2 for every page cityops writes; the templates are in report/templates/.

One environment: HTML is autoescaped, Markdown (`*.md`) is not, and a name a template
uses but the caller did not give is an error, not an empty string. The departments'
portal renders its pages from the same folder (`TEMPLATES`), so a clerk's report on
the page and in the shared folder look alike.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"


def markdown_cell(text: object) -> str:
    """A value as a Markdown table cell: one line, its pipes escaped."""
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_cell
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
