#!/usr/bin/env bash
# `make demo`: the whole job on generated data, as it runs in production.
#   1. start the project's PostgreSQL (and its roles);
#   2. generate a realistic history of extracts for the three systems (scale DEMO_SCALE);
#   3. backfill: load every archived folder (council deltas in order);
#   4. generate "tonight" and run the nightly DAG end to end with `airflow dags test`
#      (wait for manifests, load, raw gates, dbt build via cosmos, mart gates, publish,
#      scorecard report);
#   5. say where the scorecard report, the Data Docs and the warehouse are.
set -euo pipefail
cd "$(dirname "$0")/.."
CSC=.venv/bin/csc-warehouse
DEMO_SCALE=${DEMO_SCALE:-0.05}
DEMO_SEED=${DEMO_SEED:-2026}
DEMO_NIGHT=${DEMO_NIGHT:-2025-09-30}
export CSC_LANDING=${CSC_LANDING:-$PWD/landing}
export CSC_OUTPUT=${CSC_OUTPUT:-$PWD/output}
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
started=$(date +%s)
before=$(date -d "$DEMO_NIGHT - 1 day" +%F)

say "1/5 Starting the project's PostgreSQL"
$CSC db start
$CSC db roles

say "2/5 Generating a history of extracts 2015-04-01 .. $before (scale $DEMO_SCALE, seed $DEMO_SEED)"
$CSC generate --out "$CSC_LANDING" --seed "$DEMO_SEED" --scale "$DEMO_SCALE" \
  --start 2015-04-01 --end "$before"

say "3/5 Backfill: loading every archived folder"
$CSC load --landing "$CSC_LANDING" --all-pending

say "4/5 Tonight ($DEMO_NIGHT): generating its extracts and running the nightly DAG"
$CSC generate --out "$CSC_LANDING" --seed "$DEMO_SEED" --scale "$DEMO_SCALE" \
  --start "$DEMO_NIGHT" --end "$DEMO_NIGHT"
$CSC dbt parse --quiet
$CSC airflow db migrate >/dev/null
log=.local/demo-dag-test.log
if $CSC airflow dags test csc_nightly "$(date -d "$DEMO_NIGHT + 1 day" +%F)T01:30:00+00:00" \
     >"$log" 2>&1; then
  echo "csc_nightly for $DEMO_NIGHT: success (Airflow log: $log)"
else
  echo "csc_nightly for $DEMO_NIGHT: FAILED - the last lines of $log:" >&2
  grep -E "ERROR|error|Failed|FAILED" "$log" | tail -15 >&2 || tail -30 "$log" >&2
  exit 1
fi

say "5/5 Done in $(( $(date +%s) - started )) s"
report=$(ls -t "$CSC_OUTPUT"/scorecard/*.html 2>/dev/null | head -1 || true)
docs=$(ls -td "$CSC_OUTPUT"/data-docs/* 2>/dev/null | head -1 || true)
echo "Scorecard report: ${report:-(not written)}"
echo "Data Docs:        ${docs:-(not written)}"
echo "Warehouse:        $($CSC db url)   (BI schema: bi; psql: eval \"\$($CSC db env)\" && psql)"
echo "Airflow UI:       $CSC airflow standalone   (then http://localhost:8080)"
