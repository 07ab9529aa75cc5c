"""The failures cityops names, and the exit code each one means, in one place.

Two kinds, as the command line reports them:
- `UsageError` (exit 2): the call was wrong (an unknown dataset, no such file, a malformed
  period, a broken contract, a file that is no backup). Fix the call and run it again.
- `SystemFailure` (exit 3): the system failed (the warehouse is down, dbt failed, Airflow's
  run failed). Nothing was half-done; retry once what the message names is fixed.

A department's bad file is neither: it is an outcome (`rejected`, exit 1), never raised.
"""

from __future__ import annotations


class UsageError(ValueError):
    """A wrong call (unknown dataset, no such file, bad period): exit code 2."""

    exit_code = 2


class ContractError(ValueError):
    """A contract file that cannot drive a load; says which file and what to fix: exit code 2.

    Not a UsageError: the call was right, the project's own contract is wrong, and a
    task that forgives a vanished file (a UsageError) must not forgive a broken contract.
    """

    exit_code = 2


class SystemFailure(RuntimeError):
    """The system could not do the work; the message says what to fix before retrying: exit code 3."""

    exit_code = 3


class WarehouseUnavailable(SystemFailure):
    """The warehouse cannot be reached; the message says what to do."""


class WarehouseFailed(WarehouseUnavailable):
    """The warehouse went away (or ran out of room) in the middle of the work."""


class BuildFailed(SystemFailure):
    """dbt could not build or a test at error severity failed; the message names the nodes."""


class BuildNotPublished(BuildFailed):
    """dbt ran, but a model or an error-severity test failed: the marts were not replaced.

    Retrying the same build cannot help; the message names each failed node."""


class AirflowRunFailed(SystemFailure):
    """The DAG run failed; the message points at the task logs."""


class StackFailed(SystemFailure):
    """A service of `cityops stack` would not start or become healthy; the message carries its log."""


class BackupFailed(SystemFailure):
    """pg_dump or pg_restore failed; the message carries their first error line."""


class BackupUnusable(UsageError, BackupFailed):
    """The file given to restore is not a warehouse backup (a wrong call: exit code 2)."""

    exit_code = 2


class PlacementRefused(SystemFailure):
    """A file would be placed outside the folder it belongs in."""
