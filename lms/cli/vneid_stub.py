"""`lms vneid`: the VNeID stub, the stand-in identity provider (lms/vneid_stub): its fictional registry,
its demo citizens, and the stub as its own process."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("vneid")
def vneid_group() -> None:
    """The VNeID stub (a simulated national e-ID provider for development and tests)."""


@vneid_group.command("registry")
@click.option("--count", default=50, show_default=True, help="Random citizens besides the fixed demo ones.")
@click.option("--seed", type=int, default=None, help="Seed for a reproducible registry.")
@with_appcontext
def vneid_registry(count: int, seed: int | None) -> None:
    """Write a new fictional citizen registry (<instance>/vneid/registry.json)."""
    from ..vneid_stub import registry

    path = Path(current_app.instance_path) / "vneid" / "registry.json"
    citizens = registry.generate(count, seed)
    registry.write(path, citizens)
    click.echo(f"{path}: {len(citizens)} công dân giả lập / fictional citizens "
               f"({len(registry.demo_citizens())} demo; see `lms vneid citizens`)")


@vneid_group.command("citizens")
def vneid_citizens() -> None:
    """Print the fixed demo citizens: ID number, passcode, level, locked."""
    from ..vneid_stub.registry import demo_citizens

    for c in demo_citizens():
        state = "LOCKED" if c.locked else "active"
        click.echo(f"{c.label}  {c.id_number}  passcode {c.passcode}  level {c.level}  {state:6}  "
                   f"{c.name}, {c.gender}, {c.birthdate.isoformat()}, "
                   f"residence {c.residence['province_code']}/{c.residence['commune_code']}")


@vneid_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
@with_appcontext
def vneid_serve(host: str, port: int) -> None:
    """Run the stub as its own process (issuer http://HOST:PORT/vneid), same instance folder."""
    from werkzeug.serving import run_simple

    from ..vneid_stub import create_stub_app

    click.echo(f"VNeID stub (simulation): http://{host}:{port}/vneid/.well-known/openid-configuration")
    run_simple(host, port, create_stub_app(current_app.instance_path), threaded=True)
