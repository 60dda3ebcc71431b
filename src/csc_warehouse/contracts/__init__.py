"""The source contracts: one YAML file per source system (``trust``, ``council``, ``hr``).

They are the single source of truth for the generator, the loader, the GX raw suites and the
tests (format: ``docs/architecture.md``, content: the shared spec ``sources.md``)::

    from csc_warehouse.contracts import load_contract, SYSTEMS

    contract = load_contract("trust")
    table = contract.tables["referrals"]
    table.file, table.key, [c.name for c in table.columns_for("1")]
    contract.table_for_file("referrals.csv")          # -> Table
    check_value(column, "31/02/2020", contract.format)  # -> "not a date (%d/%m/%Y)"

The dataclasses are frozen; ``load_contract`` caches them (one object per system).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

SYSTEMS: tuple[str, ...] = ("trust", "council", "hr")
TYPES = ("text", "int", "decimal", "date", "timestamp", "bool", "code", "json", "list")
CONTRACT_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Format:
    kind: str  # csv | pipe | xlsx
    delimiter: str | None = None
    quoting: str | None = None  # double | none
    escape: str | None = None
    encoding: str | None = None  # utf-8-sig | utf-8
    line_end: str | None = None  # crlf | lf
    header: bool = True
    date_format: str | None = None
    timestamp_format: str | None = None
    booleans: dict = field(default_factory=dict)  # {True: "Y", False: "N"}

    @property
    def true_value(self) -> str:
        return self.booleans[True]

    @property
    def false_value(self) -> str:
        return self.booleans[False]

    @property
    def newline(self) -> str | None:
        return {"crlf": "\r\n", "lf": "\n"}.get(self.line_end or "")


@dataclass(frozen=True)
class Column:
    name: str
    db_name: str
    type: str = "text"
    required: bool = False
    pattern: str | None = None
    codes: tuple[str, ...] | None = None
    separator: str | None = None
    since_version: str = "1"
    pii: bool = False

    @property
    def regex(self) -> re.Pattern | None:
        return _compile(self.pattern) if self.pattern else None


@dataclass(frozen=True)
class Table:
    name: str
    file: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    sheet: str | None = None

    def columns_for(self, version: str | int = "1") -> list[Column]:
        """The columns a file of this ``schema_version`` holds, in order."""
        v = int(version)
        return [c for c in self.columns if int(c.since_version) <= v]

    def header(self, version: str | int = "1") -> list[str]:
        return [c.name for c in self.columns_for(version)]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name or c.db_name == name:
                return c
        raise KeyError(f"{self.name}: no column {name!r}")

    @property
    def key_db_names(self) -> list[str]:
        return [self.column(k).db_name for k in self.key]


@dataclass(frozen=True)
class Contract:
    system: str
    mode: str  # full | delta
    schema_versions: tuple[str, ...]
    format: Format
    tables: dict[str, Table]
    description: str = ""

    def table_for_file(self, file: str, sheet: str | None = None) -> Table:
        for t in self.tables.values():
            if t.file == file and (sheet is None or t.sheet == sheet):
                return t
        raise KeyError(f"{self.system}: no table for file {file!r} sheet {sheet!r}")

    @property
    def files(self) -> list[str]:
        """The distinct file names of a folder, in contract order."""
        out: list[str] = []
        for t in self.tables.values():
            if t.file not in out:
                out.append(t.file)
        return out


@cache
def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def contract_path(system: str) -> Path:
    if system not in SYSTEMS:
        raise ValueError(f"unknown system {system!r} (one of {', '.join(SYSTEMS)})")
    return CONTRACT_DIR / f"{system}.yml"


@cache
def load_contract(system: str) -> Contract:
    """The contract of ``system`` (trust | council | hr) as dataclasses."""
    import yaml

    raw = yaml.safe_load(contract_path(system).read_text(encoding="utf-8"))
    fmt = dict(raw["format"])
    booleans = {
        bool(k) if not isinstance(k, str) else k.lower() == "true": str(v)
        for k, v in (fmt.pop("booleans", None) or {}).items()
    }
    tables: dict[str, Table] = {}
    for tname, t in raw["tables"].items():
        cols = []
        for c in t["columns"]:
            ctype = c.get("type", "text")
            if ctype not in TYPES:
                raise ValueError(f"{system}.{tname}.{c['name']}: unknown type {ctype!r}")
            codes = c.get("codes")
            cols.append(
                Column(
                    name=str(c["name"]),
                    db_name=str(c.get("db_name") or _snake(c["name"])),
                    type=ctype,
                    required=bool(c.get("required", False)),
                    pattern=c.get("pattern"),
                    codes=tuple(str(x) for x in codes) if codes is not None else None,
                    separator=c.get("separator"),
                    since_version=str(c.get("since_version", "1")),
                    pii=bool(c.get("pii", False)),
                )
            )
        tables[tname] = Table(
            name=tname,
            file=t["file"],
            sheet=t.get("sheet"),
            key=tuple(str(k) for k in t["key"]),
            columns=tuple(cols),
        )
    return Contract(
        system=raw["system"],
        mode=raw["mode"],
        schema_versions=tuple(str(v) for v in raw["schema_versions"]),
        format=Format(booleans=booleans, **fmt),
        tables=tables,
        description=str(raw.get("description") or "").strip(),
    )


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def check_value(column: Column, value: str | None, fmt: Format) -> str | None:
    """Check one delivered text value against its column; ``None`` when fine, else the reason.

    ``value`` is the decoded text ('' or None = null). For hr (xlsx) real Excel dates are
    passed as ISO ``yyyy-mm-dd`` text (as the raw layer holds them) and accepted for dates.
    """
    if value is None or value == "":
        return f"{column.name}: required" if column.required else None
    t = column.type
    if t == "code" and column.codes is not None and value not in column.codes:
        return f"{column.name}: unknown code {value!r}"
    if t == "list" and column.codes is not None:
        bad = [v for v in value.split(column.separator or ";") if v not in column.codes]
        if bad:
            return f"{column.name}: unknown code(s) {', '.join(bad)}"
    if t == "int":
        if not re.fullmatch(r"-?\d+", value):
            return f"{column.name}: not an integer {value!r}"
    elif t == "decimal":
        try:
            Decimal(value)
        except InvalidOperation:
            return f"{column.name}: not a number {value!r}"
    elif t == "date":
        if not _parses(value, fmt.date_format) and not (
            fmt.kind == "xlsx" and _parses(value, "%Y-%m-%d")
        ):
            return f"{column.name}: not a date ({fmt.date_format}) {value!r}"
    elif t == "timestamp":
        if not _parses(value, fmt.timestamp_format):
            return f"{column.name}: not a timestamp ({fmt.timestamp_format}) {value!r}"
    elif t == "bool":
        if value not in (fmt.booleans.get(True), fmt.booleans.get(False)):
            return f"{column.name}: not a boolean {value!r}"
    elif t == "json":
        try:
            json.loads(value)
        except ValueError:
            return f"{column.name}: not JSON"
    if column.pattern and not column.regex.search(value):
        return f"{column.name}: does not match {column.pattern} {value!r}"
    return None


def _parses(value: str, fmt: str | None) -> bool:
    if not fmt:
        return False
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


__all__ = [
    "SYSTEMS",
    "Column",
    "Contract",
    "Format",
    "Table",
    "check_value",
    "contract_path",
    "load_contract",
]
