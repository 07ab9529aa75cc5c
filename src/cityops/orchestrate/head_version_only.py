"""The embedded Airflow's execution API serves only the version its in-process task SDK speaks.

`airflow dags test` runs its task in-process, against an in-process execution API (FastAPI,
versioned with Cadwyn). On the first call Cadwyn generates routes and schemas for every
version the API has ever had (nine: ~2.2 s of CPU, about half of what Airflow adds to an
empty build), though the only caller is the installed task SDK, which sends its own version
(`airflow.sdk.api.datamodels._generated.API_VERSION`). When that is the server's newest
version, whose schemas are the head's, a bundle of that one version serves it unchanged.

Only the one-machine default loads this (cityops.orchestrate.local_settings). Local settings
are imported while `import airflow` runs, too early to import the execution API, so the bundle
is swapped once Airflow imports the module that builds the app. If the internals are not what
this expects, it leaves them alone (logged at debug).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import logging
import sys

log = logging.getLogger(__name__)
APP_MODULE = "airflow.api_fastapi.execution_api.app"


def serve_only_the_task_sdk_version() -> None:
    """Trim the execution API's versions once Airflow imports the module that builds it."""
    if APP_MODULE not in sys.modules:
        sys.meta_path.insert(0, _AfterAppImport())


class _AfterAppImport(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != APP_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_trim(module) -> None:
            exec_module(module)
            trim_to_the_task_sdk_version()

        spec.loader.exec_module = exec_then_trim
        return spec


def trim_to_the_task_sdk_version() -> None:
    try:
        from airflow.api_fastapi.execution_api import routes, versions
        from airflow.sdk.api.datamodels._generated import API_VERSION
        from cadwyn import HeadVersion, Version, VersionBundle
        from cadwyn.route_generation import _DELETED_ROUTE_TAG

        bundle, router = versions.bundle, routes.execution_api_router
        if not (
            isinstance(bundle, VersionBundle)
            and not bundle.head_version.changes
            and bundle.version_values[0] == API_VERSION
            and isinstance(router.routes, list)
        ):
            log.debug("execution API left with all its versions: not the bundle or task SDK version expected")
            return
        # The same context variable, so anything reading the old bundle's request version still sees it.
        one_version = VersionBundle(HeadVersion(), Version(API_VERSION), api_version_var=bundle.api_version_var)
        # Routes only older versions have: Cadwyn drops them from the newest version, and refuses a
        # bundle in which no version brings them back.
        kept = [route for route in router.routes if _DELETED_ROUTE_TAG not in getattr(route, "tags", ())]
    except Exception as error:  # whatever Airflow or Cadwyn have become, leave them as they are
        log.debug("execution API left with all its versions: %r", error)
        return
    versions.bundle = one_version
    router.routes[:] = kept
