"""Streaming readers for the three extract formats.

Every reader yields records as ``(first_line, last_line, fields, problem)``:

* ``first_line``/``last_line``: 1-based physical lines in the file (header = 1); a CSV record
  with a quoted line break spans several lines; for xlsx both are the sheet row number;
* ``fields``: the delivered values as text (``''`` = empty = NULL), or ``None`` when the record
  could not be read at all, in which case ``problem`` says why (bad encoding, CSV syntax).

Nothing is read into memory whole: CSV and pipe files are decoded line by line (text mode,
``surrogateescape``, so a stray Windows-1252 byte marks its line instead of failing the file),
xlsx sheets through openpyxl's read-only streaming mode, after a zip-bomb check.

Quarantined records keep their raw text. For CSV and pipe files it is read back from the file
after the load (``raw_lines``), so the fast path never keeps the lines it has parsed.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from csc_warehouse.contracts import Format
from csc_warehouse.load.validate import BAD_TEXT, PROBLEM_ENCODING, Problem, problem_unparseable

Record = tuple[int, int, "list[str] | None", "Problem | None"]

# big fields are data ("very long strings" load); the csv module's default limit is 128 KiB
CSV_FIELD_LIMIT = 64 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))


class ReadError(Exception):
    """The file as a whole cannot be read (empty, no header, not a workbook, unsafe)."""


@dataclass(frozen=True)
class XlsxLimits:
    max_bytes: int = 200 * 1024 * 1024  # the workbook on disk
    max_uncompressed: int = 2 * 1024 * 1024 * 1024  # sum of its members
    max_ratio: float = 100.0  # uncompressed / compressed (xlsx XML is typically 5-20x)


class _TextReader:
    """Shared part of the CSV and pipe readers."""

    newline: str | None = None

    def __init__(self, path: Path, fmt: Format):
        self.path = path
        self.fmt = fmt
        self.encoding = fmt.encoding or "utf-8"

    def _open(self):
        return open(  # noqa: SIM115 - closed by close()
            self.path, encoding=self.encoding, errors="surrogateescape", newline=self.newline
        )

    def raw_lines(self, spans: list[tuple[int, int]]) -> dict[int, tuple[str, bytes]]:
        """The raw text of records, by first line: ``{first: (text, bytes)}``.

        ``text`` is the delivered text with undecodable bytes as U+FFFD (so it can be shown and
        replayed, and still fails the encoding check); ``bytes`` is exactly what was delivered
        (after the BOM).
        """
        wanted: dict[int, int] = {}
        for first, last in spans:
            wanted[first] = max(last, wanted.get(first, first))
        out: dict[int, tuple[str, bytes]] = {}
        if not wanted:
            return out
        starts = sorted(wanted)
        idx = 0
        collecting: list[str] | None = None
        current_first = current_last = 0
        with self._open() as fh:
            for n, line in enumerate(fh, 1):
                if collecting is None:
                    while idx < len(starts) and starts[idx] < n:
                        idx += 1
                    if idx >= len(starts):
                        break
                    if starts[idx] != n:
                        continue
                    current_first, current_last = n, wanted[n]
                    collecting = []
                    idx += 1
                collecting.append(line)
                if n >= current_last:
                    raw = "".join(collecting).encode("utf-8", "surrogateescape")
                    out[current_first] = (raw.decode("utf-8", "replace"), raw)
                    collecting = None
        return out


class CsvReader(_TextReader):
    """Comma-separated, double-quote quoting, UTF-8 (with or without BOM), CRLF.

    ``check_encoding=False`` (the file is known to be valid UTF-8: the checksum pass decoded
    it) feeds the file straight to ``csv.reader``, without the per-line encoding check.
    """

    newline = ""

    def __init__(self, path: Path, fmt: Format, check_encoding: bool = True):
        super().__init__(path, fmt)
        self._fh = self._open()
        self.bad_lines: set[int] = set()
        self._reader = csv.reader(
            self._lines() if check_encoding else self._fh,
            delimiter=fmt.delimiter or ",",
            quotechar='"',
            doublequote=True,
        )
        try:
            header = next(self._reader)
        except StopIteration:
            self.close()
            raise ReadError("the file is empty (no header row)") from None
        except csv.Error as exc:
            self.close()
            raise ReadError(f"the header cannot be parsed: {exc}") from None
        if self.bad_lines:
            self.close()
            raise ReadError("the header is not valid UTF-8")
        self.header = [h.strip() for h in header]

    def _lines(self) -> Iterator[str]:
        bad = self.bad_lines
        search = BAD_TEXT.search
        n = 0
        for line in self._fh:
            n += 1
            if not line.isascii() and search(line):
                bad.add(n)
            yield line

    @property
    def csv_reader(self):
        """The underlying ``csv.reader`` (``line_num`` = physical lines read so far)."""
        return self._reader

    def records(self) -> Iterator[Record]:
        reader = self._reader
        bad = self.bad_lines
        prev = reader.line_num
        while True:
            try:
                for r in reader:
                    end = reader.line_num
                    if not r:  # a blank line is not a record
                        prev = end
                        continue
                    if bad and any(n in bad for n in range(prev + 1, end + 1)):
                        yield prev + 1, end, None, PROBLEM_ENCODING
                    else:
                        yield prev + 1, end, r, None
                    prev = end
                return
            except csv.Error as exc:
                end = max(reader.line_num, prev + 1)
                yield prev + 1, end, None, problem_unparseable(str(exc))
                prev = end

    def close(self) -> None:
        self._fh.close()


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


class PipeReader(_TextReader):
    """Pipe-delimited, no quoting, ``\\|`` for a pipe inside text, UTF-8, LF."""

    newline = "\n"

    def __init__(self, path: Path, fmt: Format):
        super().__init__(path, fmt)
        self.delimiter = fmt.delimiter or "|"
        self.escape = fmt.escape
        if self.escape and self.delimiter == "|" and self.escape == "\\":
            self._split_escaped = _UNESCAPED_PIPE.split
        elif self.escape:
            rx = re.compile(f"(?<!{re.escape(self.escape)}){re.escape(self.delimiter)}")
            self._split_escaped = rx.split
        else:
            self._split_escaped = None
        self._fh = self._open()
        first = self._fh.readline()
        if not first:
            self.close()
            raise ReadError("the file is empty (no header row)")
        first = first.lstrip("\ufeff").rstrip("\r\n")
        if not first.isascii() and BAD_TEXT.search(first):
            self.close()
            raise ReadError("the header is not valid UTF-8")
        self.header = [h.strip() for h in first.split(self.delimiter)]

    def split(self, line: str) -> list[str]:
        """Fields of one line (without its line end), unescaping ``\\|``."""
        if self._split_escaped is not None and self.escape in line:
            esc_delim = self.escape + self.delimiter
            return [f.replace(esc_delim, self.delimiter) for f in self._split_escaped(line)]
        return line.split(self.delimiter)

    def records(self) -> Iterator[Record]:
        delim = self.delimiter
        esc = self.escape
        split_escaped = self.split
        search = BAD_TEXT.search
        n = 1
        for line in self._fh:
            n += 1
            line = line.rstrip("\r\n")
            if not line:
                continue
            if not line.isascii() and search(line):
                yield n, n, None, PROBLEM_ENCODING
            elif esc and esc in line:
                yield n, n, split_escaped(line), None
            else:
                yield n, n, line.split(delim), None

    def close(self) -> None:
        self._fh.close()


# ---- xlsx -----------------------------------------------------------------------------------


def check_xlsx(path: Path, limits: XlsxLimits) -> None:
    """Refuse a workbook that is too big, not a zip, or zip-bomb-like, before openpyxl sees it."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ReadError(
            f"workbook is {size / 1e6:.1f} MB, over the {limits.max_bytes / 1e6:.0f} MB limit"
        )
    if not zipfile.is_zipfile(path):
        raise ReadError("not an xlsx workbook (not a zip archive)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos)
            if len(infos) > 10_000:
                raise ReadError(f"workbook has {len(infos)} members (zip-bomb-like)")
            if total > limits.max_uncompressed:
                raise ReadError(
                    f"workbook unpacks to {total / 1e6:.0f} MB, over the "
                    f"{limits.max_uncompressed / 1e6:.0f} MB limit (zip-bomb-like)"
                )
            ratio = total / max(packed, 1)
            if ratio > limits.max_ratio:
                raise ReadError(
                    f"workbook compression ratio {ratio:.0f}x is over {limits.max_ratio:.0f}x "
                    "(zip-bomb-like)"
                )
            for info in infos:
                if info.file_size > limits.max_uncompressed:
                    raise ReadError("a workbook member is too large (zip-bomb-like)")
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as member:
                        head = member.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise ReadError(
                            f"workbook member {info.filename[:60]} declares a DTD (refused)"
                        )
    except zipfile.BadZipFile as exc:
        raise ReadError(f"not a readable xlsx workbook: {exc}") from None


class XlsxReader:
    """One sheet of a workbook, streamed (openpyxl read-only), values converted to raw text.

    Real Excel dates become ISO ``yyyy-mm-dd`` (a date-time with a time part ISO
    ``yyyy-mm-dd HH:MM:SS``), text stays as delivered, booleans as the contract's words, numbers
    as their text (an integral float without ``.0``).
    """

    def __init__(self, path: Path, sheet: str, fmt: Format, limits: XlsxLimits | None = None):
        import openpyxl

        check_xlsx(path, limits or XlsxLimits())
        self.path = path
        self.sheet = sheet
        self.fmt = fmt
        self.true = (fmt.booleans or {}).get(True, "TRUE")
        self.false = (fmt.booleans or {}).get(False, "FALSE")
        try:
            self._wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any openpyxl failure means "unreadable"
            raise ReadError(f"not a readable xlsx workbook ({type(exc).__name__})") from None
        if sheet not in self._wb.sheetnames:
            self._wb.close()
            raise ReadError(f"workbook has no sheet {sheet!r}")
        self._rows = self._wb[sheet].iter_rows(values_only=True)
        try:
            header = next(self._rows)
        except StopIteration:
            self.close()
            raise ReadError(f"sheet {sheet} is empty (no header row)") from None
        cells = [self.text(v).strip() for v in header]
        while cells and not cells[-1]:
            cells.pop()
        self.header = cells

    def text(self, v) -> str:
        if v is None:
            return ""
        t = type(v)
        if t is str:
            return v
        if t is datetime:
            if v.hour == 0 and v.minute == 0 and v.second == 0 and v.microsecond == 0:
                return v.date().isoformat()
            return v.isoformat(sep=" ")
        if t is date or t is time:
            return v.isoformat()
        if t is bool:
            return self.true if v else self.false
        if t is int:
            return str(v)
        if t is float:
            return str(int(v)) if v.is_integer() else repr(v)
        return str(v)

    def records(self) -> Iterator[Record]:
        width = len(self.header)
        conv = self.text
        for n, row in enumerate(self._rows, 2):
            vals = [conv(v) for v in row]
            if len(vals) > width:
                extra = vals[width:]
                if not any(extra):
                    del vals[width:]
            elif len(vals) < width:
                vals.extend([""] * (width - len(vals)))
            if not any(vals):
                continue  # an empty row is not a record
            yield n, n, vals, None

    @staticmethod
    def raw_text(fields: list[str]) -> str:
        """The raw form of an xlsx record kept in quarantine: a JSON array of cell texts."""
        return json.dumps(fields, ensure_ascii=False)

    def close(self) -> None:
        self._wb.close()


def open_reader(
    path: Path,
    fmt: Format,
    sheet: str | None = None,
    limits: XlsxLimits | None = None,
    *,
    check_encoding: bool = True,
):
    """The reader for a contract format; raises ReadError when the file cannot be read."""
    if fmt.kind == "csv":
        return CsvReader(path, fmt, check_encoding)
    if fmt.kind == "pipe":
        return PipeReader(path, fmt)
    if fmt.kind == "xlsx":
        if not sheet:
            raise ReadError("xlsx table without a sheet in the contract")
        return XlsxReader(path, sheet, fmt, limits)
    raise ValueError(f"unknown format kind {fmt.kind!r}")


def parse_raw(raw_line: str, fmt: Format) -> list[list[str]]:
    """Parse a quarantined raw record again (for replay): the list of records it holds."""
    if fmt.kind == "xlsx":
        value = json.loads(raw_line)
        if not isinstance(value, list):
            raise ValueError("raw xlsx record is not a JSON array")
        return [["" if v is None else str(v) for v in value]]
    if fmt.kind == "csv":
        import io

        return [
            r
            for r in csv.reader(io.StringIO(raw_line, newline=""), delimiter=fmt.delimiter or ",")
            if r
        ]
    if fmt.kind == "pipe":
        reader = PipeReader.__new__(PipeReader)
        reader.delimiter = fmt.delimiter or "|"
        reader.escape = fmt.escape
        if reader.escape:
            reader._split_escaped = re.compile(
                f"(?<!{re.escape(reader.escape)}){re.escape(reader.delimiter)}"
            ).split
        else:
            reader._split_escaped = None
        lines = [ln for ln in raw_line.replace("\r\n", "\n").split("\n") if ln]
        return [reader.split(ln) for ln in lines]
    raise ValueError(f"unknown format kind {fmt.kind!r}")
