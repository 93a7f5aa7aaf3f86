"""The layers stay honest. The import rules are import-linter contracts in setup.cfg (`[importlinter:…]`,
docs/architecture.md): this test runs `lint-imports` on them, so `pytest` alone fails on a broken one, and
.ci/test runs it once more before the suite. What is not an import rule is checked here: services never
commit (the caller owns the transaction)."""
from __future__ import annotations

import ast
import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LMS = REPO / "lms"


def _contracts() -> list[str]:
    """The contract names declared in setup.cfg."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    return [config[s]["name"] for s in config.sections() if s.startswith("importlinter:contract:")]


def test_import_contracts_are_kept() -> None:
    """`lint-imports` checks every contract of setup.cfg and keeps them all."""
    contracts = _contracts()
    assert len(contracts) >= 7, f"the import contracts are missing from setup.cfg: {contracts}"
    lint_imports = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "COLUMNS": "200"})  # no wrapped contract names
    output = run.stdout + run.stderr
    broken = re.findall(r"^(.+) BROKEN$", output, re.M)
    assert run.returncode == 0, f"lint-imports: broken contract(s) {broken} (setup.cfg):\n{output}"
    assert re.search(rf"^Contracts: {len(contracts)} kept, 0 broken\.$", output, re.M), output
    for name in contracts:
        assert f"{name} KEPT" in output, f"contract {name!r} was not reported as kept:\n{output}"


def test_services_never_commit() -> None:
    """No service calls commit(): views and CLI commands commit once."""
    offenders = []
    for path in sorted((LMS / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
                offenders.append(f"{path.relative_to(LMS)}:{node.lineno}")
    assert not offenders, f"services must not commit: {offenders}"
