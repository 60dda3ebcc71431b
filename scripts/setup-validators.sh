#!/usr/bin/env bash
# Set up the DfE validators' own virtual environments (scripts/setup.sh calls this):
#
#   .venv-cin  csc-validator-be-cin  (CIN census)   from validators/cin-requirements.txt
#   .venv-903  csc-validator-be-903  (SSDA903)      from validators/903-requirements.txt
#
# Both packages pin pandas<2, so they cannot live in .venv (Airflow, pandas 3), and each installs
# a top-level rpc_main.py that the other overwrites: one venv each. The requirement files are
# fully pinned (transitive dependencies included; see their first lines for how they were made).
#
# Idempotent and fast: a venv whose stamp file holds the hash of its requirement file (and of the
# Python that built it) is left alone. `--force` rebuilds both. Only PyPI is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

export DO_NOT_TRACK=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

FORCE=""
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && \
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      PYTHON=$candidate; break
    fi
  done
fi
if [ -z "$PYTHON" ]; then
  echo "error: Python 3.11 is required for the validators (pandas 1.5.3 has no wheels for 3.12)" >&2
  echo "       set PYTHON=/path/to/python3.11" >&2
  exit 3
fi
py_version=$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')

# setup_one NAME SMOKE_IMPORT
setup_one() {
  local name=$1 smoke=$2
  local venv=".venv-$name" req="validators/$name-requirements.txt"
  local stamp="$venv/.requirements.sha256"
  local want
  want="$( (cat "$req"; echo "python $py_version") | sha256sum | cut -d' ' -f1)"

  if [ -z "$FORCE" ] && [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && \
     [ "$(cat "$stamp")" = "$want" ]; then
    echo "$venv: up to date ($req)"
    return 0
  fi

  if [ -n "$FORCE" ] || [ ! -x "$venv/bin/python" ] || \
     ! "$venv/bin/python" -c "import sys; sys.exit(sys.version.split()[0] != '$py_version')" 2>/dev/null; then
    say "Creating $venv with $PYTHON ($py_version)"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
  fi
  rm -f "$stamp"
  say "Installing $req into $venv"
  "$venv/bin/python" -m pip install -q -r "$req"
  "$venv/bin/python" -m pip check
  say "Smoke import in $venv"
  "$venv/bin/python" -c "$smoke"
  echo "$want" > "$stamp"
}

setup_one cin "import importlib, cin_validator
from cin_validator import cin_validator as v
reg = importlib.import_module('cin_validator.rules.cin2024_25').registry
assert hasattr(v, 'CinValidator') and len(reg) > 50, len(reg)
print('cin_validator ok:', len(reg), 'rules in cin2024_25')"

setup_one 903 "import logging
logging.disable(logging.INFO)
from lac_validator import lac_validator
from lac_validator.rules.ruleset_utils import get_year_ruleset
reg = get_year_ruleset('2025')
assert hasattr(lac_validator, 'LacValidator') and len(reg) > 100, len(reg)
print('lac_validator ok:', len(reg), 'rules in lac2024_25')"
