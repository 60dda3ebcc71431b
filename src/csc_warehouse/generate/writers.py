"""Turning the simulated records into each system's files, as the contracts say."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from csc_warehouse.contracts import load_contract

from .calendar import fmt_date
from .sim import SELF, WORKER, Rec
from .xlsx import EXCEL_EPOCH, DateCell, workbook_bytes

GENERATED_AT = {"trust": "01:12:09", "council": "02:31:47", "hr": "04:18:26"}


def generated_at(system: str, night: date, late: bool = False) -> str:
    nxt = night + timedelta(days=1)
    t = "09:47:13" if late else GENERATED_AT[system]
    return f"{nxt.isoformat()}T{t}Z"


@dataclass
class OutFile:
    name: str
    table: str
    header: list[str]
    lines: list = field(default_factory=list)  # text: str lines; xlsx: rows (lists)
    sheet: str | None = None


@dataclass
class Folder:
    system: str
    night: date
    mode: str
    files: list[OutFile]
    schema_version: str = "1"


def _make_converter(system, col, fmt):
    t = col.type
    true, false = fmt.booleans[True], fmt.booleans[False]
    df = fmt.date_format
    pipe = fmt.kind == "pipe"

    def base(v, rec):
        if v is None:
            return ""
        if v is SELF:
            return rec.id
        if v is WORKER:
            w = rec.worker
            return (w.id_for(system) or "") if w is not None else ""
        if type(v) is Rec:
            return v.id or ""
        return None

    if t == "date":

        def conv(v, rec):
            b = base(v, rec)
            return b if b is not None else fmt_date(v, df)
    elif t == "timestamp":
        tf = fmt.timestamp_format

        def conv(v, rec):
            b = base(v, rec)
            if b is not None:
                return b
            day, secs = v
            return (datetime.fromordinal(day) + timedelta(seconds=secs)).strftime(tf)
    elif t == "bool":

        def conv(v, rec):
            b = base(v, rec)
            return b if b is not None else (true if v else false)
    elif t == "list":
        sep = col.separator or ";"

        def conv(v, rec):
            b = base(v, rec)
            return b if b is not None else sep.join(v)
    elif t == "json":

        def conv(v, rec):
            b = base(v, rec)
            if b is not None:
                return b
            s = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            return s.replace("|", "\\|") if pipe else s
    else:

        def conv(v, rec):
            b = base(v, rec)
            if b is not None:
                return b
            s = v if type(v) is str else (v.id_for(system) if hasattr(v, "id_for") else str(v))
            return s.replace("|", "\\|") if pipe and "|" in s else s

    return conv


class Encoder:
    """Encodes a record's row into one line of its file (without the line end)."""

    def __init__(self, system: str):
        self.contract = load_contract(system)
        self.system = system
        fmt = self.contract.format
        self.delim = fmt.delimiter
        self.quote = fmt.quoting == "double"
        self.convs = {
            name: [
                _make_converter(system, c, fmt)
                for c in t.columns_for("1")
                if c.name not in ("CHANGE_TYPE", "LAST_MODIFIED")
            ]
            for name, t in self.contract.tables.items()
        }
        self.ts_format = fmt.timestamp_format

    def fields(self, rec: Rec, row: tuple) -> list[str]:
        return [conv(v, rec) for conv, v in zip(self.convs[rec.table], row, strict=True)]

    def line(self, rec: Rec, row: tuple, tail: tuple = ()) -> str:
        vals = self.fields(rec, row)
        if tail:
            vals.extend(tail)
        if self.quote:
            vals = [
                ('"' + v.replace('"', '""') + '"')
                if ("," in v or '"' in v or "\n" in v or "\r" in v)
                else v
                for v in vals
            ]
        return self.delim.join(vals)

    def timestamp(self, day: int, secs: int) -> str:
        return (datetime.fromordinal(day) + timedelta(seconds=secs)).strftime(self.ts_format)


# ---------------------------------------------------------------------- serialising
def file_bytes(folder: Folder, f: OutFile, others: list[OutFile] | None = None) -> bytes:
    contract = load_contract(folder.system)
    fmt = contract.format
    if fmt.kind == "xlsx":
        sheets = [(g.sheet, [g.header] + g.lines) for g in (others or [f])]
        when = datetime.combine(folder.night + timedelta(days=1), datetime.min.time()) + timedelta(
            hours=4, minutes=18, seconds=26
        )
        return workbook_bytes(sheets, when)
    return b"".join(_text_chunks(fmt, f.header, f.lines))


def _text_chunks(fmt, header: list[str], lines, chunk: int = 4096):
    """A CSV or pipe file as bytes, a few thousand lines at a time: the BOM if the format has
    one, the header, then the lines, each ended by the format's newline."""
    nl = fmt.newline
    if fmt.encoding == "utf-8-sig":
        yield b"\xef\xbb\xbf"
    yield (fmt.delimiter.join(header) + nl).encode("utf-8", "surrogateescape")
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == chunk:
            yield (nl.join(batch) + nl).encode("utf-8", "surrogateescape")
            batch = []
    if batch:
        yield (nl.join(batch) + nl).encode("utf-8", "surrogateescape")


def stream_text_file(system: str, path, f: OutFile) -> tuple[int, int, str]:
    """Write a CSV or pipe file as its lines are made (the bytes of :func:`file_bytes`, never
    held whole); (data rows, bytes, sha256)."""
    h = hashlib.sha256()
    rows = size = 0

    def counted(lines):
        nonlocal rows
        for line in lines:
            rows += 1
            yield line

    with open(path, "wb") as fh:
        for data in _text_chunks(load_contract(system).format, f.header, counted(f.lines)):
            h.update(data)
            fh.write(data)
            size += len(data)
    return rows, size, h.hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hr_rows(workforce, night: date) -> tuple[OutFile, OutFile]:
    """The HR workbook as at ``night``: posts established by then, everyone who had started."""
    n = night.toordinal()
    contract = load_contract("hr")

    def dcell(day, legacy):
        if day is None:
            return None
        if legacy:
            return fmt_date(day, "%d/%m/%Y")
        return DateCell(day - EXCEL_EPOCH)

    posts = OutFile("workforce.xlsx", "posts", contract.tables["posts"].header(), sheet="Posts")
    for p in workforce.posts:
        if p.est_from > n:
            continue
        posts.lines.append(
            [
                p.number,
                p.team,
                p.title,
                "Yes" if p.sw_post else "No",
                "Yes" if p.case_holding else "No",
                p.fte,
                dcell(p.est_from, p.legacy),
                dcell(p.est_to, False) if p.est_to and p.est_to <= n else None,
            ]
        )
    staff = OutFile("workforce.xlsx", "staff", contract.tables["staff"].header(), sheet="Staff")
    for w in workforce.staff:
        if w.start > n:
            continue
        last_day = w.leave - 1 if w.leave is not None else None
        left = last_day is not None and last_day <= n
        staff.lines.append(
            [
                w.emp_no,
                w.username,
                w.name,
                w.title,
                w.post.number,
                w.fte,
                dcell(w.start, w.legacy),
                dcell(last_day, w.legacy and last_day < date(2017, 1, 1).toordinal())
                if left
                else None,
                w.reason if left else None,
                "Yes" if w.agency else "No",
                w.swe,
                dcell(w.qualified, w.legacy) if w.qualified else None,
            ]
        )
    return posts, staff
