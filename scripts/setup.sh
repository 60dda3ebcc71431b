#!/usr/bin/env bash
# Set up a fresh checkout: the virtual environment with pinned versions, the system packages
# the project needs, dbt's manifest and Airflow's metadata. Idempotent; `make setup` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

export DO_NOT_TRACK=1 AIRFLOW__COSMOS__ENABLE_TELEMETRY=False GX_ANALYTICS_ENABLED=false \
       DBT_SEND_ANONYMOUS_USAGE_STATS=false SCARF_ANALYTICS=false \
       AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && \
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON=$candidate; break
    fi
  done
fi
if [ -z "$PYTHON" ]; then
  echo "error: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
  exit 3
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_updated=""
apt_install() {
  command -v apt-get >/dev/null || { echo "warning: apt-get not found; install $* by hand" >&2; return 0; }
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- system packages -------------------------------------------------------------------------
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  missing+=(docker-compose)
fi
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  apt_install "${missing[@]}" || echo "warning: could not install ${missing[*]}" >&2
fi

# --- the virtual environment ------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
say "Installing the project and its pinned dependencies (constraints.txt)"
.venv/bin/python -m pip install -q --upgrade "pip>=24"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
.venv/bin/python -m pip check

if [ -x scripts/setup-validators.sh ]; then
  scripts/setup-validators.sh
fi

say "Setup done"
