"""Run the DfE's validators on a written return, from the project's own environment.

The validators (``csc-validator-be-cin``, ``csc-validator-be-903``) pin pandas<2 and cannot be
imported here (Airflow, pandas 3). Each lives in its own virtual environment in the repository
root (``.venv-cin``, ``.venv-903``, made by ``scripts/setup-validators.sh``) and is driven by a
small runner in ``validators/`` that prints a JSON report; this module runs the runner as a
subprocess and turns its JSON into :class:`ValidationResult`::

    result = validate_cin("output/returns/cin_census_201_2025.xml")          # ruleset from Year
    result = validate_903("output/returns/ssda903_2025", year=2025, la_code="E06000001")
    result.ok, result.errors, result.warnings, result.fails, result.skipped

A rule that crashed inside the package (``fails``) or could not run for want of a lookup or of
last year's return (``skipped``) is reported as such, never as an error in the return.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from csc_warehouse.errors import EnvironmentNotReady, WarehouseError

REPO = Path(__file__).resolve().parents[3]

CIN = "cin"
SSDA903 = "903"
_RUNNERS = {CIN: "run_cin.py", SSDA903: "run_903.py"}
_LABELS = {CIN: "CIN census", SSDA903: "SSDA903"}


class ValidatorUnavailable(EnvironmentNotReady):
    """The validator's venv or runner is missing: run scripts/setup-validators.sh (exit 3)."""


class ValidatorFailed(WarehouseError):
    """The validator could not read the return or crashed as a whole (exit 1)."""


@dataclass(frozen=True)
class Issue:
    """One finding. ``severity`` is ``error``, ``warning`` (the DfE's queries) or
    ``false_positive``: a flag of a rule whose code contradicts its own message, re-checked by
    the runner against the message and found fine (``note`` says why; not counted).

    Child-level issues name the child, the table and the row (0-based, in the validator's own
    reading of the return) and the columns involved; return-level ones (CIN "multichild", e.g.
    "fewer than 8 disability codes used") have no child.
    """

    rule_code: str
    description: str
    severity: str
    child_id: str | None = None
    table: str | None = None
    row_id: int | None = None
    columns: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class RuleNote:
    """A rule that did not give a verdict: skipped (with the reason) or crashed (the message)."""

    rule_code: str
    description: str
    reason: str


@dataclass(frozen=True)
class ValidationResult:
    kind: str  # "cin" or "903"
    target: str  # the file or folder validated
    tool: str
    version: str
    ruleset: str
    rules_run: int
    issues: tuple[Issue, ...] = ()
    fails: tuple[RuleNote, ...] = ()
    skipped: tuple[RuleNote, ...] = ()
    notes: tuple[str, ...] = ()
    validator_seconds: float = 0.0  # as the runner measured it (reading + rules)
    wall_seconds: float = 0.0  # including the subprocess' start and imports
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        return _LABELS.get(self.kind, self.kind)

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def false_positives(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "false_positive")

    @property
    def ok(self) -> bool:
        """No errors (warnings, skipped and crashed rules do not count)."""
        return not self.errors

    def rule_codes(self, severity: str | None = None) -> set[str]:
        return {i.rule_code for i in self.issues if severity is None or i.severity == severity}


def venv_python(kind: str, repo: Path | None = None) -> Path:
    """The interpreter of a validator's venv (``CSC_VALIDATOR_<KIND>_PYTHON`` overrides it)."""
    override = os.environ.get(f"CSC_VALIDATOR_{kind.upper()}_PYTHON")
    if override:
        return Path(override)
    return (repo or REPO) / f".venv-{kind}" / "bin" / "python"


def runner_path(kind: str, repo: Path | None = None) -> Path:
    return (repo or REPO) / "validators" / _RUNNERS[kind]


def available(kind: str, repo: Path | None = None) -> bool:
    return venv_python(kind, repo).exists() and runner_path(kind, repo).exists()


def _run(kind: str, args: list[str], target: str, timeout: float) -> tuple[dict, float]:
    python, runner = venv_python(kind), runner_path(kind)
    if not python.exists() or not runner.exists():
        raise ValidatorUnavailable(
            f"the {_LABELS[kind]} validator is not installed ({python} or {runner} missing): "
            "run scripts/setup-validators.sh"
        )
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env.update({"DO_NOT_TRACK": "1", "PYTHONNOUSERSITE": "1", "PYTHONHASHSEED": "0"})
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [str(python), str(runner), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=str(REPO),
        )
    except subprocess.TimeoutExpired as exc:
        raise ValidatorFailed(f"the {_LABELS[kind]} validator took over {timeout:.0f} s") from exc
    wall = time.perf_counter() - started
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise ValidatorFailed(
            f"the {_LABELS[kind]} validator crashed on {target} (exit {proc.returncode}): "
            + " | ".join(tail)
        ) from exc
    if "fatal" in data:
        raise ValidatorFailed(f"the {_LABELS[kind]} validator rejected {target}: {data['fatal']}")
    return data, wall


def _notes(items, key: str) -> tuple[RuleNote, ...]:
    return tuple(
        RuleNote(str(i["rule_code"]), i.get("description", ""), i.get(key, "")) for i in items
    )


def parse_cin_report(data: dict, target: str = "", wall: float = 0.0) -> ValidationResult:
    """The JSON printed by validators/run_cin.py -> ValidationResult."""
    issues = [
        Issue(
            rule_code=str(e["rule_code"]),
            description=e.get("description", ""),
            severity=e.get("severity", "error"),
            child_id=e.get("child_id") or None,
            table=e.get("table") or None,
            row_id=e.get("row_id") if isinstance(e.get("row_id"), int) else None,
            columns=tuple(e.get("columns", ())),
            values=tuple(e.get("values", ())),
        )
        for e in data.get("errors", ())
    ]
    issues += [
        Issue(
            rule_code=str(m["rule_code"]),
            description=m.get("description", ""),
            severity=m.get("severity", "error"),
        )
        for m in data.get("multichild", ())
    ]
    return ValidationResult(
        kind=CIN,
        target=target or data.get("file", ""),
        tool=data.get("tool", "csc-validator-be-cin"),
        version=data.get("version", ""),
        ruleset=data.get("ruleset", ""),
        rules_run=int(data.get("rules_run", 0)),
        issues=tuple(issues),
        fails=_notes(data.get("fails", ()), "message"),
        skipped=_notes(data.get("skipped", ()), "reason"),
        notes=tuple(data.get("notes", ())),
        validator_seconds=float(data.get("elapsed_s", 0.0)),
        wall_seconds=wall,
        raw=data,
    )


def parse_903_report(data: dict, target: str = "", wall: float = 0.0) -> ValidationResult:
    """The JSON printed by validators/run_903.py -> ValidationResult."""
    issues = tuple(
        Issue(
            rule_code=str(i["rule_code"]),
            description=i.get("description", ""),
            severity=i.get("severity", "error"),
            child_id=i.get("child_id") or None,
            table=i.get("table") or None,
            row_id=i.get("row_id") if isinstance(i.get("row_id"), int) else None,
            columns=tuple(i.get("columns", ())),
            note=i.get("false_positive", ""),
        )
        for i in data.get("issues", ())
    )
    return ValidationResult(
        kind=SSDA903,
        target=target or data.get("dir", ""),
        tool=data.get("tool", "csc-validator-be-903"),
        version=data.get("version", ""),
        ruleset=data.get("ruleset", ""),
        rules_run=int(data.get("rules_run", 0)),
        issues=issues,
        fails=_notes(data.get("fails", ()), "message"),
        skipped=_notes(data.get("skipped", ()), "reason"),
        notes=tuple(data.get("notes", ())),
        validator_seconds=float(data.get("elapsed_s", 0.0)),
        wall_seconds=wall,
        raw=data,
    )


def validate_cin(
    xml_path: str | Path,
    ruleset: str | None = None,
    select: list[str] | None = None,
    timeout: float = 900,
) -> ValidationResult:
    """Validate a CIN census XML file. ``ruleset`` defaults to the one for the file's Year."""
    target = str(Path(xml_path).resolve())
    args = [target]
    if ruleset:
        args += ["--ruleset", ruleset]
    if select:
        args += ["--select", ",".join(select)]
    data, wall = _run(CIN, args, target, timeout)
    return parse_cin_report(data, target, wall)


def validate_903(
    folder: str | Path,
    year: int,
    la_code: str,
    prev_folder: str | Path | None = None,
    select: list[str] | None = None,
    timeout: float = 900,
) -> ValidationResult:
    """Validate an SSDA903 return: every CSV in ``folder``, for collection ``year`` (2025 =
    2024-25) and the LA's ONS code ``la_code``; ``prev_folder`` holds last year's return."""
    target = str(Path(folder).resolve())
    args = [target, "--year", str(year), "--la", la_code]
    if prev_folder:
        args += ["--prev-dir", str(Path(prev_folder).resolve())]
    if select:
        args += ["--select", ",".join(select)]
    data, wall = _run(SSDA903, args, target, timeout)
    return parse_903_report(data, target, wall)
