"""The layers stay honest: pure domain code imports neither Flask nor SQLAlchemy, services and models never
import Flask, and services never commit (the caller owns the transaction)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

LMS = Path(__file__).resolve().parent.parent / "lms"

RULES = {
    "domain": ("flask", "flask_login", "flask_wtf", "flask_babel", "werkzeug", "sqlalchemy"),
    "services": ("flask", "flask_login", "flask_wtf", "flask_babel"),
    "models": ("flask", "flask_login", "flask_wtf", "flask_babel"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports(layer: str) -> None:
    """No module of the layer imports a forbidden package."""
    files = sorted((LMS / layer).rglob("*.py"))
    assert files, f"no modules found in lms/{layer}"
    offenders = {f"{p.relative_to(LMS)}: {sorted(_imports(p) & set(RULES[layer]))}"
                 for p in files if _imports(p) & set(RULES[layer])}
    assert not offenders, f"lms/{layer} must not import {RULES[layer]}: {sorted(offenders)}"


def test_services_never_commit() -> None:
    """No service calls commit(): views and CLI commands commit once."""
    offenders = []
    for path in sorted((LMS / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
                offenders.append(f"{path.relative_to(LMS)}:{node.lineno}")
    assert not offenders, f"services must not commit: {offenders}"
