"""ruff (Python) and sqlfluff (dbt SQL, postgres dialect) pass on the whole repo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(args: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ruff_check():
    res = run([str(BIN / "ruff"), "check", "."])
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_format():
    res = run([str(BIN / "ruff"), "format", "--check", "."])
    assert res.returncode == 0, res.stdout + res.stderr


def test_sqlfluff_lint_dbt_project():
    project = REPO / "dbt_project"
    paths = [p for p in ("models", "macros", "tests", "snapshots") if (project / p).exists()]
    res = run([str(BIN / "sqlfluff"), "lint", *paths, "--processes", "2"], cwd=project)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
