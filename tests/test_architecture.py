"""Third-party imports stay in their room (STYLE.md practice 8)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"
ROOMS = {
    "sqlalchemy": ("store/",),
    "alembic": ("store/",),
    "trafilatura": ("extract.py",),
    "apscheduler": ("scheduler.py",),
    "feedparser": ("sources/",),
    "ahocorasick": ("topics/",),
    "snowballstemmer": ("topics/",),
    "pymorphy3": ("topics/",),
    "click": ("commands/",),
    "smtplib": ("alerts/",),
}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", sorted(ROOMS))
def test_library_is_imported_only_in_its_room(module: str) -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if module in imported(path) and not str(path.relative_to(PACKAGE)).startswith(ROOMS[module])
    ]
    assert offenders == []


def test_no_module_reads_the_wall_clock_but_the_composition_root() -> None:
    allowed = {"service.py", "fetch.py", "alerts/channels.py", "demo/__init__.py"}
    allowed |= {f"commands/{path.name}" for path in (PACKAGE / "commands").glob("*.py")}
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "datetime.now(" in path.read_text(encoding="utf-8") and str(path.relative_to(PACKAGE)) not in allowed
    ]
    assert offenders == []


def test_no_module_is_over_350_lines() -> None:
    # A reader changes one thing in one place: a module that grows past this is split by what it does.
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 350
    }
    assert long == {}
