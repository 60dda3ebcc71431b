"""The GX file context in ``expectations/gx``: write it from the suites, run its checkpoints.

The context is in version control: ``great_expectations.yml`` (one Postgres data source,
``warehouse``, whose connection string is the placeholder ``${CSC_GX_PG_URL}``: the URL with
its password is put in the process environment at run time, never written to a file), the
suites (``expectations/``), one validation definition per suite (``validation_definitions/``)
and the checkpoints ``raw_gate`` and ``mart_gate`` (``checkpoints/``). Each asset is a query:
a raw asset is the newest batch of its raw table, a mart asset a table of the build schema,
and ``mart__schema`` the build schema's columns (for the checks across the whole schema).

``write_context`` (``csc-warehouse validate --regenerate-suites``) rewrites all of it from
``csc_warehouse.gates.suites``, keeping ids stable so a regeneration only changes what really
changed. ``run_layer`` runs a layer's checkpoint: its validation definitions for the tables
that exist (a missing table is the schema suite's business), with results kept under
``expectations/gx/uncommitted/validations`` (14 days) and Data Docs for the run written to
``<output>/data-docs/<run id>/<layer>/index.html``.

Validating another schema than ``mart_build`` (``--schema``) runs the same suites, generated
for that schema, in an ephemeral context.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csc_warehouse.config import Settings
from csc_warehouse.errors import EnvironmentNotReady, WarehouseError
from csc_warehouse.gates import Failure, GateResult

log = logging.getLogger(__name__)

DATASOURCE = "warehouse"
URL_VAR = "CSC_GX_PG_URL"
BATCH_DEFINITION = "all_rows"
CHECKPOINTS = {"raw": "raw_gate", "mart": "mart_gate"}
RESULTS_KEPT_DAYS = 14  # validation results in expectations/gx/uncommitted/validations
DATA_DOCS_KEPT_DAYS = 31  # a night's Data Docs in <output>/data-docs/<run id>/
EXAMPLES = 3


class NothingToValidate(WarehouseError):
    """The schema to validate does not exist or holds no table."""


def _gx():
    os.environ["GX_ANALYTICS_ENABLED"] = "false"  # never phone home, whatever the env says
    os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars in task logs
    # our checks name their tables (newest batch, cross-table) instead of GX's {batch}
    warnings.filterwarnings("ignore", message="unexpected_rows_query should contain")
    import great_expectations as gx

    return gx


@contextlib.contextmanager
def _quiet():
    """GX prints notes on stdout (e.g. about {batch}); keep CLI and task output clean."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def context_root(settings: Settings) -> Path:
    return settings.expectations_dir / "gx"


def _connect_env(settings: Settings) -> None:
    os.environ[URL_VAR] = settings.url(driver="postgresql+psycopg")


def get_context(settings: Settings):
    """The file context (reads ``expectations/gx``; connects only when a check runs)."""
    gx = _gx()
    _connect_env(settings)
    with _quiet():
        return gx.get_context(mode="file", project_root_dir=str(settings.expectations_dir))


def _silence_context(context) -> None:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)


# ---- writing the context ---------------------------------------------------------------------


def _result_format(layer: str) -> dict[str, Any]:
    from csc_warehouse.gates.suites import RAW_INDEX_COLUMNS

    fmt: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
    if layer == "raw":
        fmt["unexpected_index_column_names"] = list(RAW_INDEX_COLUMNS)
    return fmt


def _layer_plan(layer: str, schema: str | None = None) -> tuple[dict[str, str], dict[str, list]]:
    """(asset name -> query, suite name -> expectations) of a layer."""
    from csc_warehouse.gates import suites

    if layer == "raw":
        return suites.raw_assets(), suites.raw_suites()
    schema = schema or suites.BUILD_SCHEMA
    return suites.mart_assets(schema), suites.mart_suites(schema)


def _populate(context, layers=("raw", "mart"), schema: str | None = None, *, keep_ids=True):
    """Data source, assets, suites, validation definitions and checkpoints in ``context``."""
    gx = _gx()
    from csc_warehouse.gates.suites import stable_id

    try:
        datasource = context.data_sources.get(DATASOURCE)
    except (KeyError, LookupError, ValueError):
        datasource = context.data_sources.add_postgres(
            name=DATASOURCE, connection_string="${" + URL_VAR + "}"
        )
    wanted_assets: set[str] = set()
    for layer in layers:
        assets, layer_suites = _layer_plan(layer, schema)
        vds = []
        for name, query in assets.items():
            wanted_assets.add(name)
            asset = None
            with contextlib.suppress(LookupError):
                asset = datasource.get_asset(name)
            if asset is not None and (asset.query != query or not keep_ids):
                datasource.delete_asset(name)
                asset = None
            if asset is None:
                asset = datasource.add_query_asset(name=name, query=query)
            try:
                batch_definition = asset.get_batch_definition(BATCH_DEFINITION)
            except (KeyError, LookupError, ValueError):
                batch_definition = asset.add_batch_definition_whole_table(BATCH_DEFINITION)
            configurations = []
            for expectation in layer_suites[name]:
                cfg = expectation.configuration
                cfg.id = stable_id(name, expectation)  # stable across regenerations
                configurations.append(cfg)
            existing_id = None
            with contextlib.suppress(Exception):
                existing_id = context.suites.get(name).id  # keep the suite's id
            suite = gx.ExpectationSuite(name=name, expectations=configurations, id=existing_id)
            suite = context.suites.add_or_update(suite)
            if existing_id is None:  # a new suite: GX gave fresh ids; now it exists, set ours
                suite = gx.ExpectationSuite(
                    name=name,
                    expectations=[c for c in configurations],
                    id=suite.id,
                )
                suite = context.suites.add_or_update(suite)
            vd = gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
            with contextlib.suppress(Exception):
                vd.id = context.validation_definitions.get(name).id
            vds.append(context.validation_definitions.add_or_update(vd))
        checkpoint = gx.Checkpoint(
            name=CHECKPOINTS[layer],
            validation_definitions=vds,
            actions=[],
            result_format=_result_format(layer),
        )
        with contextlib.suppress(Exception):
            checkpoint.id = context.checkpoints.get(CHECKPOINTS[layer]).id
        context.checkpoints.add_or_update(checkpoint)
    return datasource, wanted_assets


def write_context(settings: Settings) -> dict[str, int]:
    """(Re)write the committed GX context from the suites; returns counts written."""
    with _quiet():
        context = get_context(settings)
        _silence_context(context)
        context.variables.config.analytics_enabled = False
        context.variables.save()
        datasource, wanted = _populate(context)
        # drop what the suites no longer define
        for asset in list(datasource.assets):
            if asset.name not in wanted:
                datasource.delete_asset(asset.name)
        for vd in list(context.validation_definitions.all()):
            if vd.name not in wanted:
                context.validation_definitions.delete(vd.name)
        for suite in list(context.suites.all()):
            if suite.name not in wanted:
                context.suites.delete(suite.name)
    check_no_secret_written(settings)
    counts = {"suites": len(wanted)}
    for layer in CHECKPOINTS:
        counts[layer] = sum(len(v) for v in _layer_plan(layer)[1].values())
    return counts


def check_no_secret_written(settings: Settings) -> None:
    """The committed context must never hold a password or a resolved connection URL."""
    password = settings.pg_password
    root = context_root(settings)
    for path in root.rglob("*"):
        if not path.is_file() or "uncommitted" in path.relative_to(root).parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if (password and password in text) or "postgresql+psycopg://" in text:
            raise WarehouseError(f"{path} holds a connection secret: it must not be committed")


# ---- running ---------------------------------------------------------------------------------


def _relations(settings: Settings) -> set[str]:
    """Every table and view of the database as ``schema.name``."""
    import psycopg

    with psycopg.connect(settings.conninfo()) as conn:
        return {
            f"{r[0]}.{r[1]}"
            for r in conn.execute(
                "select n.nspname, c.relname from pg_class as c "
                "join pg_namespace as n on n.oid = c.relnamespace "
                "where c.relkind in ('r', 'v', 'm', 'p', 'f') "
                "and n.nspname not in ('pg_catalog', 'information_schema')"
            )
        }


def _validated_relation(layer: str, vd_name: str, schema: str | None) -> str | None:
    from csc_warehouse.gates import suites

    if layer == "raw":
        return suites.raw_relation(*suites.raw_table_of(vd_name))
    table = suites.suite_table(vd_name)
    return f"{schema}.{table}" if table else None


def _ephemeral_mart(settings: Settings, schema: str):
    """The mart suites generated for another schema, in a throwaway context."""
    gx = _gx()
    _connect_env(settings)
    context = gx.get_context(mode="ephemeral")
    _silence_context(context)
    _populate(context, layers=("mart",), schema=schema, keep_ids=False)
    return context


# A raw suite that passed is not run again while nothing it reads has changed: its fingerprint
# is the suite file, its system's load ledger (every load, replay or rejection changes it) and
# its table's newest batch id and row count (raw is append-only and written by the loader
# only; an edit in place of a raw row is not seen: `validate --recheck` runs everything).
# The trust's last snapshot is the newest batch of every trust table for ever after 2022:
# without this it would be validated again every night (~13 s at scale 1, ~10x at scale 10).
PASSES_DDL = """
create schema if not exists ops;
create table if not exists ops.gate_passes (
    suite_name text not null,
    fingerprint text not null,
    run_name text not null,
    passed_at timestamptz not null default now(),
    primary key (suite_name, fingerprint)
);
comment on table ops.gate_passes is
    'Raw gate suites that passed, by fingerprint (suite file + the system''s load ledger): '
    'a suite is not run again until its fingerprint changes (csc_warehouse.gates.runner).';
"""
PASSES_KEPT_DAYS = 90


def _ledger_states(settings: Settings, names: list[str]) -> dict[str, str]:
    """suite -> what it reads, summed up: its system's load ledger (any load, replay or
    rejection changes it) and its table's newest batch and row count (rows added to or deleted
    from raw by other means than the loader change it too)."""
    import psycopg
    from psycopg import sql

    from csc_warehouse.gates import suites

    with psycopg.connect(settings.conninfo()) as conn:
        if conn.execute("select to_regclass('ops.load_ledger')").fetchone()[0] is None:
            return {}
        ledger = {
            r[0]: "|".join(str(v) for v in r[1:])
            for r in conn.execute(
                "select system, count(*), max(ledger_id), max(batch_id), sum(rows_raw), "
                "sum(rows_quarantined), sum(rows_replayed), "
                "max(greatest(recorded_at, coalesce(updated_at, recorded_at))) "
                "from ops.load_ledger group by system"
            )
        }
        tables = [(n, *suites.raw_table_of(n)) for n in names]
        tables = [t for t in tables if t[1] in ledger]
        if not tables:
            return {}
        newest = sql.SQL(" union all ").join(
            sql.SQL(
                "select {name}, b, (select count(*) from {rel} where _batch_id = b) "
                "from (select max(_batch_id) as b from {rel}) as x"
            ).format(name=sql.Literal(name), rel=sql.Identifier(f"raw_{system}", table))
            for name, system, table in tables
        )
        batches = {r[0]: f"{r[1]}|{r[2]}" for r in conn.execute(newest)}
    return {name: f"{ledger[system]}|{batches[name]}" for name, system, _ in tables}


def _raw_fingerprints(settings: Settings, names: list[str]) -> dict[str, str]:
    """suite name -> fingerprint (sha256 of the suite file and the state of what it reads)."""
    import hashlib

    states = _ledger_states(settings, names)
    out = {}
    for name, state in states.items():
        suite_file = context_root(settings) / "expectations" / f"{name}.json"
        digest = hashlib.sha256(suite_file.read_bytes() if suite_file.exists() else b"")
        digest.update(state.encode())
        out[name] = digest.hexdigest()
    return out


def _passed_before(settings: Settings, fingerprints: dict[str, str]) -> set[str]:
    import psycopg

    if not fingerprints:
        return set()
    with psycopg.connect(settings.conninfo(), autocommit=True) as conn:
        conn.execute(PASSES_DDL)
        rows = conn.execute(
            "select suite_name from ops.gate_passes "
            "where (suite_name, fingerprint) in (select * from unnest(%s::text[], %s::text[]))",
            (list(fingerprints), list(fingerprints.values())),
        ).fetchall()
    return {r[0] for r in rows}


def _record_passes(settings: Settings, passes: dict[str, str], run_name: str) -> None:
    import psycopg

    if not passes:
        return
    with psycopg.connect(settings.conninfo()) as conn:
        conn.execute(PASSES_DDL)
        conn.cursor().executemany(
            "insert into ops.gate_passes (suite_name, fingerprint, run_name) values (%s, %s, %s) "
            "on conflict (suite_name, fingerprint) do update "
            "set run_name = excluded.run_name, passed_at = now()",
            [(name, fp, run_name) for name, fp in passes.items()],
        )
        conn.execute(
            "delete from ops.gate_passes where passed_at < now() - make_interval(days => %s)",
            (PASSES_KEPT_DAYS,),
        )


def run_layer(
    layer: str, settings: Settings, run_id: str, schema: str | None, *, recheck: bool = False
) -> GateResult:
    """Run the layer's checkpoint. Raw suites that passed on unchanged data are not run again
    (``GateResult.unchanged``) unless ``recheck``."""
    from csc_warehouse.gates import suites

    if layer not in CHECKPOINTS:
        raise ValueError(f"layer must be raw or mart, not {layer!r}")
    started = time.perf_counter()
    if layer == "mart":
        schema = schema or suites.BUILD_SCHEMA
    elif schema:
        raise ValueError("--schema applies to the mart layer only")
    relations = _relations(settings)
    if layer == "mart" and not any(r.startswith(f"{schema}.") for r in relations):
        raise NothingToValidate(f"schema {schema} does not exist or holds no table")
    _gx()
    from great_expectations.core.run_identifier import RunIdentifier

    with _quiet():
        if layer == "mart" and schema != suites.BUILD_SCHEMA:
            context = _ephemeral_mart(settings, schema)
        else:
            context = get_context(settings)
        try:
            stored = context.checkpoints.get(CHECKPOINTS[layer])
        except Exception as exc:  # noqa: BLE001 - any GX lookup error
            raise EnvironmentNotReady(
                f"checkpoint {CHECKPOINTS[layer]} is missing from {context_root(settings)}; "
                "run `csc-warehouse validate --regenerate-suites`"
            ) from exc
        present, skipped = [], []
        for vd in stored.validation_definitions:
            relation = _validated_relation(layer, vd.name, schema)
            if relation is None or relation in relations:
                present.append(vd)
            else:
                skipped.append(f"{vd.name}: {relation} does not exist")
        fingerprints = (
            _raw_fingerprints(settings, [vd.name for vd in present])
            if layer == "raw" and present
            else {}
        )
        unchanged = [] if recheck else sorted(_passed_before(settings, fingerprints))
        present = [vd for vd in present if vd.name not in unchanged]
        stamp = datetime.now(UTC)
        run_name = f"{layer}__{_safe(run_id)}__{stamp.strftime('%Y%m%dT%H%M%S%f')}"
        gx_run_id = RunIdentifier(run_name=run_name, run_time=stamp)
        # The checkpoint's validation definitions, run one by one under one run id: the same
        # as checkpoint.run() (it has no actions) for the tables that exist. (A Checkpoint
        # object for a subset would be saved into the committed folder by GX.)
        outcomes = [
            vd.run(
                checkpoint_id=stored.id,
                result_format=stored.result_format,
                run_id=gx_run_id,
            )
            for vd in present
        ]
    blocking: list[Failure] = []
    warned: list[Failure] = []
    total = 0
    per_suite: dict[str, dict[str, int]] = {}
    for suite_result in outcomes:
        suite_name = suite_result.suite_name
        tally = per_suite.setdefault(
            suite_name, {"expectations": 0, "blocking": 0, "warning": 0, "skipped": 0}
        )
        for r in suite_result.results:
            total += 1
            tally["expectations"] += 1
            if r.success:
                continue
            cfg = r.expectation_config
            meta = cfg.meta or {}
            absent = [rel for rel in meta.get("requires", []) if rel not in relations]
            if absent:
                skipped.append(f"{suite_name}: {cfg.description or cfg.type} ({absent[0]} absent)")
                tally["skipped"] += 1
                continue
            failure = _failure(layer, suite_name, r, lambda q: _sample_rows(settings, q))
            (blocking if failure.severity == "blocking" else warned).append(failure)
            tally[failure.severity] += 1
    _record_passes(
        settings,
        {
            name: fingerprints[name]
            for name, tally in per_suite.items()
            if name in fingerprints and not tally["blocking"]
        },
        run_name,
    )
    docs = _data_docs(context, settings, run_id, layer, run_name, schema)
    _prune_results(context_root(settings))
    _prune_docs(settings.output / "data-docs")
    result = GateResult(
        layer=layer,
        schema=schema,
        passed=not blocking,
        blocking_failures=blocking,
        warnings=warned,
        expectations=total,
        seconds=time.perf_counter() - started,
        data_docs_path=docs,
        skipped=skipped,
        run_name=run_name,
        suites=per_suite,
        unchanged=unchanged,
    )
    log.info(
        "%s gates: %d expectations, %d blocking failure(s), %d warning(s), %d skipped, "
        "%d suite(s) unchanged since they passed, in %.1fs",
        layer,
        total,
        len(blocking),
        len(warned),
        len(skipped),
        len(unchanged),
        result.seconds,
    )
    return result


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:120]


def _exception_message(r) -> str | None:
    info = getattr(r, "exception_info", None) or {}
    if isinstance(info, dict):
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "")
        for value in info.values():  # keyed by metric
            if isinstance(value, dict) and value.get("raised_exception"):
                return str(value.get("exception_message") or "")
    return None


def _pii_column(layer: str, suite_name: str, column: str | None) -> bool:
    if layer != "raw" or not column:
        return False
    from csc_warehouse.contracts import load_contract
    from csc_warehouse.gates.suites import raw_table_of

    system, table = raw_table_of(suite_name)
    try:
        return load_contract(system).tables[table].column(column).pii
    except KeyError:
        return False


def _fmt_row(row: dict, hide: set[str]) -> str:
    parts = []
    for key, value in row.items():
        if key in hide:
            continue
        if key == "_batch_id":
            parts.append(f"batch {value}")
        elif key == "_line_number":
            parts.append(f"line {value}")
        else:
            parts.append(f"{key}={value}")
    return "(" + ", ".join(parts[:5]) + ")"


def _sample_rows(settings: Settings, query: str) -> list[dict]:
    """A few rows of a failed SQL check (its query returns keys and line numbers only).

    GX lists the rows only in COMPLETE results, which would also carry every unexpected value
    of the column checks; the runs use SUMMARY and fetch examples here, on failure only.
    """
    import psycopg
    from psycopg.rows import dict_row

    try:
        with psycopg.connect(settings.conninfo(), row_factory=dict_row) as conn:
            conn.execute("set transaction read only")
            return conn.execute(
                f"select * from ({query}) as x limit {EXAMPLES}"  # noqa: S608 - our own SQL
            ).fetchall()
    except psycopg.Error as exc:
        log.warning("could not fetch examples: %s", exc)
        return []


def _failure(layer: str, suite_name: str, r, sample=lambda _q: []) -> Failure:
    cfg = r.expectation_config
    meta = cfg.meta or {}
    severity = str(meta.get("severity") or getattr(cfg, "severity", "") or "blocking").lower()
    severity = "blocking" if severity in ("blocking", "critical") else "warning"
    column = cfg.kwargs.get("column")
    columns = cfg.kwargs.get("column_list") or ([column] if column else [])
    what = cfg.description or ", ".join(columns) or cfg.type
    res = r.result or {}
    examples: list[str] = []
    error = _exception_message(r)
    count = res.get("unexpected_count")
    if error:
        examples.append(f"the check could not run: {error.strip().splitlines()[0][:300]}")
    elif count is not None:
        examples.append(f"{count} unexpected row(s)")
        hide = {c for c in columns if _pii_column(layer, suite_name, c)}
        index_rows = res.get("partial_unexpected_index_list") or []
        if index_rows and isinstance(index_rows[0], dict):
            examples += [_fmt_row(row, hide) for row in index_rows[:EXAMPLES]]
        elif not hide:
            examples += [str(v)[:80] for v in (res.get("partial_unexpected_list") or [])[:EXAMPLES]]
    else:
        observed = res.get("observed_value")
        rows = (res.get("details") or {}).get("unexpected_rows") or []
        if observed is not None:
            examples.append(f"{observed} unexpected row(s)")
        if not rows and cfg.kwargs.get("unexpected_rows_query"):
            rows = sample(cfg.kwargs["unexpected_rows_query"])
        examples += [_fmt_row(dict(row), set()) for row in rows[:EXAMPLES] if hasattr(row, "keys")]
    return Failure(
        suite=suite_name,
        expectation=cfg.type,
        description=what,
        severity=severity,
        examples=examples,
    )


def _data_docs(
    context, settings: Settings, run_id: str, layer: str, run_name: str, schema: str | None
) -> Path | None:
    """This run's validation results as a Data Docs site under <output>/data-docs/<run>/<layer>.

    Built with GX's SiteBuilder from the context's stores, filtered to this run; a report,
    never a reason to fail the gate.
    """
    from csc_warehouse.gates.suites import BUILD_SCHEMA

    folder = layer if schema in (None, BUILD_SCHEMA) else f"{layer}-{_safe(schema)}"
    dest = settings.output / "data-docs" / _safe(run_id) / folder
    try:
        from great_expectations.render.renderer.site_builder import SiteBuilder

        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True, exist_ok=True)
        with _quiet():
            builder = SiteBuilder(
                data_context=context,
                store_backend={
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(dest),
                },
                site_name=f"{layer} gates, run {run_id}",
                show_how_to_buttons=False,
                site_index_builder={"class_name": "DefaultSiteIndexBuilder"},
                site_section_builders={
                    "expectations": "0",
                    "profiling": "0",
                    "validations": {"run_name_filter": {"equals": run_name}},
                },
            )
            builder.build()
    except Exception as exc:  # noqa: BLE001 - docs are a report, never a reason to fail
        log.warning("could not build Data Docs: %s", exc)
        return None
    index = dest / "index.html"
    return index if index.exists() else None


def _prune_results(root: Path) -> None:
    """Validation results older than RESULTS_KEPT_DAYS leave uncommitted/validations."""
    store = root / "uncommitted" / "validations"
    if not store.exists():
        return
    cutoff = time.time() - RESULTS_KEPT_DAYS * 86400
    for path in store.rglob("*.json"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
    for path in sorted(store.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir():
            with contextlib.suppress(OSError):
                path.rmdir()  # only empty folders go


def _prune_docs(folder: Path) -> None:
    """A night's Data Docs (about 5 MB a layer) are kept DATA_DOCS_KEPT_DAYS days."""
    if not folder.exists():
        return
    cutoff = time.time() - DATA_DOCS_KEPT_DAYS * 86400
    for run in folder.iterdir():
        with contextlib.suppress(OSError):
            if run.is_dir() and run.stat().st_mtime < cutoff:
                shutil.rmtree(run, ignore_errors=True)
