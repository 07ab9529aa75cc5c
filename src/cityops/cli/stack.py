"""`cityops stack up|down|status`: Airflow 3 with the CeleryExecutor on this machine, as in production."""

from __future__ import annotations

import json

import click


@click.group()
def stack() -> None:
    """The production stack without Docker: api-server, scheduler, dag-processor, triggerer, Celery worker.

    Same commands and settings as docker-compose.yml. Redis (CITYOPS_STACK_BROKER_URL, default
    redis://127.0.0.1:6379/0) is the broker; Airflow's metadata is a database of its own on
    CITYOPS_STACK_METADATA_URL (default postgresql://postgres@127.0.0.1:5432/cityops_airflow);
    the API and UI listen on 127.0.0.1:CITYOPS_STACK_PORT (default 8080, health and log servers
    on the next three ports). PIDs, logs and secrets are kept under CITYOPS_HOME.
    """


@stack.command("up")
@click.option("--timeout", type=float, default=300, show_default=True, help="Seconds to wait for every health check.")
def stack_up(timeout: float) -> None:
    """Start every service and wait until each is healthy; print where the UI is and how to log in."""
    from cityops.orchestrate.stack import Stack

    running = Stack()
    status = running.up(timeout=timeout)
    click.echo(f"Airflow is running: {status['api']}  login: admin / {running.admin_password()}")
    for service, info in status["services"].items():
        click.echo(f"  {service:<22} pid {info['pid']:<8} log {info['log']}")
    click.echo("  stop it with: .venv/bin/cityops stack down")


@stack.command("down")
def stack_down() -> None:
    """Stop every process the stack started (Celery's pool and task processes too)."""
    from cityops.orchestrate.stack import Stack

    killed = Stack().down()
    click.echo("stopped" + (f" (killed {len(killed)} process(es) that did not stop on SIGTERM)" if killed else ""))


@stack.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def stack_status(as_json: bool) -> None:
    """Each service's pid and health, and how many processes the stack has."""
    from cityops.orchestrate.stack import Stack

    status = Stack().status()
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False))
        return
    click.echo(f"api: {status['api']}  login: {status['login']}")
    for service, info in status["services"].items():
        state = "healthy" if info["healthy"] else ("starting/unhealthy" if info["pid"] else "stopped")
        click.echo(f"  {service:<22} {state:<18} pid {info['pid']}")
    click.echo(f"  {status['processes']} process(es) of this stack")
