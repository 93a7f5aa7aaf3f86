"""The `lms` command is the package lms/cli/, one module per command group, behind the entry point
`lms = lms.cli:main`; the installed script lists every group."""
from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from flask import Flask

GROUPS = {
    "check": "lms.cli.content", "import": "lms.cli.content", "index": "lms.cli.content", "db": "lms.cli.db",
    "users": "lms.cli.users", "vneid": "lms.cli.vneid_stub", "certificates": "lms.cli.certificates",
    "units": "lms.cli.units",
}


def test_each_command_group_lives_in_its_own_module(app: Flask) -> None:
    found = {name: app.cli.commands[name].callback.__module__ for name in GROUPS if name in app.cli.commands}
    assert found == GROUPS


def test_the_installed_lms_script_lists_every_group(tmp_path: Path) -> None:
    (script,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "lms"]
    assert script.value == "lms.cli:main"
    env = {**os.environ, "LMS_MODE": "demo", "LMS_INSTANCE_PATH": str(tmp_path / "instance"),
           "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'lms.db'}"}
    run = subprocess.run([str(Path(sys.executable).parent / "lms"), "--help"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    listed = {line.split()[0] for line in run.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert set(GROUPS) <= listed, run.stdout
