"""Load nightly landing folders into ``raw_<system>``: verified, quarantined, replayable.

The flow for one folder ``LANDING/<system>/<YYYY-MM-DD>/`` (see docs/loading.md):

1. wait for ``_manifest.json``; read and check it (names, tables, counts, checksums);
2. already loaded with the same content -> nothing to do (``unchanged``);
3. council: the folder must be the next date after the last loaded one, else ``waiting``;
4. verify every file: present, a regular file, sha256, (xlsx: size / zip-bomb), header
   against the contract's columns for the manifest's ``schema_version``; any failure rejects
   the whole folder (recorded per file, nothing loaded);
5. in ONE transaction: new batch, each file parsed, validated and streamed into its raw table
   with COPY (bad rows to ``ops.quarantine``), data-row count checked against the manifest
   (mismatch -> the folder is rejected, rolled back), reconciliation
   ``manifest rows = raw rows + quarantined rows`` per file (failure -> exception, rollback),
   ledger rows, earlier batch of the same date superseded (correction), current flags;
6. ``ANALYZE`` the raw tables touched.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
import time as _time
import weakref
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import islice
from operator import itemgetter
from pathlib import Path

import psycopg
from psycopg import sql

from csc_warehouse import roles
from csc_warehouse.config import Settings
from csc_warehouse.contracts import SYSTEMS, Contract, Table, load_contract
from csc_warehouse.errors import WarehouseError
from csc_warehouse.load import ddl
from csc_warehouse.load.manifest import (
    MANIFEST,
    FileScan,
    Manifest,
    ManifestError,
    file_path,
    read_manifest,
    scan_file,
    shown,
)
from csc_warehouse.load.readers import CsvReader, ReadError, XlsxLimits, XlsxReader, open_reader
from csc_warehouse.load.results import (
    LOADED,
    NOT_READY,
    REJECTED,
    UNCHANGED,
    WAITING,
    FileResult,
    LoadSummary,
    NightResult,
)
from csc_warehouse.load.validate import (
    BAD_ENCODING,
    DUPLICATE,
    Problem,
    RowChecker,
    header_diff,
    problem_column_count,
    problem_unparseable,
)

log = logging.getLogger("csc_warehouse.load")

COUNCIL_FIRST_DATE = date(2015, 4, 1)
_SYSTEM_LOCK_BASE = 4_247_100
_FLUSH_ROWS = 1024
_SPECIAL = re.compile("[\\\\\n\r\x00]").search
# anything COPY text format cannot take as is (the field separator, tab, included)
_SPECIAL_ANY = re.compile("[\\\\\t\n\r\x00]").search
PROBLEM_NUL = Problem(BAD_ENCODING, "contains a NUL character")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


class ReconciliationError(WarehouseError):
    """manifest rows != raw rows + quarantined rows for a file: the folder is not committed."""


class LoadRefused(WarehouseError):
    """The load cannot run as asked (no such system, landing folder missing)."""


class _FolderRejected(Exception):
    def __init__(self, per_file: dict[str, str], summary: str):
        super().__init__(summary)
        self.per_file = per_file  # table -> reason
        self.summary = summary


@dataclass(frozen=True)
class LoadOptions:
    xlsx_limits: XlsxLimits = field(default_factory=XlsxLimits)
    council_first_date: date = COUNCIL_FIRST_DATE
    analyze: bool = True

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> LoadOptions:
        env = settings.env
        limits = XlsxLimits()
        if env.get("CSC_LOAD_XLSX_MAX_MB"):
            limits = XlsxLimits(
                max_bytes=int(float(env["CSC_LOAD_XLSX_MAX_MB"]) * 1024 * 1024),
                max_uncompressed=limits.max_uncompressed,
                max_ratio=limits.max_ratio,
            )
        if env.get("CSC_LOAD_XLSX_MAX_RATIO"):
            limits = XlsxLimits(
                limits.max_bytes, limits.max_uncompressed, float(env["CSC_LOAD_XLSX_MAX_RATIO"])
            )
        values: dict = {"xlsx_limits": limits}
        if env.get("CSC_LOAD_COUNCIL_FIRST"):
            # a warehouse whose council history starts later (a go-live, a short benchmark)
            values["council_first_date"] = date.fromisoformat(env["CSC_LOAD_COUNCIL_FIRST"])
        values.update(overrides)
        return cls(**values)


def contract_fingerprint(contract: Contract) -> str:
    return hashlib.sha256(repr(contract).encode()).hexdigest()


def copy_escape(value: str) -> str:
    """A value for COPY text format (empty string = NULL, as the COPY says NULL '')."""
    return value.translate(_COPY_ESCAPES)


def connect(settings: Settings) -> psycopg.Connection:
    """The loader's connection: as ``csc_loader``, which owns raw and its ops tables only."""
    return psycopg.connect(settings.conninfo(role=roles.LOADER), autocommit=True)


def _parse_date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


# ---- public API --------------------------------------------------------------------------------


def load_night(
    settings: Settings,
    landing: Path | str,
    system: str,
    extract_date: date | str,
    *,
    contract: Contract | None = None,
    options: LoadOptions | None = None,
    conn: psycopg.Connection | None = None,
) -> NightResult:
    """Load one folder ``landing/system/extract_date``; the result says what happened.

    Never raises for bad data (that is a ``rejected`` / ``waiting`` result); raises
    ``ReconciliationError`` if the counts do not reconcile (nothing committed) and psycopg
    errors when the database is unreachable.
    """
    if system not in SYSTEMS:
        raise LoadRefused(f"unknown system {system!r} (one of {', '.join(SYSTEMS)})")
    contract = contract or load_contract(system)
    options = options or LoadOptions.from_settings(settings)
    own = conn is None
    conn = conn or connect(settings)
    try:
        ddl.ensure_ops(conn)
        night = _Night(conn, contract, Path(landing), _parse_date(extract_date), options)
        return night.run()
    finally:
        if own:
            conn.close()


def find_folders(
    landing: Path | str, systems: list[str] | None = None
) -> list[tuple[str, date, Path]]:
    """Dated folders under ``landing/<system>/``, sorted by system then date."""
    out = []
    for system in systems or list(SYSTEMS):
        base = Path(landing) / system
        if not base.is_dir():
            continue
        for child in base.iterdir():
            if not child.is_dir() or child.is_symlink():
                continue
            try:
                d = date.fromisoformat(child.name)
            except ValueError:
                log.warning("ignoring %s/%s: not a YYYY-MM-DD folder", system, shown(child.name))
                continue
            if child.name != d.isoformat():
                continue
            out.append((system, d, child))
    out.sort(key=lambda t: (SYSTEMS.index(t[0]), t[1]))
    return out


def load_pending(
    settings: Settings,
    landing: Path | str,
    systems: list[str] | None = None,
    *,
    contracts: dict[str, Contract] | None = None,
    options: LoadOptions | None = None,
    progress=None,
    conn: psycopg.Connection | None = None,
    until: date | str | None = None,
) -> LoadSummary:
    """Load every folder with a manifest that is not loaded yet, council in date order.

    ``until``: only folders with an extract date on or before it (a DAG run for night D
    catches up the gap before D but never loads a later night early); later folders are
    left alone and counted in ``summary.later``.

    ``progress(total)`` is called once with the number of folders to look at and returns a
    callable ``step(night_result)`` called after each (the CLI's progress bar); optional.
    """
    started = _time.monotonic()
    until = _parse_date(until) if until is not None else None
    options = options or LoadOptions.from_settings(settings)
    contracts = dict(contracts or {})
    summary = LoadSummary()
    own = conn is None
    conn = conn or connect(settings)
    try:
        ddl.ensure_ops(conn)
        latest = {
            (s, d): fp
            for s, d, fp in conn.execute(
                "SELECT DISTINCT ON (system, extract_date) system, extract_date, manifest_sha256 "
                "FROM ops.load_batches WHERE status = 'loaded' "
                "ORDER BY system, extract_date, batch_id DESC"
            ).fetchall()
        }
        todo = []
        for system, d, folder in find_folders(landing, systems):
            if until is not None and d > until:
                summary.later += 1
                continue
            if not (folder / MANIFEST).is_file():
                summary.not_ready += 1
                continue
            contract = contracts.setdefault(system, load_contract(system))
            fp = latest.get((system, d))
            if fp is not None:
                try:
                    if read_manifest(folder, contract, d).fingerprint == fp:
                        continue  # loaded, same content
                except ManifestError:
                    pass
            todo.append((system, d))
        step = progress(len(todo)) if progress else None
        # ANALYZE once at the end, not after each of thousands of small council deltas
        # (a backfill spends most of its time in per-folder ANALYZE otherwise).
        night_options = replace(options, analyze=False)
        touched: set[tuple[str, str]] = set()
        for system, d in todo:
            result = _Night(conn, contracts[system], Path(landing), d, night_options).run()
            if result.status == REJECTED and result.previously:
                summary.skipped_rejected += 1
            elif result.status != UNCHANGED:
                summary.nights.append(result)
            if result.status == LOADED:
                touched.update((system, f.table) for f in result.files)
            if step:
                step(result)
        # A system that has delivered nothing (an authority that never had a trust; the
        # nights before a system's first folder) still gets its raw tables, empty: the build
        # reads every source table, and an empty one is the truth.
        for system in systems or list(SYSTEMS):
            contract = contracts.setdefault(system, load_contract(system))
            _ensure_raw_once(conn, contract, contract_fingerprint(contract))
        if options.analyze:
            for system, table in sorted(touched):
                conn.execute(
                    sql.SQL("ANALYZE {}").format(sql.Identifier(ddl.raw_schema(system), table))
                )
    finally:
        if own:
            conn.close()
    summary.seconds = _time.monotonic() - started
    log.info("load: %s", summary.summary_line())
    return summary


# ---- one folder ----------------------------------------------------------------------------------


@dataclass
class _TableLoad:
    table: Table
    entry_rows: int
    sha256: str
    path: Path
    header: list[str] | None = None
    actual_sha: str | None = None
    scan: FileScan | None = None
    size: int | None = None


# connection -> fingerprints of the contracts whose raw tables it has made sure of
_RAW_READY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _ensure_raw_once(conn: psycopg.Connection, contract: Contract, contract_sha: str) -> None:
    """``ddl.ensure_raw`` once per connection and contract version (a backfill of thousands
    of folders asked the catalogue the same question for each). Only on an autocommit
    connection: there the DDL is committed, so nothing can undo it behind the memo."""
    ready = _RAW_READY.setdefault(conn, set()) if conn.autocommit else set()
    if contract_sha not in ready:
        ddl.ensure_raw(conn, contract)
        ready.add(contract_sha)


class _Night:
    def __init__(
        self, conn, contract: Contract, landing: Path, extract_date: date, options: LoadOptions
    ):
        self.conn = conn
        self.contract = contract
        self.system = contract.system
        self.extract_date = extract_date
        self.folder = landing / self.system / extract_date.isoformat()
        self.options = options
        self.result = NightResult(
            system=self.system,
            extract_date=extract_date,
            status=NOT_READY,
            folder=str(self.folder),
        )
        self.contract_sha = contract_fingerprint(contract)

    # -- orchestration --
    def run(self) -> NightResult:
        t0 = _time.monotonic()
        lock = _SYSTEM_LOCK_BASE + SYSTEMS.index(self.system)
        self.conn.execute("SELECT pg_advisory_lock(%s)", (lock,))
        try:
            self._run()
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (lock,))
        self.result.seconds = _time.monotonic() - t0
        r = self.result
        level = logging.WARNING if r.problem else logging.INFO
        log.log(level, "load %s", r.summary_line())
        for line in r.problem_lines():
            log.warning("rejected: %s", line)
        return r

    def _run(self) -> None:
        r = self.result
        # raw tables exist (and have every column of the contract) from the first run on,
        # whatever the folder turns out to be: dbt's sources can rely on them
        _ensure_raw_once(self.conn, self.contract, self.contract_sha)
        if not self.folder.is_dir():
            r.message = f"no folder {self.folder}"
            return
        manifest_path = self.folder / MANIFEST
        if not manifest_path.is_file():
            r.message = f"no {MANIFEST} yet (the folder is still being written)"
            return
        try:
            manifest = read_manifest(self.folder, self.contract, self.extract_date)
        except ManifestError as exc:
            fp = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
            if self._same_rejection(fp, {}):
                return
            self._record_rejection(None, fp, {"_manifest": str(exc)}, str(exc), {})
            return
        self.manifest = manifest
        loaded = self._loaded_batches()
        if loaded and loaded[0][1] == manifest.fingerprint:
            r.status = UNCHANGED
            r.batch_id = loaded[0][0]
            r.message = f"already loaded as batch {loaded[0][0]} (same content)"
            return
        # council: deltas strictly in date order
        if self.contract.mode == "delta" and not loaded:
            missing = self._council_gap(manifest)
            if missing is not None:
                return
        # verify every file before loading anything
        loads, problems = self._verify(manifest)
        actual = {t: tl.actual_sha for t, tl in loads.items() if tl.actual_sha}
        if problems:
            if self._same_rejection(manifest.fingerprint, actual):
                return
            first = next(iter(problems.items()))
            summary = (
                f"{self.contract.tables[first[0]].file}: {first[1]}"
                if first[0] in self.contract.tables
                else first[1]
            )
            self._record_rejection(manifest, manifest.fingerprint, problems, summary, loads)
            return
        if self._same_rejection(manifest.fingerprint, actual):
            return
        try:
            self._load(manifest, loads, loaded)
        except _FolderRejected as exc:
            self._record_rejection(manifest, manifest.fingerprint, exc.per_file, exc.summary, loads)
            return
        if self.options.analyze:
            # the statistics a new batch makes stale: the lineage columns staging filters on
            # (a new _batch_id is outside the histogram). The other columns' statistics move
            # little from one night to the next; autovacuum, load_pending (at the end of a
            # run) and the weekly maintenance refresh them (a full ANALYZE costs as much as
            # loading the night).
            for name in loads:
                self.conn.execute(
                    sql.SQL("ANALYZE {} (_batch_id, _extract_date)").format(
                        sql.Identifier(ddl.raw_schema(self.system), name)
                    )
                )

    # -- state ---
    def _loaded_batches(self) -> list[tuple[int, str]]:
        return self.conn.execute(
            "SELECT batch_id, manifest_sha256 FROM ops.load_batches "
            "WHERE system = %s AND extract_date = %s AND status = 'loaded' "
            "ORDER BY batch_id DESC",
            (self.system, self.extract_date),
        ).fetchall()

    def _same_rejection(self, fingerprint: str, actual: dict[str, str]) -> bool:
        """True (and the result filled in) when the newest delivery of this date was rejected
        with the same manifest, the same files and the same contract: nothing would change."""
        row = self.conn.execute(
            "SELECT batch_id, status, manifest_sha256, contract_sha256, reason "
            "FROM ops.load_batches WHERE system = %s AND extract_date = %s "
            "AND status <> 'waiting' ORDER BY batch_id DESC LIMIT 1",
            (self.system, self.extract_date),
        ).fetchone()
        if row is None or row[1] != "rejected":
            return False
        batch_id, _, fp, csha, reason = row
        if fp != fingerprint or csha != self.contract_sha:
            return False
        before = dict(
            self.conn.execute(
                "SELECT table_name, coalesce(sha256_actual, '') FROM ops.load_ledger "
                "WHERE batch_id = %s",
                (batch_id,),
            ).fetchall()
        )
        if any(before.get(t, "") != (sha or "") for t, sha in actual.items()):
            return False
        r = self.result
        r.status = REJECTED
        r.previously = True
        r.batch_id = batch_id
        r.message = f"still rejected (batch {batch_id}, unchanged since): {reason}"
        r.files = [
            FileResult(file_name=f, table=t, status=s, rows_manifest=n, reason=why)
            for f, t, s, n, why in self.conn.execute(
                "SELECT file_name, table_name, status, rows_manifest, reason "
                "FROM ops.load_ledger WHERE batch_id = %s ORDER BY ledger_id",
                (batch_id,),
            ).fetchall()
        ]
        return True

    def _council_gap(self, manifest: Manifest) -> date | None:
        """Council deltas wait for a missing predecessor; returns the missing date (recorded)."""
        last = self.conn.execute(
            "SELECT max(extract_date) FROM ops.load_batches "
            "WHERE system = %s AND status = 'loaded'",
            (self.system,),
        ).fetchone()[0]
        missing: date | None = None
        if last is None:
            if manifest.mode != "full":
                missing = self.options.council_first_date
                why = (
                    f"waiting for the first full council extract ({missing.isoformat()}); "
                    "nothing is loaded yet"
                )
        elif self.extract_date > last + timedelta(days=1):
            missing = last + timedelta(days=1)
            why = (
                f"waiting for council {missing.isoformat()}: deltas are applied in date order "
                f"and the last loaded is {last.isoformat()}"
            )
        elif self.extract_date <= last:
            # an unloaded date before the last loaded one: only possible before the baseline
            if self._same_rejection(manifest.fingerprint, {}):
                return self.extract_date
            self._record_rejection(
                manifest,
                manifest.fingerprint,
                {},
                f"council delta for {self.extract_date.isoformat()} is older than the loaded "
                f"council history (last {last.isoformat()}) and was never part of it",
                {},
            )
            return self.extract_date
        if missing is None:
            return None
        with self.conn.transaction():
            self.conn.execute(
                "DELETE FROM ops.load_batches WHERE system = %s AND extract_date = %s "
                "AND status = 'waiting'",
                (self.system, self.extract_date),
            )
            batch_id = self.conn.execute(
                "INSERT INTO ops.load_batches (system, extract_date, delivery, status, mode, "
                "schema_version, manifest_sha256, contract_sha256, generated_at, folder, "
                "waiting_for, reason, files, rows_manifest, finished_at) "
                "VALUES (%s, %s, 0, 'waiting', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now()) "
                "RETURNING batch_id",
                (
                    self.system,
                    self.extract_date,
                    manifest.mode,
                    manifest.schema_version,
                    manifest.fingerprint,
                    self.contract_sha,
                    manifest.generated_at,
                    str(self.folder),
                    missing,
                    why,
                    len(manifest.files),
                    sum(f.rows for f in manifest.files),
                ),
            ).fetchone()[0]
            for f in manifest.files:
                self.conn.execute(
                    "INSERT INTO ops.load_ledger (batch_id, system, extract_date, file_name, "
                    "table_name, status, reason, schema_version, rows_manifest, "
                    "sha256_manifest) VALUES (%s, %s, %s, %s, %s, 'waiting', %s, %s, %s, %s)",
                    (
                        batch_id,
                        self.system,
                        self.extract_date,
                        f.name,
                        f.table,
                        why,
                        manifest.schema_version,
                        f.rows,
                        f.sha256,
                    ),
                )
        r = self.result
        r.status = WAITING
        r.batch_id = batch_id
        r.waiting_for = missing
        r.message = why
        r.files = [
            FileResult(f.name, f.table, "waiting", f.rows, reason=why) for f in manifest.files
        ]
        return missing

    # -- verification ---
    def _verify(self, manifest: Manifest) -> tuple[dict[str, _TableLoad], dict[str, str]]:
        problems: dict[str, str] = {}
        loads: dict[str, _TableLoad] = {}
        version = manifest.schema_version
        known = version in self.contract.schema_versions
        latest = max(self.contract.schema_versions, key=int)
        hashed: dict[str, FileScan] = {}
        for entry in manifest.files:
            table = self.contract.tables[entry.table]
            tl = _TableLoad(
                table=table,
                entry_rows=entry.rows,
                sha256=entry.sha256,
                path=self.folder / entry.name,
            )
            loads[entry.table] = tl
            try:
                path = file_path(self.folder, entry.name)
                if not path.exists():
                    raise ManifestError("missing: listed in the manifest but not in the folder")
                if not path.is_file():
                    raise ManifestError("not a regular file")
                if entry.name not in hashed:
                    hashed[entry.name] = scan_file(path, text=self.contract.format.kind != "xlsx")
                tl.scan = hashed[entry.name]
                actual, size = tl.scan.sha256, tl.scan.size
                tl.actual_sha, tl.size = actual, size
                if actual != entry.sha256:
                    raise ManifestError(
                        f"sha256 mismatch (manifest {entry.sha256[:12]}..., file "
                        f"{actual[:12]}..., {size} bytes): truncated or changed in transit"
                    )
                reader = open_reader(
                    path, self.contract.format, table.sheet, self.options.xlsx_limits
                )
                header = reader.header
                reader.close()
                tl.header = header
                expected = table.header(version if known else latest)
                if not known:
                    diff = header_diff(expected, header)
                    raise ManifestError(
                        f"schema_version {version} is not known to the contract (known: "
                        f"{', '.join(self.contract.schema_versions)}); header vs version "
                        f"{latest}: {diff or 'no column differs'}"
                    )
                if sorted(header) != sorted(expected) or len(set(header)) != len(header):
                    raise ManifestError(
                        f"header differs from the contract for schema_version {version}: "
                        f"{header_diff(expected, header)}"
                    )
            except (ManifestError, ReadError, OSError) as exc:
                msg = str(exc) if not isinstance(exc, OSError) else f"cannot read ({exc.strerror})"
                problems[entry.table] = msg
        return loads, problems

    # -- recording ---
    def _record_rejection(
        self,
        manifest: Manifest | None,
        fingerprint: str,
        per_table: dict[str, str],
        summary: str,
        loads: dict[str, _TableLoad],
    ) -> None:
        r = self.result
        with self.conn.transaction():
            delivery = self._next_delivery()
            self.conn.execute(
                "DELETE FROM ops.load_batches WHERE system = %s AND extract_date = %s "
                "AND status = 'waiting'",
                (self.system, self.extract_date),
            )
            batch_id = self.conn.execute(
                "INSERT INTO ops.load_batches (system, extract_date, delivery, status, mode, "
                "schema_version, manifest_sha256, contract_sha256, generated_at, folder, reason, "
                "files, rows_manifest, finished_at) "
                "VALUES (%s, %s, %s, 'rejected', %s, %s, %s, %s, %s, %s, %s, %s, %s, now()) "
                "RETURNING batch_id",
                (
                    self.system,
                    self.extract_date,
                    delivery,
                    manifest.mode if manifest else None,
                    manifest.schema_version if manifest else None,
                    fingerprint,
                    self.contract_sha,
                    manifest.generated_at if manifest else None,
                    str(self.folder),
                    summary,
                    len(manifest.files) if manifest else 0,
                    sum(f.rows for f in manifest.files) if manifest else 0,
                ),
            ).fetchone()[0]
            files: list[FileResult] = []
            if manifest is None:
                reason = per_table.get("_manifest", summary)
                self.conn.execute(
                    "INSERT INTO ops.load_ledger (batch_id, system, extract_date, file_name, "
                    "table_name, status, reason) VALUES (%s, %s, %s, %s, '_manifest', "
                    "'rejected', %s)",
                    (batch_id, self.system, self.extract_date, MANIFEST, reason),
                )
                files.append(FileResult(MANIFEST, "_manifest", "rejected", reason=reason))
            else:
                for f in manifest.files:
                    own = per_table.get(f.table)
                    if own:
                        reason = own
                    elif per_table:
                        reason = f"not loaded: the folder is rejected ({summary})"
                    else:
                        reason = summary
                    tl = loads.get(f.table)
                    self.conn.execute(
                        "INSERT INTO ops.load_ledger (batch_id, system, extract_date, "
                        "file_name, table_name, status, reason, schema_version, header, "
                        "rows_manifest, sha256_manifest, sha256_actual, bytes) VALUES "
                        "(%s, %s, %s, %s, %s, 'rejected', %s, %s, %s, %s, %s, %s, %s)",
                        (
                            batch_id,
                            self.system,
                            self.extract_date,
                            f.name,
                            f.table,
                            reason,
                            manifest.schema_version,
                            tl.header if tl else None,
                            f.rows,
                            f.sha256,
                            tl.actual_sha if tl else None,
                            tl.size if tl else None,
                        ),
                    )
                    files.append(
                        FileResult(
                            f.name,
                            f.table,
                            "rejected" if own else "not_loaded",
                            f.rows,
                            reason=reason,
                        )
                    )
        r.status = REJECTED
        r.batch_id = batch_id
        r.message = summary
        r.files = files
        if not any(f.status == "rejected" for f in files):
            # a folder-level reason (e.g. council order): every file carries it
            for f in files:
                f.status = "rejected"
                f.reason = summary

    def _next_delivery(self) -> int:
        return self.conn.execute(
            "SELECT coalesce(max(delivery), 0) + 1 FROM ops.load_batches "
            "WHERE system = %s AND extract_date = %s",
            (self.system, self.extract_date),
        ).fetchone()[0]

    # -- the load ---
    def _load(
        self, manifest: Manifest, loads: dict[str, _TableLoad], loaded: list[tuple[int, str]]
    ) -> None:
        conn = self.conn
        r = self.result
        previous = [b for b, _ in loaded]
        with conn.transaction():
            delivery = self._next_delivery()
            conn.execute(
                "DELETE FROM ops.load_batches WHERE system = %s AND extract_date = %s "
                "AND status = 'waiting'",
                (self.system, self.extract_date),
            )
            batch_id = conn.execute(
                "INSERT INTO ops.load_batches (system, extract_date, delivery, status, mode, "
                "schema_version, manifest_sha256, contract_sha256, generated_at, folder, "
                "is_correction, files, rows_manifest) "
                "VALUES (%s, %s, %s, 'loaded', %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "RETURNING batch_id",
                (
                    self.system,
                    self.extract_date,
                    delivery,
                    manifest.mode,
                    manifest.schema_version,
                    manifest.fingerprint,
                    self.contract_sha,
                    manifest.generated_at,
                    str(self.folder),
                    bool(previous),
                    len(manifest.files),
                    sum(f.rows for f in manifest.files),
                ),
            ).fetchone()[0]
            files: list[FileResult] = []
            rejected: dict[str, str] = {}
            for name, tl in loads.items():
                fr = _TableLoader(
                    conn,
                    self.contract,
                    tl,
                    batch_id,
                    self.extract_date,
                    manifest.schema_version,
                    previous,
                    self.options.xlsx_limits,
                ).run()
                files.append(fr)
                if fr.status == "rejected":
                    rejected[name] = fr.reason or "rejected"
            if rejected:
                first = next(iter(rejected.items()))
                raise _FolderRejected(
                    rejected, f"{self.contract.tables[first[0]].file}: {first[1]}"
                )
            link_quarantine(conn, batch_id)
            self._reconcile(batch_id, loads, files)
            if previous:
                conn.execute(
                    "UPDATE ops.load_batches SET status = 'superseded', superseded_by = %s, "
                    "is_current = false WHERE batch_id = ANY(%s)",
                    (batch_id, previous),
                )
                conn.execute(
                    "UPDATE ops.load_ledger SET status = 'superseded', updated_at = now() "
                    "WHERE batch_id = ANY(%s)",
                    (previous,),
                )
            self._set_current()
            is_current = conn.execute(
                "SELECT is_current FROM ops.load_batches WHERE batch_id = %s", (batch_id,)
            ).fetchone()[0]
            conn.execute(
                "UPDATE ops.load_batches SET rows_loaded = %s, rows_quarantined = %s, "
                "warnings = %s, finished_at = clock_timestamp(), "
                "seconds = extract(epoch FROM clock_timestamp() - started_at) "
                "WHERE batch_id = %s",
                (
                    sum(f.rows_loaded for f in files),
                    sum(f.rows_quarantined for f in files),
                    sum(f.deletes_unknown for f in files),
                    batch_id,
                ),
            )
        r.status = LOADED
        r.batch_id = batch_id
        r.files = files
        r.is_correction = bool(previous)
        r.superseded_batch = previous[0] if previous else None
        r.is_current = bool(is_current)
        bits = []
        if previous:
            bits.append(
                f"correction: re-delivered with different content, supersedes batch {previous[0]}"
            )
        if not is_current:
            bits.append("not current: a newer snapshot is already loaded (kept for history)")
        r.message = "; ".join(bits) or "loaded"

    def _reconcile(
        self, batch_id: int, loads: dict[str, _TableLoad], files: list[FileResult]
    ) -> None:
        """manifest rows = raw rows + open quarantined rows, per file, counted in the database
        (one round trip: a count per raw table, and the quarantine grouped by table)."""
        schema = ddl.raw_schema(self.system)
        by_table = {f.table: f for f in files}
        names = list(loads)
        counts = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {}::text, count(*) FROM {} WHERE _batch_id = %(b)s").format(
                sql.Literal(name), sql.Identifier(schema, name)
            )
            for name in names
        )
        query = sql.SQL(
            "WITH raw(t, n) AS ({counts}), q AS (SELECT table_name AS t, count(*) AS n "
            "FROM ops.quarantine WHERE batch_id = %(b)s AND replayed_at IS NULL "
            "GROUP BY table_name) "
            "SELECT raw.t, raw.n, coalesce(q.n, 0) FROM raw LEFT JOIN q USING (t)"
        ).format(counts=counts)
        got = {
            t: (raw, quarantined)
            for t, raw, quarantined in self.conn.execute(query, {"b": batch_id})
        }
        for name, tl in loads.items():
            raw, quarantined = got[name]
            fr = by_table[name]
            if raw + quarantined != tl.entry_rows or raw != fr.rows_loaded:
                raise ReconciliationError(
                    f"{self.system} {self.extract_date} {tl.table.file} ({name}): manifest "
                    f"{tl.entry_rows} rows != raw {raw} + quarantined {quarantined}; nothing "
                    "of this folder was committed"
                )

    def _set_current(self) -> None:
        if self.contract.mode == "delta":
            self.conn.execute(
                "UPDATE ops.load_batches SET is_current = (status = 'loaded') "
                "WHERE system = %s AND is_current IS DISTINCT FROM (status = 'loaded')",
                (self.system,),
            )
            return
        self.conn.execute(
            "WITH newest AS (SELECT batch_id FROM ops.load_batches WHERE system = %s "
            "AND status = 'loaded' ORDER BY extract_date DESC, batch_id DESC LIMIT 1) "
            "UPDATE ops.load_batches b SET is_current = (b.batch_id = newest.batch_id) "
            "FROM newest WHERE b.system = %s "
            "AND b.is_current IS DISTINCT FROM (b.batch_id = newest.batch_id)",
            (self.system, self.system),
        )


# ---- one file (table) ----------------------------------------------------------------------------


def dedupe_columns(contract: Contract, table: Table, header: list[str]) -> list[int]:
    """Positions making a row's identity for the duplicate check: the key, and for council
    deltas also LAST_MODIFIED (the same key changed twice in one delta is not a duplicate)."""
    idx = [header.index(k) for k in table.key]
    if contract.mode == "delta":
        for name in header:
            if name.upper() == "LAST_MODIFIED":
                idx.append(header.index(name))
    return idx


def change_type_column(table: Table) -> str | None:
    for c in table.columns:
        if c.name.upper() == "CHANGE_TYPE":
            return c.name
    return None


class _TableLoader:
    def __init__(
        self,
        conn,
        contract: Contract,
        tl: _TableLoad,
        batch_id: int,
        extract_date: date,
        version: str,
        superseded: list[int],
        limits: XlsxLimits | None = None,
    ):
        self.limits = limits
        self.conn = conn
        self.contract = contract
        self.tl = tl
        self.table = tl.table
        self.batch_id = batch_id
        self.extract_date = extract_date
        self.version = version
        self.superseded = superseded

    def run(self) -> FileResult:
        t0 = _time.monotonic()
        tl, table, contract = self.tl, self.table, self.contract
        schema = ddl.raw_schema(contract.system)
        scan = tl.scan
        clean = scan is not None and scan.utf8_ok
        reader = open_reader(
            tl.path, contract.format, table.sheet, self.limits, check_encoding=not clean
        )
        try:
            header = reader.header
            checker = RowChecker.for_layout(contract, table, header)
            by_name = {c.name: c for c in table.columns}
            cols = [by_name[h].db_name for h in header]
            copy_sql = sql.SQL(
                "COPY {} ({}, _batch_id, _extract_date, _source_file, _line_number) "
                "FROM STDIN WITH (FORMAT text, NULL '')"
            ).format(
                sql.Identifier(schema, table.name),
                sql.SQL(", ").join(sql.Identifier(c) for c in cols),
            )
            self.suffix = (
                f"\t{self.batch_id}\t{self.extract_date.isoformat()}\t{copy_escape(table.file)}\t"
            )
            self.ncols = len(header)
            self.check = checker.check
            key_idx = dedupe_columns(contract, table, header)
            self.single = key_idx[0] if len(key_idx) == 1 else None
            self.key_idx = key_idx
            self.keyget = itemgetter(*key_idx)  # a field, or a tuple of fields
            self.seen: dict = {}  # key -> first line (the duplicate check)
            self.check_batch = checker.check_batch
            ct_name = change_type_column(table) if contract.mode == "delta" else None
            self.ct = header.index(ct_name) if ct_name else None
            self.kpos = [header.index(k) for k in table.key]
            self.deletes: list[tuple[str, ...]] = []
            self.quarantine: list[tuple[int, int, Problem, list[str] | None]] = []
            # escaping for COPY is needed only if the file holds a backslash, tab, NUL or CR
            # (CSV: a CR/LF inside a field makes a record span lines, which the loop sees)
            self.escape_all = (
                scan is None or scan.has_special or (contract.format.kind != "csv" and scan.has_cr)
            )
            with self.conn.cursor() as cur, cur.copy(copy_sql) as cp:
                if isinstance(reader, CsvReader) and clean:
                    records = self._copy_csv_fast(reader, cp.write)
                else:
                    records = self._copy_records(reader, cp.write)
        finally:
            reader.close()
        quarantine = self.quarantine
        deletes = self.deletes
        loaded = records - len(quarantine)
        fr = FileResult(
            file_name=table.file,
            table=table.name,
            status="loaded",
            rows_manifest=tl.entry_rows,
            rows_loaded=loaded,
            rows_quarantined=len(quarantine),
        )
        if records != tl.entry_rows:
            fr.status = "rejected"
            fr.reason = (
                f"row count mismatch: the manifest says {tl.entry_rows} rows, the file holds "
                f"{records}" + (" (truncated?)" if records < tl.entry_rows else "")
            )
            return fr
        if quarantine:
            self._write_quarantine(reader, quarantine)
            fr.status = "quarantined"
            log.warning(
                "%s %s %s: %d rows quarantined (lines %s)",
                contract.system,
                self.extract_date,
                table.file if not table.sheet else f"{table.file}[{table.sheet}]",
                len(quarantine),
                ", ".join(str(q[0]) for q in quarantine[:20])
                + (", ..." if len(quarantine) > 20 else ""),
            )
        if deletes:
            fr.deletes_unknown = self._deletes_unknown(schema, deletes)
        fr.seconds = _time.monotonic() - t0
        self.conn.execute(
            "INSERT INTO ops.load_ledger (batch_id, system, extract_date, file_name, table_name, "
            "status, reason, schema_version, header, rows_manifest, rows_raw, rows_quarantined, "
            "deletes_unknown, sha256_manifest, sha256_actual, bytes, seconds) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                self.batch_id,
                contract.system,
                self.extract_date,
                table.file,
                table.name,
                fr.status,
                (
                    f"{fr.deletes_unknown} deletes for keys never inserted"
                    if fr.deletes_unknown
                    else None
                ),
                self.version,
                header,
                tl.entry_rows,
                loaded,
                len(quarantine),
                fr.deletes_unknown,
                tl.sha256,
                tl.actual_sha,
                tl.size,
                round(fr.seconds, 3),
            ),
        )
        return fr

    def _copy_csv_fast(self, reader: CsvReader, write) -> int:
        """The hot loop for a clean (valid UTF-8) CSV file: csv.reader straight into COPY.

        Records are read ``_FLUSH_ROWS`` at a time. A batch of one-line records that all have
        the right column count, pass :meth:`RowChecker.check_batch`, hold no new duplicate key
        and need no COPY escaping goes to COPY without per-row work in Python; any other batch
        goes through :meth:`_csv_rows`, row by row, exactly as the row checks say."""
        rd = reader.csv_reader
        ncols, check_batch, suffix = self.ncols, self.check_batch, self.suffix
        keyget = self.keyget
        escape_all = self.escape_all
        seen = self.seen
        seen_isdisjoint = seen.keys().isdisjoint
        join = "\t".join
        flat = "".join
        special = _SPECIAL_ANY
        wanted = {ncols}
        records = 0
        while True:
            start = rd.line_num
            batch: list[list[str]] = []
            error: csv.Error | None = None
            try:
                batch.extend(islice(rd, _FLUSH_ROWS))
            except csv.Error as exc:  # the rows read before it stay in ``batch``
                error = exc
            n = len(batch)
            if not n and error is None:
                return records
            end = rd.line_num
            if (
                error is None
                and end - start == n  # one line per record: lines start+1 .. end
                and set(map(len, batch)) == wanted
                and special(flat(batch[-1])) is None  # (an unterminated quote at EOF)
                and (not escape_all or special(flat(map(flat, batch))) is None)
                and check_batch(batch)
            ):
                keys = list(map(keyget, batch))
                if seen_isdisjoint(keys):
                    before = len(seen)
                    seen.update(zip(keys, range(start + 1, end + 1), strict=True))
                    if len(seen) == before + n:
                        write(
                            "".join(
                                [
                                    f"{join(r)}{suffix}{line}\n"
                                    for line, r in zip(
                                        range(start + 1, end + 1), batch, strict=True
                                    )
                                ]
                            )
                        )
                        records += n
                        continue
                    for k in keys:  # a key twice in this batch: undo, then row by row
                        seen.pop(k, None)
            records += self._csv_rows(batch, start, end, error, write)

    def _csv_rows(
        self, batch: list[list[str]], start: int, end: int, error: csv.Error | None, write
    ) -> int:
        """Records of a batch one by one (the rules of :meth:`_copy_records`); returns how many
        records the batch held (blank lines are not records; a csv.Error ends the batch with
        one unparseable record)."""
        ncols, check, suffix = self.ncols, self.check, self.suffix
        keyget = self.keyget
        escape_all = self.escape_all
        quarantine = self.quarantine
        setdefault = self.seen.setdefault
        join = "\t".join
        buf: list[str] = []
        records = 0
        spans = _record_spans(batch, start, end, error is None)
        for r, (first, last) in zip(batch, spans, strict=True):
            if not r:
                continue  # a blank line is not a record
            records += 1
            if len(r) != ncols:
                quarantine.append((first, last, problem_column_count(len(r), ncols), None))
                continue
            prob = check(r)
            if prob is None:
                f = setdefault(keyget(r), first)
                if f is not first:
                    prob = Problem(DUPLICATE, f"duplicate key (first at line {f})")
            if prob is not None:
                quarantine.append((first, last, prob, None))
                continue
            s = join(r)
            if escape_all or last != first or "\r" in s or "\n" in s:
                if "\x00" in s:
                    quarantine.append((first, last, PROBLEM_NUL, None))
                    continue
                s = join([x.translate(_COPY_ESCAPES) for x in r])
            buf.append(f"{s}{suffix}{first}\n")
        if error is not None:
            first = (spans[-1][1] if spans else start) + 1
            records += 1
            quarantine.append((first, max(end, first), problem_unparseable(str(error)), None))
        if buf:
            write("".join(buf))
        return records

    def _copy_records(self, reader, write) -> int:
        """The general loop (pipe, xlsx, CSV with encoding problems): reader.records()."""
        ncols, check, suffix = self.ncols, self.check, self.suffix
        single, key_idx = self.single, self.key_idx
        escape_all = self.escape_all
        ct, kpos, deletes = self.ct, self.kpos, self.deletes
        quarantine = self.quarantine
        keep_fields = isinstance(reader, XlsxReader)
        seen: dict = {}
        setdefault = seen.setdefault
        join = "\t".join
        buf: list[str] = []
        append = buf.append
        records = 0
        special = _SPECIAL
        for first, last, r, prob in reader.records():
            records += 1
            if prob is None:
                if len(r) != ncols:
                    prob = problem_column_count(len(r), ncols)
                else:
                    prob = check(r)
                    if prob is None:
                        f = setdefault(
                            r[single] if single is not None else tuple([r[i] for i in key_idx]),
                            first,
                        )
                        if f is not first:
                            prob = Problem(DUPLICATE, f"duplicate key (first at line {f})")
            if prob is not None:
                quarantine.append((first, last, prob, r if keep_fields else None))
                continue
            s = join(r)
            if escape_all and (s.count("\t") != ncols - 1 or special(s)):
                if "\x00" in s:
                    quarantine.append((first, last, PROBLEM_NUL, r if keep_fields else None))
                    continue
                s = join([x.translate(_COPY_ESCAPES) for x in r])
            if ct is not None and r[ct] == "D":
                deletes.append(tuple([r[i] for i in kpos]))
            append(f"{s}{suffix}{first}\n")
            if len(buf) >= _FLUSH_ROWS:
                write("".join(buf))
                buf.clear()
        if buf:
            write("".join(buf))
        return records

    def _write_quarantine(self, reader, quarantine) -> None:
        table = self.table
        if isinstance(reader, XlsxReader):
            raw = {q[0]: (XlsxReader.raw_text(q[3] or []), None) for q in quarantine}
        else:
            raw = reader.raw_lines([(q[0], q[1]) for q in quarantine])
        ledger_id = None  # filled after the ledger row exists: see _link_quarantine
        with (
            self.conn.cursor() as cur,
            cur.copy(
                "COPY ops.quarantine (batch_id, ledger_id, system, extract_date, source_file, "
                "table_name, line_number, line_end, reason_code, reason, column_name, raw_line, "
                "raw_bytes) FROM STDIN"
            ) as cp,
        ):
            for first, last, prob, _fields in quarantine:
                text, data = raw.get(first, ("", None))
                cp.write_row(
                    (
                        self.batch_id,
                        ledger_id,
                        self.contract.system,
                        self.extract_date,
                        table.file,
                        table.name,
                        first,
                        last,
                        prob.code,
                        prob.message,
                        prob.column,
                        text.replace("\x00", "\ufffd"),
                        data,
                    )
                )

    def _deletes_unknown(self, schema: str, deletes: list[tuple[str, ...]]) -> int:
        """How many D rows delete a key that no loaded I/U row ever had (a warning: loaded)."""
        table = self.table
        keys = table.key_db_names
        ct_col = table.column(change_type_column(table)).db_name
        arrays = [[d[i] for d in deletes] for i in range(len(keys))]
        aliases = [sql.Identifier(f"k{i}") for i in range(len(keys))]
        query = sql.SQL(
            "SELECT count(*) FROM (SELECT DISTINCT * FROM unnest({arrays}) AS k({aliases})) k "
            "WHERE NOT EXISTS (SELECT 1 FROM {tbl} x JOIN ops.load_batches b "
            "ON b.batch_id = x._batch_id AND b.status = 'loaded' "
            "WHERE {match} AND x.{ct} IN ('I', 'U') AND NOT (x._batch_id = ANY(%s)))"
        ).format(
            arrays=sql.SQL(", ").join(sql.SQL("%s::text[]") for _ in keys),
            aliases=sql.SQL(", ").join(aliases),
            tbl=sql.Identifier(schema, table.name),
            match=sql.SQL(" AND ").join(
                sql.SQL("x.{} = k.{}").format(sql.Identifier(c), a)
                for c, a in zip(keys, aliases, strict=True)
            ),
            ct=sql.Identifier(ct_col),
        )
        return self.conn.execute(query, (*arrays, self.superseded)).fetchone()[0]


def _record_spans(
    batch: list[list[str]], start: int, end: int, complete: bool
) -> list[tuple[int, int]]:
    """The physical lines (first, last) of the records csv.reader read from line ``start + 1``
    on, ending at line ``end`` (``complete``: no csv.Error cut the batch short).

    One line per record when the counts agree; otherwise a record spans one line more per line
    break inside its (quoted) fields - CRLF, CR or LF, as the file iterator splits lines. The
    last record of a complete batch ends where the reader stopped (as ``line_num`` says), which
    also covers a quote left open at the end of the file."""
    if complete and end - start == len(batch):
        return [(n, n) for n in range(start + 1, end + 1)]
    spans = []
    line = start
    for r in batch:
        breaks = 0
        for x in r:
            if "\n" in x or "\r" in x:
                breaks += x.count("\n") + x.count("\r") - x.count("\r\n")
        spans.append((line + 1, line + 1 + breaks))
        line += 1 + breaks
    if complete and spans:
        spans[-1] = (spans[-1][0], max(end, spans[-1][0]))
    return spans


def link_quarantine(conn, batch_id: int) -> None:
    """Point quarantine rows of a batch at their ledger rows."""
    conn.execute(
        "UPDATE ops.quarantine q SET ledger_id = l.ledger_id FROM ops.load_ledger l "
        "WHERE q.batch_id = %s AND l.batch_id = q.batch_id AND l.table_name = q.table_name "
        "AND q.ledger_id IS NULL",
        (batch_id,),
    )
