"""The `lms` command (Flask's CLI), one module per command group: `content` (check, import, index), `db`,
`users`, `vneid_stub` (the `lms vneid` group), `certificates`, `units`, `officials`, `quarterly`, `reports` and
`demo`. `create_app` registers them."""
from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from .. import create_app


def register_commands(app: Flask) -> None:
    """Add every command group to the app's CLI."""
    from .certificates import certificates_group
    from .content import check_command, import_command, index_command
    from .db import db_group
    from .demo import demo_group
    from .officials import officials_group
    from .quarterly import quarterly_group
    from .reports import reports_group
    from .units import units_group
    from .users import users_group
    from .vneid_stub import vneid_group

    for command in (check_command, import_command, index_command, db_group, users_group, vneid_group,
                    certificates_group, units_group, officials_group, quarterly_group, reports_group, demo_group):
        app.cli.add_command(command)


main = FlaskGroup(create_app=create_app, add_default_commands=True, help="Học Vụ Số platform commands.")
