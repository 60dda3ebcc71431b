"""Helpers for the loader tests: a throw-away database, and landing folders written by hand in
the exact delivery formats of the spec (CSV with BOM + CRLF, pipe with ``\\|``, xlsx), with
their ``_manifest.json`` written last."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc_warehouse.config import get_settings
from csc_warehouse.contracts import Contract, load_contract
from csc_warehouse.roles import ensure_roles

# ---- database ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def load_db():
    """A dedicated database for this test session: csc_test_load_<pid>; dropped at the end."""
    base = get_settings()
    name = f"csc_test_load_{os.getpid()}"
    try:
        admin = psycopg.connect(base.conninfo("postgres"), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # pragma: no cover
        pytest.skip(f"no Postgres for the loader tests: {exc}")
    with admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = dict(os.environ, CSC_PG_DATABASE=name)
    settings = get_settings(env)
    yield settings
    with psycopg.connect(base.conninfo("postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(name="settings")
def settings_fixture(load_db):
    """Settings on the session database, emptied of the loader's schemas first (made again,
    empty, with the roles' grants: the loader connects as csc_loader)."""
    with psycopg.connect(load_db.conninfo(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS ops, raw_trust, raw_council, raw_hr CASCADE")
    ensure_roles(load_db)
    return load_db


def q(settings, query, params=None):
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


# ---- sample values ----------------------------------------------------------------------------


def sample_for_pattern(pattern: str, n: int) -> str:
    special = {
        r"^\d{10}$": f"{n:010d}",
        r"^[A-Z]\d{11}[0-9A-Z]$": f"A{n:011d}B",
        r"^\d{3} \d{3} \d{4}$": f"485 777 {n:04d}",
        r"^[a-z]+\d*$": f"user{n}",
        r"^SW\d{5,6}$": f"SW{n:05d}",
        r"^\d+$": str(n),
    }
    if pattern in special:
        value = special[pattern]
    elif m := re.fullmatch(r"\^([A-Z]+)\\d\+\$", pattern):
        value = f"{m.group(1)}{n}"
    elif m := re.fullmatch(r"\^([A-Z]+)\\d\{(\d+)\}\$", pattern):
        value = f"{m.group(1)}{n:0{int(m.group(2))}d}"
    else:  # pragma: no cover
        raise ValueError(f"no sample for pattern {pattern}")
    assert re.search(pattern, value), (pattern, value)
    return value


def valid_row(contract: Contract, table: str, n: int, version: str = "1", **overrides):
    """A valid row (dict column name -> value) of ``table``; ``n`` makes keys unique."""
    fmt = contract.format
    t = contract.tables[table]
    row: dict[str, object] = {}
    d = date(2020, 1, 1 + n % 28)
    for c in t.columns_for(version):
        if c.pattern:
            v: object = sample_for_pattern(c.pattern, n)
        elif c.type == "code":
            v = c.codes[n % len(c.codes)]
        elif c.type == "list":
            v = (c.separator or ";").join(c.codes[:2])
        elif c.type == "int":
            v = str(n)
        elif c.type == "decimal":
            v = "0.5"
        elif c.type == "date":
            v = d if fmt.kind == "xlsx" else d.strftime(fmt.date_format)
        elif c.type == "timestamp":
            v = datetime(2020, 1, 2, 3, 4, n % 60).strftime(fmt.timestamp_format)
        elif c.type == "bool":
            v = fmt.booleans[True]
        elif c.type == "json":
            v = '{"source": "1A"}'
        else:
            v = f"text {n}"
        row[c.name] = v
    if contract.mode == "delta":
        row["CHANGE_TYPE"] = "I"
    row.update(overrides)
    return row


# ---- writing folders --------------------------------------------------------------------------


def _csv_bytes(header, rows) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def _pipe_bytes(header, rows) -> bytes:
    lines = ["|".join(header)]
    for r in rows:
        lines.append("|".join(str(v).replace("|", "\\|") for v in r))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _xlsx_bytes(sheets: dict[str, tuple[list, list]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (header, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for r in rows:
            ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_folder(
    landing: Path,
    system: str,
    extract_date: str,
    tables: dict[str, list] | None = None,
    *,
    version: str = "1",
    mode: str | None = None,
    contract: Contract | None = None,
    headers: dict[str, list[str]] | None = None,
    raw_bytes: dict[str, bytes] | None = None,
    manifest_rows: dict[str, int] | None = None,
    manifest_extra: dict | None = None,
    write_manifest: bool = True,
) -> Path:
    """Write ``landing/system/extract_date/`` with every contract file.

    ``tables`` maps table -> rows; a row is a dict (column -> value, contract order) or a list
    (the fields as delivered). ``headers`` overrides a table's header; ``raw_bytes`` replaces a
    file's content (the manifest's sha256 is computed from it); ``manifest_rows`` overrides
    the manifest's row counts. To fake a damaged file, change it after writing the folder.
    """
    contract = contract or load_contract(system)
    tables = tables or {}
    headers = headers or {}
    folder = landing / system / extract_date
    folder.mkdir(parents=True, exist_ok=True)
    kind = contract.format.kind
    contents: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    sheets: dict[str, dict[str, tuple[list, list]]] = {}
    for name, t in contract.tables.items():
        header = headers.get(name) or t.header(version)
        rows = []
        for r in tables.get(name, []):
            rows.append([r.get(h, "") for h in header] if isinstance(r, dict) else list(r))
        counts[name] = len(rows)
        if kind == "csv":
            contents[t.file] = _csv_bytes(header, rows)
        elif kind == "pipe":
            contents[t.file] = _pipe_bytes(header, rows)
        else:
            sheets.setdefault(t.file, {})[t.sheet] = (header, rows)
    for file, sh in sheets.items():
        contents[file] = _xlsx_bytes(sh)
    contents.update(raw_bytes or {})
    for file, data in contents.items():
        (folder / file).write_bytes(data)
    files = []
    for name, t in contract.tables.items():
        data = contents[t.file]
        files.append(
            {
                "name": t.file,
                "table": t.sheet or name,
                "rows": (manifest_rows or {}).get(name, counts[name]),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    manifest = {
        "system": system,
        "extract_date": extract_date,
        "schema_version": version,
        "generated_at": f"{extract_date}T23:59:59Z",
        "mode": mode or ("full" if contract.mode == "full" else "delta"),
        "files": files,
    }
    manifest.update(manifest_extra or {})
    if write_manifest:
        (folder / "_manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return folder


def rewrite_manifest(folder: Path, **changes) -> None:
    path = folder / "_manifest.json"
    m = json.loads(path.read_text())
    m.update(changes)
    path.write_text(json.dumps(m))


def refresh_checksums(folder: Path) -> None:
    """Recompute the manifest's sha256 values from the files as they are now."""
    path = folder / "_manifest.json"
    m = json.loads(path.read_text())
    for f in m["files"]:
        f["sha256"] = hashlib.sha256((folder / f["name"]).read_bytes()).hexdigest()
    path.write_text(json.dumps(m))
