"""Build (once) and run the GX file context in ``expectations/gx``.

The context is in version control: ``great_expectations.yml`` (one Postgres data source whose
connection string is the placeholder ``${CSC_GX_PG_URL}``, set at run time, never written),
the suites (``expectations/``), the validation definitions and the two checkpoints ``raw``
and ``mart``. ``csc-warehouse validate --regenerate-suites`` rewrites them from
``csc_warehouse.gates.suites``; an ordinary run only reads them.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from csc_warehouse.config import Settings
from csc_warehouse.errors import WarehouseError
from csc_warehouse.gates import CRITICAL_NAMES, Failure, GateResult
from csc_warehouse.gates import suites as suite_defs

log = logging.getLogger(__name__)

DATASOURCE = "warehouse"
URL_VAR = "CSC_GX_PG_URL"
CHECKPOINTS = {"raw": "raw_gate", "mart": "mart_gate"}


def _gx():
    import warnings

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars in task logs
    # our cross-table checks name their tables on purpose instead of GX's {batch}
    warnings.filterwarnings("ignore", message="unexpected_rows_query should contain")
    import great_expectations as gx

    return gx


def _connect_env(settings: Settings) -> None:
    os.environ[URL_VAR] = settings.url(driver="postgresql+psycopg")


def get_context(settings: Settings):
    gx = _gx()
    _connect_env(settings)
    return gx.get_context(mode="file", project_root_dir=str(settings.expectations_dir))


def _layer_specs(layer: str) -> dict[str, tuple[str, list]]:
    """asset name -> (query, expectations) for a layer."""
    specs: dict[str, tuple[str, list]] = {}
    if layer == "raw":
        for name, exps in suite_defs.raw_suites().items():
            _, system, table = name.split("__")
            specs[name] = (suite_defs.raw_asset_query(system, table), exps)
    else:
        for table, exps in suite_defs.mart_suites().items():
            specs[f"mart__{table}"] = (
                f"select * from {suite_defs.MART_SCHEMA_TOKEN}.{table}",
                exps,
            )
    return specs


def build_context(settings: Settings, layers=("raw", "mart")) -> Any:
    """Write (or rewrite) data source, assets, suites, validation definitions, checkpoints."""
    with contextlib.redirect_stdout(io.StringIO()):  # GX prints notes on stdout
        return _build_context(settings, layers)


def _build_context(settings: Settings, layers) -> Any:
    gx = _gx()
    context = get_context(settings)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.variables.save()
    ds = context.data_sources.add_or_update_postgres(
        name=DATASOURCE, connection_string="${" + URL_VAR + "}"
    )
    for layer in layers:
        vds = []
        for asset_name, (query, expectations) in _layer_specs(layer).items():
            try:
                ds.delete_asset(asset_name)
            except (LookupError, ValueError, Exception):  # noqa: BLE001 - absent is fine
                pass
            asset = ds.add_query_asset(name=asset_name, query=query)
            batch_def = asset.add_batch_definition_whole_table("all_rows")
            suite = gx.ExpectationSuite(name=asset_name)
            for exp in expectations:
                suite.add_expectation(exp)
            suite = context.suites.add_or_update(suite)
            vd = gx.ValidationDefinition(name=asset_name, data=batch_def, suite=suite)
            vds.append(context.validation_definitions.add_or_update(vd))
        checkpoint = gx.Checkpoint(
            name=CHECKPOINTS[layer],
            validation_definitions=vds,
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
        )
        context.checkpoints.add_or_update(checkpoint)
    return context


def _has_layer(context, layer: str) -> bool:
    try:
        context.checkpoints.get(CHECKPOINTS[layer])
        return True
    except Exception:  # noqa: BLE001 - missing checkpoint
        return False


def _existing_tables(settings: Settings, schema: str) -> set[str]:
    import psycopg

    with psycopg.connect(settings.conninfo()) as conn:
        return {
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = %s",
                (schema,),
            )
        }


def _examples(result: dict) -> list[str]:
    res = result.get("result") or {}
    details = res.get("details") or {}
    rows = details.get("unexpected_rows") or []
    out = []
    for row in rows[:3]:
        if isinstance(row, dict):
            out.append("(" + ", ".join(f"{k}={v}" for k, v in list(row.items())[:4]) + ")")
        else:
            out.append(str(row)[:80])
    if not out:
        for value in (res.get("partial_unexpected_list") or [])[:3]:
            out.append(str(value)[:60])
    if res.get("unexpected_count") is not None:
        out.insert(0, f"{res['unexpected_count']} unexpected")
    elif res.get("observed_value") not in (None, 0, "0"):
        out.insert(0, f"{res['observed_value']} unexpected rows")
    return out


def run_layer(layer: str, settings: Settings, run_id: str, schema: str | None) -> GateResult:
    with contextlib.redirect_stdout(io.StringIO()):  # GX prints notes on stdout
        return _run_layer(layer, settings, run_id, schema)


def _run_layer(layer: str, settings: Settings, run_id: str, schema: str | None) -> GateResult:
    if layer not in CHECKPOINTS:
        raise ValueError(f"layer must be raw or mart, not {layer!r}")
    started = time.perf_counter()
    schema = schema or (suite_defs.MART_SCHEMA_TOKEN if layer == "mart" else None)
    context = get_context(settings)
    if not _has_layer(context, layer):
        context = build_context(settings)
    if layer == "mart":
        present = _existing_tables(settings, schema)
        if not present:
            raise GateFailedEnv(f"schema {schema} has no tables: nothing to validate")
    gx = _gx()
    checkpoint = context.checkpoints.get(CHECKPOINTS[layer])
    vds = list(checkpoint.validation_definitions)
    if layer == "mart":
        # validate only the tables that exist in the schema; another schema than the build's
        # is validated with the same suites, its SQL pointed at that schema
        vds = [vd for vd in vds if vd.name.removeprefix("mart__") in present]
        if schema != suite_defs.MART_SCHEMA_TOKEN:
            context = gx.get_context(mode="ephemeral")
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context.variables.progress_bars = ProgressBarsConfig(
                globally=False, metric_calculations=False
            )
            ds = context.data_sources.add_postgres(
                name=DATASOURCE, connection_string="${" + URL_VAR + "}"
            )
            moved = []
            for vd in vds:
                table = vd.name.removeprefix("mart__")
                asset = ds.add_query_asset(name=vd.name, query=f"select * from {schema}.{table}")
                bd = asset.add_batch_definition_whole_table("all_rows")
                suite = gx.ExpectationSuite(name=vd.name)
                for exp in vd.suite.expectations:
                    cfg = exp.configuration.to_json_dict()
                    kwargs = dict(cfg["kwargs"])
                    if "unexpected_rows_query" in kwargs:
                        kwargs["unexpected_rows_query"] = (
                            kwargs["unexpected_rows_query"]
                            .replace(f"'{suite_defs.MART_SCHEMA_TOKEN}'", f"'{schema}'")
                            .replace(f"{suite_defs.MART_SCHEMA_TOKEN}.", f"{schema}.")
                        )
                    cls = type(exp)
                    new = cls(**kwargs, meta=exp.meta, description=exp.description)
                    new.severity = exp.severity
                    suite.add_expectation(new)
                suite = context.suites.add(suite)
                moved.append(
                    context.validation_definitions.add(
                        gx.ValidationDefinition(name=vd.name, data=bd, suite=suite)
                    )
                )
            vds = moved
    blocking: list[Failure] = []
    warnings: list[Failure] = []
    total = 0
    for vd in vds:
        with contextlib.redirect_stdout(io.StringIO()):  # GX prints notes on stdout
            result = vd.run(
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5}
            )
        for r in result.results:
            total += 1
            if r.success:
                continue
            error = _exception_message(r)
            if error and 'relation "bi.' in error and "does not exist" in error:
                # compares with the published mart, and nothing is published yet
                continue
            cfg = r.expectation_config
            meta = cfg.meta or {}
            severity = str(getattr(cfg, "severity", "") or meta.get("severity", "critical"))
            severity = severity.split(".")[-1].lower()
            failure = Failure(
                suite=vd.name,
                expectation=cfg.type,
                description=cfg.description
                or ", ".join(
                    f"{k}={v}" for k, v in cfg.kwargs.items() if k in ("column", "column_list")
                ),
                severity="blocking" if severity in CRITICAL_NAMES else "warning",
                examples=_examples(r.to_json_dict())
                if not _is_pii(vd.name, cfg)
                else [
                    f"{(r.result or {}).get('unexpected_count')} unexpected (values not shown: "
                    "personal data)"
                ],
            )
            if error:
                failure.examples = [f"the check could not run: {error.splitlines()[0][:300]}"]
            (blocking if failure.severity == "blocking" else warnings).append(failure)
    docs = _data_docs(context, settings, run_id, layer)
    result = GateResult(
        layer, schema, not blocking, blocking, warnings, total, time.perf_counter() - started, docs
    )
    log.info(
        "%s gates: %d expectations, %d blocking failure(s), %d warning(s) in %.1fs",
        layer,
        total,
        len(blocking),
        len(warnings),
        result.seconds,
    )
    return result


def _exception_message(r) -> str | None:
    info = getattr(r, "exception_info", None) or {}
    if isinstance(info, dict):
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "")
        for value in info.values():
            if isinstance(value, dict) and value.get("raised_exception"):
                return str(value.get("exception_message") or "")
    return None


def _is_pii(asset_name: str, cfg) -> bool:
    """Raw columns marked pii in the contract: examples are never shown."""
    if not asset_name.startswith("raw__"):
        return False
    column = cfg.kwargs.get("column")
    if not column:
        return False
    from csc_warehouse.contracts import load_contract

    _, system, table = asset_name.split("__")
    try:
        return load_contract(system).tables[table].column(column).pii
    except KeyError:
        return False


def _data_docs(context, settings: Settings, run_id: str, layer: str) -> Path | None:
    """An HTML validation report for the night under <output>/data-docs/<run_id>/<layer>."""
    try:
        context.build_data_docs()
        sites = context.get_docs_sites_urls()
    except Exception as exc:  # noqa: BLE001 - docs are a report, never a reason to fail
        log.warning("could not build Data Docs: %s", exc)
        return None
    for site in sites:
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            src = Path(url.removeprefix("file://")).parent
            safe_run = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id)
            dest = settings.output / "data-docs" / safe_run / layer
            shutil.rmtree(dest, ignore_errors=True)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(src, dest)
            return dest / "index.html"
    return None


class GateFailedEnv(WarehouseError):
    """Nothing to validate (e.g. the build schema does not exist)."""
