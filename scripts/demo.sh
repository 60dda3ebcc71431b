#!/usr/bin/env bash
# `make demo`: start the warehouse's Postgres, build the dbt project, prepare Airflow and run
# the nightly DAG end to end with `airflow dags test`.
set -euo pipefail
cd "$(dirname "$0")/.."
CSC=.venv/bin/csc-warehouse
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
started=$(date +%s)

say "Starting the project's PostgreSQL"
$CSC db start
say "Checking dbt's connection"
$CSC dbt debug --quiet >/dev/null && echo "dbt debug: all checks passed"
$CSC dbt parse --quiet
say "Preparing Airflow's metadata database"
$CSC airflow db migrate >/dev/null
say "Running the nightly DAG (airflow dags test csc_nightly)"
run_date=${DEMO_DATE:-2025-06-03}
log=.local/demo-dag-test.log
if $CSC airflow dags test csc_nightly "$run_date" >"$log" 2>&1; then
  echo "csc_nightly $run_date: success (log: $log)"
else
  echo "csc_nightly $run_date: FAILED - see $log" >&2
  tail -30 "$log" >&2
  exit 1
fi
say "Done in $(( $(date +%s) - started )) s"
echo "Warehouse: $($CSC db url)"
