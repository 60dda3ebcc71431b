"""Row validation against a contract, compiled once per (table, delivered header).

Per-field checks are the cost of a load, so they are kept cheap:

* a row checker is *generated* (plain Python source built from column positions only - never
  from delivered text - and compiled once per file layout), so a row costs one function call
  and a few comparisons instead of a call per field;
* codes and booleans are ``frozenset`` look-ups, patterns precompiled ``re`` searches;
* dates are checked through a cache of strings already seen valid (a date column repeats its
  values a lot); timestamps check their date part through the same cache and the time part
  with a regex.

Rows are also checked a batch at a time (:meth:`RowChecker.check_batch`): per column, with one
C-level operation over the column's values where possible (a set ``issuperset`` for codes and
booleans, the new values of a date column against the cache, one regex over the joined values
of a key pattern). A batch check is *sound*, never looser than the row checks: when it says
"all pass", every row passes its row check; when it cannot say so, the caller checks that batch
row by row, so which row fails and why is decided by the row checker alone.

A failed check returns a :class:`Problem` - a reason code, a message naming the column and
what was expected, and the column. Messages never contain the value: quarantine reasons end
up in logs and in ``quarantine list``, and values are personal data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import ClassVar

from csc_warehouse.contracts import Column, Contract, Table

# Reason codes (ops.quarantine.reason_code)
COLUMN_COUNT = "column_count"
BAD_ENCODING = "bad_encoding"
UNPARSEABLE = "unparseable"
REQUIRED = "required_empty"
UNKNOWN_CODE = "unknown_code"
PATTERN = "pattern_mismatch"
BAD_DATE = "bad_date"
BAD_TIMESTAMP = "bad_timestamp"
BAD_INT = "bad_int"
BAD_DECIMAL = "bad_decimal"
BAD_BOOL = "bad_bool"
BAD_JSON = "bad_json"
DUPLICATE = "duplicate_key"

REASON_CODES = (
    COLUMN_COUNT,
    BAD_ENCODING,
    UNPARSEABLE,
    REQUIRED,
    UNKNOWN_CODE,
    PATTERN,
    BAD_DATE,
    BAD_TIMESTAMP,
    BAD_INT,
    BAD_DECIMAL,
    BAD_BOOL,
    BAD_JSON,
    DUPLICATE,
)

_INT = re.compile(r"-?\d+\Z")
_DECIMAL = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\Z")
# a character that says the text was not valid UTF-8: a surrogate from 'surrogateescape'
# decoding, or U+FFFD from 'replace' decoding (how quarantined raw lines keep bad bytes)
BAD_TEXT = re.compile("[\udc80-\udcff\ufffd]")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    column: str | None = None


def problem_column_count(got: int, expected: int) -> Problem:
    return Problem(COLUMN_COUNT, f"wrong column count ({got} fields, expected {expected})")


PROBLEM_ENCODING = Problem(BAD_ENCODING, "bad encoding (not valid UTF-8)")


def problem_unparseable(detail: str) -> Problem:
    # csv.Error messages describe the syntax, never the value
    return Problem(UNPARSEABLE, f"cannot be parsed: {detail}")


# ---- dates ------------------------------------------------------------------------------------

_TOKENS = {
    "%d": (r"\d{2}", "date"),
    "%m": (r"\d{2}", "date"),
    "%Y": (r"\d{4}", "date"),
    "%H": (r"(?:[01]\d|2[0-3])", "time"),
    "%M": (r"[0-5]\d", "time"),
    "%S": (r"[0-5]\d", "time"),
    "%f": (r"\d{1,6}", "time"),
}


def _format_regex(fmt: str) -> tuple[re.Pattern, str]:
    """A strict regex for a strftime format, with the date part as group 1.

    Returns (regex, date_format) where date_format is the strftime format of group 1.
    """
    parts: list[tuple[str, str, str]] = []  # (regex, kind, fmt text)
    i = 0
    while i < len(fmt):
        tok = fmt[i : i + 2]
        if tok in _TOKENS:
            rx, kind = _TOKENS[tok]
            parts.append((rx, kind, tok))
            i += 2
        else:
            parts.append((re.escape(fmt[i]), "lit", fmt[i]))
            i += 1
    date_idx = [n for n, p in enumerate(parts) if p[1] == "date"]
    if not date_idx:
        raise ValueError(f"format {fmt!r} has no date part")
    lo, hi = min(date_idx), max(date_idx)
    rx = "".join(p[0] for p in parts[:lo])
    rx += "(" + "".join(p[0] for p in parts[lo : hi + 1]) + ")"
    rx += "".join(p[0] for p in parts[hi + 1 :])
    return re.compile(rx + r"\Z"), "".join(p[2] for p in parts[lo : hi + 1])


class DateChecker:
    """Validates date strings of one or more formats, caching the valid ones.

    A format is checked by its strict regex, then as a calendar date: ``date(Y, m, d)`` when
    the date part is made of ``%d``, ``%m`` and ``%Y`` once each (30x cheaper than
    ``strptime``, same verdict: the regex fixes the widths, ``date`` the ranges), else
    ``strptime``."""

    MAX_CACHE = 200_000

    def __init__(self, formats: list[str]):
        self.formats = []
        for f in formats:
            rx, dfmt = _format_regex(f)
            self.formats.append((rx, dfmt, _date_fields(dfmt)))
        self.good: set[str] = set()

    def __call__(self, value: str) -> bool:
        if value in self.good:
            return True
        for rx, dfmt, fields in self.formats:
            m = rx.match(value)
            if m is None:
                continue
            try:
                if fields is not None:
                    g = fields.match(m.group(1))
                    date(int(g["Y"]), int(g["m"]), int(g["d"]))
                else:
                    datetime.strptime(m.group(1), dfmt)
            except ValueError:
                continue
            if len(self.good) > self.MAX_CACHE:
                self.good.clear()
            self.good.add(value)
            return True
        return False


def _date_fields(dfmt: str) -> re.Pattern | None:
    """A regex with groups Y, m, d for a date format of exactly those three tokens."""
    tokens = re.findall(r"%.", dfmt)
    if sorted(tokens) != ["%Y", "%d", "%m"]:
        return None
    rx = ""
    i = 0
    while i < len(dfmt):
        tok = dfmt[i : i + 2]
        if tok in ("%d", "%m", "%Y"):
            rx += f"(?P<{tok[1]}>{_TOKENS[tok][0]})"
            i += 2
        else:
            rx += re.escape(dfmt[i])
            i += 1
    return re.compile(rx + r"\Z")


class TimestampChecker:
    """Timestamps: the whole string by regex, the date part through a DateChecker cache."""

    _WIDTH = {"%d": 2, "%m": 2, "%Y": 4, "%H": 2, "%M": 2, "%S": 2}

    def __init__(self, fmt: str):
        self.rx, dfmt = _format_regex(fmt)
        self.dates = DateChecker([dfmt])
        # where the date part sits when every token before and in it has a fixed width
        self.date_slice: tuple[int, int] | None = None
        start = fmt.find(dfmt)
        if start >= 0:
            try:
                a = self._width(fmt[:start])
                self.date_slice = (a, a + self._width(dfmt))
            except KeyError:
                self.date_slice = None

    @classmethod
    def _width(cls, text: str) -> int:
        n = i = 0
        while i < len(text):
            if text[i] == "%":
                n += cls._WIDTH[text[i : i + 2]]
                i += 2
            else:
                n += 1
                i += 1
        return n

    def __call__(self, value: str) -> bool:
        m = self.rx.match(value)
        return m is not None and self.dates(m.group(1))


def _json_ok(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


# ---- the compiled row checker -----------------------------------------------------------------


class RowChecker:
    """Checks delivered rows of one file layout: ``check(fields) -> Problem | None``.

    ``header`` is the delivered header (column names in file order); it must be a permutation
    of the contract's columns for the file's schema version (the caller checks that first).
    Use :meth:`for_layout`: a backfill meets the same few layouts in thousands of files, and
    compiling the check costs more than checking a small delta file.
    """

    _cache: ClassVar[dict[tuple, tuple[Contract, Table, RowChecker]]] = {}

    @classmethod
    def for_layout(cls, contract: Contract, table: Table, header: list[str]) -> RowChecker:
        """The checker of this layout, compiled once per process (contract and table objects
        are kept alive with it, so their ids cannot be reused by others)."""
        key = (id(contract), id(table), tuple(header))
        hit = cls._cache.get(key)
        if hit is None:
            if len(cls._cache) > 256:
                cls._cache.clear()
            hit = cls._cache[key] = (contract, table, cls(contract, table, header))
        return hit[2]

    def __init__(self, contract: Contract, table: Table, header: list[str]):
        fmt = contract.format
        self.table = table
        self.header = list(header)
        self.ncols = len(header)
        by_name = {c.name: c for c in table.columns}
        self.columns: list[Column] = [by_name[h] for h in header]
        ns: dict[str, object] = {}
        lines = ["def check(r):"]
        date_formats = [fmt.date_format] if fmt.date_format else []
        if fmt.kind == "xlsx":
            date_formats.append("%Y-%m-%d")  # real Excel dates, written as ISO by the reader
        dates = DateChecker(date_formats) if date_formats else None
        stamps = TimestampChecker(fmt.timestamp_format) if fmt.timestamp_format else None
        bools = frozenset(v for v in (fmt.booleans or {}).values())
        for i, col in enumerate(self.columns):
            body: list[str] = []

            def fail(code: str, message: str, i=i, col=col) -> str:
                name = f"P{i}_{len(ns)}"
                ns[name] = Problem(code, message, col.name)
                return name

            t = col.type
            if t == "code" and col.codes is not None:
                ns[f"C{i}"] = frozenset(col.codes)
                body.append(
                    f"if v not in C{i}: return {fail(UNKNOWN_CODE, f'unknown code in {col.name}')}"
                )
            elif t == "list" and col.codes is not None:
                ns[f"C{i}"] = frozenset(col.codes)
                ns[f"S{i}"] = col.separator or ";"
                p = fail(UNKNOWN_CODE, f"unknown code in list {col.name}")
                body.append(f"for x in v.split(S{i}):")
                body.append(f"    if x not in C{i}: return {p}")
            elif t == "int":
                ns["INT"] = _INT.match
                body.append(
                    f"if INT(v) is None: return {fail(BAD_INT, f'not an integer in {col.name}')}"
                )
            elif t == "decimal":
                ns["DEC"] = _DECIMAL.match
                body.append(
                    f"if DEC(v) is None: return {fail(BAD_DECIMAL, f'not a number in {col.name}')}"
                )
            elif t == "date":
                if dates is None:
                    raise ValueError(
                        f"{contract.system}: date column {col.name} but no date_format"
                    )
                ns["DATE"] = dates
                ns["DATES"] = dates.good
                expected = " or ".join(date_formats)
                p = fail(BAD_DATE, f"not a date in {col.name} (expected {expected})")
                body.append(f"if v not in DATES and not DATE(v): return {p}")
            elif t == "timestamp":
                if stamps is None:
                    raise ValueError(
                        f"{contract.system}: timestamp column {col.name} but no format"
                    )
                ns["TS"] = stamps
                p = fail(
                    BAD_TIMESTAMP,
                    f"not a timestamp in {col.name} (expected {fmt.timestamp_format})",
                )
                if stamps.date_slice is None:
                    body.append(f"if not TS(v): return {p}")
                else:
                    a, b = stamps.date_slice
                    ns["TSM"] = stamps.rx.match
                    ns["TSD"] = stamps.dates.good
                    ns["TSDC"] = stamps.dates
                    body.append(f"if TSM(v) is None: return {p}")
                    body.append(f"if v[{a}:{b}] not in TSD and not TSDC(v[{a}:{b}]): return {p}")
            elif t == "bool":
                ns["BOOLS"] = bools
                body.append(
                    f"if v not in BOOLS: return {fail(BAD_BOOL, f'not a boolean in {col.name}')}"
                )
            elif t == "json":
                ns["JSON"] = _json_ok
                body.append(f"if not JSON(v): return {fail(BAD_JSON, f'not JSON in {col.name}')}")
            if col.pattern:
                p = fail(PATTERN, f"{col.name} does not match its pattern")
                fast = fast_pattern(col.pattern)
                if fast:
                    body.append(f"if not ({fast}): return {p}")
                else:
                    ns[f"RX{i}"] = col.regex.search
                    body.append(f"if RX{i}(v) is None: return {p}")
            if not body and not col.required:
                continue
            lines.append(f"    v = r[{i}]")
            if col.required:
                lines.append(
                    f"    if not v: return {fail(REQUIRED, f'required {col.name} is empty')}"
                )
                lines.extend("    " + b for b in body)
            elif body:
                lines.append("    if v:")
                lines.extend("        " + b for b in body)
        lines.append("    return None")
        source = "\n".join(lines)
        exec(compile(source, f"<check {contract.system}.{table.name}>", "exec"), ns)  # noqa: S102
        self.source = source
        self.check = ns["check"]
        self._batch = [
            (itemgetter(i), fn)
            for i, col in enumerate(self.columns)
            if (fn := _column_batch_check(col, dates, stamps, bools)) is not None
        ]

    def check_batch(self, rows: list[list[str]]) -> bool:
        """True when every row (each with exactly ``ncols`` fields) passes :meth:`check`.

        False means "not known": check those rows one by one."""
        for get, fn in self._batch:
            if not fn(list(map(get, rows))):
                return False
        return True


BatchCheck = Callable[[list[str]], bool]


def _column_batch_check(
    col: Column,
    dates: DateChecker | None,
    stamps: TimestampChecker | None,
    bools: frozenset[str],
) -> BatchCheck | None:
    """A check of all the values of one column at once (see the module doc), or None when
    the column has no rule. Mirrors the generated row check; may be stricter, never looser."""
    required = col.required
    parts: list[BatchCheck] = []
    t = col.type
    if t == "code" and col.codes is not None:
        allowed = frozenset(col.codes) | (frozenset() if required else frozenset([""]))
        parts.append(allowed.issuperset)
    elif t == "list" and col.codes is not None:
        codes = frozenset(col.codes)
        sep = col.separator or ";"

        def list_ok(vals: list[str]) -> bool:
            distinct = set(vals)
            distinct.discard("")
            return all(codes.issuperset(v.split(sep)) for v in distinct)

        parts.append(list_ok)
    elif t in ("int", "decimal"):
        match = (_INT if t == "int" else _DECIMAL).match
        parts.append(lambda vals: all(map(match, filter(None, vals))))
    elif t == "date" and dates is not None:
        good, date_ok = dates.good, dates

        def dates_ok(vals: list[str]) -> bool:
            new = set(vals).difference(good)
            new.discard("")
            return all(map(date_ok, new))

        parts.append(dates_ok)
    elif t == "timestamp" and stamps is not None:
        if stamps.date_slice is None:
            parts.append(lambda vals: all(map(stamps, filter(None, vals))))
        else:
            ts_match, dgood, date_ok = stamps.rx.match, stamps.dates.good, stamps.dates
            date_part = itemgetter(slice(*stamps.date_slice))

            def stamps_ok(vals: list[str]) -> bool:
                present = list(filter(None, vals))
                if not all(map(ts_match, present)):
                    return False
                new = set(map(date_part, present)).difference(dgood)
                return all(map(date_ok, new))

            parts.append(stamps_ok)
    elif t == "bool":
        allowed_b = bools | (frozenset() if required else frozenset([""]))
        parts.append(allowed_b.issuperset)
    elif t == "json":
        parts.append(lambda vals: all(map(_json_ok, set(filter(None, vals)))))
    if col.pattern:
        joined = joined_pattern(col.pattern)
        if joined is not None:

            def pattern_ok(vals: list[str], fullmatch=joined.fullmatch) -> bool:
                present = list(filter(None, vals))
                if not present:
                    return True
                text = "\n".join(present)
                # a value holding a newline would make the joined text lie: not known
                return text.count("\n") == len(present) - 1 and fullmatch(text) is not None

            parts.append(pattern_ok)
        else:
            search = col.regex.search
            parts.append(lambda vals: all(map(search, filter(None, vals))))
    if required:
        parts.insert(0, lambda vals: "" not in vals)
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return lambda vals: all(p(vals) for p in parts)


_SIMPLE_PATTERN = re.compile(r"\^([A-Za-z]*)\\d(\+|\{(\d+)\}|\{(\d+),(\d+)\})\$")


def fast_pattern(pattern: str) -> str | None:
    """A Python expression on ``v`` equivalent to a simple anchored pattern (``^T\\d{7}$``,
    ``^\\d+$``, ``^SW\\d{5,6}$``), using string methods instead of the regex engine (about 2x
    faster); None for any other pattern. Stricter only in refusing a trailing newline."""
    m = _SIMPLE_PATTERN.fullmatch(pattern)
    if not m:
        return None
    prefix, _, exact, lo, hi = m.groups()
    n = len(prefix)
    parts = []
    if exact is not None:
        parts.append(f"len(v) == {n + int(exact)}")
    elif lo is not None:
        parts.append(f"{n + int(lo)} <= len(v) <= {n + int(hi)}")
    if n:
        parts.append(f"v.startswith({prefix!r})")
        parts.append(f"v[{n}:].isdigit()")
    else:
        parts.append("v.isdigit()")
    parts.append("v.isascii()")
    return " and ".join(parts)


def joined_pattern(pattern: str) -> re.Pattern | None:
    """For a simple pattern (see :func:`fast_pattern`): a regex matching values of it joined
    by newlines (``T1234567\\nT7654321``) - one regex call checks a whole column of a batch.
    Same strings as the fast row check (ASCII digits only, no trailing newline)."""
    m = _SIMPLE_PATTERN.fullmatch(pattern)
    if not m:
        return None
    prefix, _, exact, lo, hi = m.groups()
    if exact is not None:
        rep = f"{{{exact}}}"
    elif lo is not None:
        rep = f"{{{lo},{hi}}}"
    else:
        rep = "+"
    one = f"{re.escape(prefix)}[0-9]{rep}"
    return re.compile(f"(?:{one}\n)*{one}")


def header_diff(expected: list[str], got: list[str]) -> str:
    """'added: X, Y; missing: Z' (column names are layout, not personal data)."""
    added = [_short(h) for h in got if h not in expected]
    missing = [_short(h) for h in expected if h not in got]
    dup = sorted({_short(h) for h in got if got.count(h) > 1})
    parts = []
    if added:
        parts.append("added: " + ", ".join(added))
    if missing:
        parts.append("missing: " + ", ".join(missing))
    if dup:
        parts.append("duplicated: " + ", ".join(dup))
    if not parts and expected != got:
        parts.append("same columns, different order")
    return "; ".join(parts)


def _short(name: str, limit: int = 60) -> str:
    """A header name fit for a message: printable, at most ``limit`` characters."""
    name = "".join(ch if ch.isprintable() else "?" for ch in name)
    return name if len(name) <= limit else name[: limit - 3] + "..."
