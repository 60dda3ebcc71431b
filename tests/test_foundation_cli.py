"""The command-line tool explains itself and its exit codes are ones scripts can trust."""

from __future__ import annotations

import subprocess
import sys

import pytest

from csc_warehouse.cli import COMMAND_MODULES, build_parser

CLI = [sys.executable, "-m", "csc_warehouse.cli"]


def test_top_level_help_lists_commands_and_exit_codes():
    res = subprocess.run([*CLI, "--help"], capture_output=True, text=True)
    assert res.returncode == 0
    assert "exit codes" in res.stdout
    assert "db" in res.stdout


def registered_commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


@pytest.mark.parametrize("command", registered_commands())
def test_every_command_has_help(command: str):
    args = [command, "--help"] if command not in {"dbt", "airflow"} else [command]
    res = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(res.stdout) > 100


def test_registered_commands_are_known_modules():
    assert set(registered_commands()) <= set(COMMAND_MODULES)


def test_bad_usage_exits_2():
    res = subprocess.run([*CLI, "db", "explode"], capture_output=True, text=True)
    assert res.returncode == 2
    assert "invalid choice" in res.stderr
