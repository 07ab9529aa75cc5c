"""GX Data Docs of the current batches, built on demand under CITYOPS_HOME/gx.

The gate runs in an ephemeral context (no files written per ingest: it must stay fast);
this re-runs each dataset's suite on its current batches of a month, in a file context,
so GX's own HTML site shows every expectation and its result for a reviewer.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

from cityops.contracts import all_contracts
from cityops.load.stage import stage_name
from cityops.load.warehouse import connect, url
from cityops.settings import Home
from cityops.validate.suite import build_checks

log = logging.getLogger("cityops.data_docs")


def build_data_docs(month: dt.date, home: Home | None = None) -> Path:
    """The path of the site's index.html."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    home = home or Home.from_env()
    root = home.root / "gx"
    root.mkdir(parents=True, exist_ok=True)
    for store in ("expectations", "validation_definitions", "checkpoints"):
        # Suites are derived from the contracts each time; only the results accumulate.
        shutil.rmtree(root / "gx" / store, ignore_errors=True)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    name = "warehouse"
    if name in [source.name for source in context.data_sources.all().values()]:
        context.data_sources.delete(name)
    source = context.data_sources.add_sql(name, connection_string=url(home))
    with connect(home) as conn:
        batches = dict(
            conn.execute(
                "select dataset, batch_id::text from audit.ingest_batches where period = %s and status = 'current'",
                (month,),
            ).fetchall()
        )
    for dataset, contract in all_contracts().items():
        if dataset not in batches:
            continue
        table = stage_name(dataset, batches[dataset])  # the batch's partition in raw_batches
        asset = source.add_table_asset(f"{dataset}_{month:%Y_%m}", table_name=table, schema_name="raw_batches")
        suite_name = f"{dataset}_{month:%Y_%m}"
        for existing in (context.checkpoints, context.validation_definitions, context.suites):
            try:
                existing.delete(suite_name)
            except Exception:  # not there yet: nothing to replace
                log.debug("no %s to replace", suite_name)
        suite = context.suites.add(
            gx.ExpectationSuite(
                name=suite_name, expectations=[check.expectation for check in build_checks(contract, month)]
            )
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=suite_name, data=asset.add_batch_definition_whole_table("current"), suite=suite
            )
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=suite_name, validation_definitions=[definition], result_format="SUMMARY")
        )
        result = checkpoint.run()  # a checkpoint run keeps its results for the docs site
        log.info("%s %s: %d checks, success=%s", dataset, month, len(suite.expectations), result.success)
    context.build_data_docs()
    return root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
