"""Exceptions that the CLI turns into exit codes and one-line messages."""

from __future__ import annotations


class WarehouseError(RuntimeError):
    """Base: the work ran and found a problem (exit code 1)."""

    exit_code = 1


class EnvironmentNotReady(WarehouseError):
    """A database or tool the command needs is not there (exit code 3)."""

    exit_code = 3


def exit_code_for(exc: BaseException) -> int | None:
    from csc_warehouse.localdb import DatabaseError

    if isinstance(exc, DatabaseError):
        return 3
    if isinstance(exc, WarehouseError):
        return exc.exit_code
    try:
        import psycopg

        if isinstance(exc, psycopg.OperationalError):
            return 3
    except ImportError:  # pragma: no cover
        pass
    return None
