"""``csc-warehouse db start|stop|status|url|env``: the project's own PostgreSQL cluster."""

from __future__ import annotations

import argparse
import shlex

from rich_argparse import RawDescriptionRichHelpFormatter

HELP = """\
Manage the PostgreSQL cluster the project owns (under .local/pg, on a free port of 127.0.0.1),
with the warehouse database and Airflow's metadata database.

  start   create (first time) and start the cluster; create missing databases. Idempotent.
  stop    stop it. Idempotent.
  status  say whether it runs; exit 0 when it accepts connections, 3 when it does not.
  url     print the warehouse connection URL (password hidden unless --with-password).
  env     print shell exports (PGHOST, PGPORT, ...) for psql: eval "$(csc-warehouse db env)".
  roles   create the database roles (loader, transformer, BI reader, case reader) and apply
          the grants: PUBLIC has nothing, BI reads only `bi`. Idempotent; `start` runs it.

With CSC_PG_HOST set, the commands use that external server and start nothing.
"""


def register(sub) -> None:
    p = sub.add_parser(
        "db",
        help="start/stop/status of the project's PostgreSQL",
        description=HELP,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("action", choices=["start", "stop", "status", "url", "env", "roles"])
    p.add_argument(
        "--with-password",
        action="store_true",
        help="url: include the password (for scripts; keep it off screens)",
    )
    p.add_argument("--database", help="url/env: another database (e.g. airflow)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from csc_warehouse.config import get_settings
    from csc_warehouse.localdb import LocalCluster

    settings = get_settings()
    cluster = LocalCluster(settings)
    if args.action == "url":
        print(settings.url(args.database, with_password=args.with_password))
        return 0
    if args.action == "env":
        values = {
            "PGHOST": settings.pg_host,
            "PGPORT": str(settings.pg_port),
            "PGUSER": settings.pg_user,
            "PGDATABASE": args.database or settings.pg_database,
            "PGPASSWORD": settings.pg_password,
        }
        for key, value in values.items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    if args.action == "roles":
        from csc_warehouse.roles import ensure_roles

        for line in ensure_roles(settings):
            print(line)
        return 0
    if args.action == "start":
        status = cluster.start()
        if status.running:
            from csc_warehouse.roles import ensure_roles

            ensure_roles(settings)
    elif args.action == "stop":
        status = cluster.stop()
    else:
        status = cluster.status()
    where = "external server" if status.external else f"data {status.data_dir}"
    state = "running" if status.running else "not running"
    print(f"postgres: {state} on {settings.pg_host}:{status.port} ({where}) - {status.detail}")
    if args.action == "stop":
        return 0
    return 0 if status.running else 3
