"""Inside Superset's application: its metadata, the admin, and the assets in and out.

One process does what `superset db upgrade`, `superset fab create-admin`, `superset init`
and an import would do in four, each of which pays Superset's start-up again.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine.url import make_url

from cityops_bi import bundle

log = logging.getLogger("cityops_bi")


@dataclass(frozen=True)
class Admin:
    username: str
    password: str
    email: str

    @classmethod
    def from_env(cls) -> Admin:
        given = os.environ.get("SUPERSET_ADMIN_PASSWORD")
        if not given:
            raise SystemExit("cityops_bi: set SUPERSET_ADMIN_PASSWORD (the Superset admin's password)")
        return cls(
            username=os.environ.get("SUPERSET_ADMIN_USERNAME", "admin"),
            password=given,
            email=os.environ.get("SUPERSET_ADMIN_EMAIL", "admin@cityops.invalid"),
        )


@contextmanager
def superset_app() -> Iterator[Any]:
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        yield app


def _metadata_url() -> Any:
    import superset.config  # reads SUPERSET_CONFIG_PATH, as the app will

    return make_url(superset.config.SQLALCHEMY_DATABASE_URI)


def metadata_file() -> Path | None:
    """The SQLite file of Superset's metadata, or None when it lives in a server."""
    url = _metadata_url()
    return Path(url.database) if url.drivername.startswith("sqlite") and url.database else None


def ensure_metadata_database() -> None:
    """In compose the metadata lives in a database of the shared PostgreSQL: create it once."""
    url = _metadata_url()
    if not url.drivername.startswith("postgresql"):
        return
    import psycopg2
    from psycopg2 import sql

    with psycopg2.connect(url.set(database="postgres").render_as_string(hide_password=False)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (url.database,))
            if not cur.fetchone():
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(url.database)))


def setup(admin: Admin, template: Path | None = None) -> None:
    """Migrate the metadata, sync permissions, create (or reset) the admin.

    With a SQLite metadata file and a template (a copy made right after the first
    migration of this Superset version), a new home starts from the copy: migrating
    from nothing costs about a minute on two cores.
    """
    target = metadata_file()
    if target and template and template.exists() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
    ensure_metadata_database()
    with superset_app():
        from flask_migrate import upgrade
        from superset import appbuilder, db, security_manager

        upgrade()
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()
        db.session.commit()
        if target and template and not template.exists():
            template.parent.mkdir(parents=True, exist_ok=True)
            partial = template.with_suffix(f".{os.getpid()}.partial")
            shutil.copyfile(target, partial)
            partial.replace(template)
        _ensure_admin(admin)
        db.session.commit()


def _ensure_admin(admin: Admin) -> None:
    from superset import security_manager

    user = security_manager.find_user(username=admin.username)
    if user is None:
        role = security_manager.find_role("Admin")
        created = security_manager.add_user(
            admin.username, "城运", "管理员", admin.email, role, password=admin.password
        )
        if not created:
            raise SystemExit(f"cityops_bi: could not create the Superset admin {admin.username!r}")
    else:
        security_manager.reset_password(user.id, admin.password)


def _admin_user(admin: Admin) -> Any:
    from superset import security_manager

    user = security_manager.find_user(username=admin.username)
    if user is None:
        raise SystemExit(f"cityops_bi: no Superset user {admin.username!r}; run `setup` first")
    return user


def import_assets(admin: Admin, folder: Path, warehouse_url: str | None, warehouse_password: str | None) -> int:
    """Import (overwriting by UUID) every asset of the folder; how many objects."""
    assets = bundle.read_folder(folder)
    contents = bundle.import_contents(assets, warehouse_url)
    passwords = {rel: warehouse_password for rel in bundle.database_files(assets)} if warehouse_password else {}
    with superset_app():  # Superset's modules can only be imported once its app exists
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.utils.core import override_user

        with override_user(_admin_user(admin)):
            ImportAssetsCommand(contents, passwords=passwords).run()
    return len(assets)


def export_assets(admin: Admin, folder: Path) -> list[str]:
    """Write every database, dataset, chart and dashboard back to the folder; what changed."""
    with superset_app():
        from superset.commands.export.assets import ExportAssetsCommand
        from superset.utils.core import override_user

        with override_user(_admin_user(admin)):
            files = {name: content() for name, content in ExportAssetsCommand().run()}
    current = bundle.read_folder(folder) if folder.exists() else {}
    return bundle.write_folder(folder, bundle.from_export(files, current))
