"""The synthetic data generator: realistic nightly extracts of the three source systems.

    from csc_warehouse.generate import GenerateOptions, generate, World

    summary = generate(GenerateOptions(out=Path("landing"), seed=1, scale=0.05,
                                       start=date(2025, 4, 1), end=date(2025, 4, 30)))

``World(seed, scale)`` is the in-memory simulation (see ``sim.py``); ``generate`` replays it day
by day and writes, for each extract night chosen, what each system held as at that night:
``LANDING/<system>/<YYYY-MM-DD>/`` with the files first and ``_manifest.json`` last.
Same seed and arguments give byte-identical files; the files of a night never depend on which
other nights are written. See docs/generator.md.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from csc_warehouse.contracts import load_contract

from . import checkpoint
from .calendar import (
    COUNCIL_FIRST,
    DEFAULT_END,
    DEFAULT_START,
    HORIZON,
    TRUST_LAST,
    system_nights,
)
from .faults import CONTENT, Fault, FaultSpecError, apply_content, parse_faults
from .sim import Rec, World
from .writers import (
    Encoder,
    Folder,
    OutFile,
    file_bytes,
    generated_at,
    hr_rows,
    sha256,
    stream_text_file,
)

SYSTEMS = ("trust", "council", "hr")
POLICIES = ("spec", "archive-only", "every-night")

__all__ = ["GenerateOptions", "HistoryMismatch", "Summary", "World", "generate", "plan_nights"]


@dataclass
class GenerateOptions:
    out: Path
    seed: int = 1
    scale: float = 1.0
    # the authority's three-digit DfE number (UPNs start with it); a regional warehouse
    # generates one history per authority (csc-warehouse region generate)
    la_code: int = 931
    start: date = DEFAULT_START
    end: date = DEFAULT_END
    policy: str = "spec"  # spec | archive-only | every-night
    systems: tuple[str, ...] = SYSTEMS
    faults: str | None = None
    faults_log: Path | None = None
    truth: Path | None = None
    # the council's first folder written is a full extract (a go-live), not a delta: for a
    # history that starts after 2015-04-01 (the loader is told the same: CSC_LOAD_COUNCIL_FIRST)
    council_full_first: bool = False
    # save the world beside the landing folder at the end, for the next night to carry on
    # from (checkpoint.py); off for throw-away runs
    save_world: bool = True


@dataclass
class Summary:
    out: Path
    nights: int = 0
    folders: int = 0
    files: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    by_system: dict = field(default_factory=dict)
    faults: list = field(default_factory=list)
    faults_log: Path | None = None
    children: int = 0
    resumed_from: date | None = None  # the saved world's last day, when the run carried on


def plan_nights(opts: GenerateOptions) -> dict[str, list[date]]:
    return {
        s: system_nights(s, opts.start, opts.end, opts.policy) if s in opts.systems else []
        for s in SYSTEMS
    }


def default_faults_log(out: Path) -> Path:
    out = Path(out)
    return out.parent / f"{out.name}.faults.json"


class HistoryMismatch(FaultSpecError):
    """The nights asked for would continue a history another world wrote (exit 2)."""


def default_stamp(out: Path) -> Path:
    """Beside the landing folder (never in it): which world wrote the history there."""
    out = Path(out)
    return out.parent / f"{out.name}.generator.json"


def world_fingerprint() -> str:
    """The code and contracts that decide which records exist and which ids they get."""
    import hashlib

    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    contracts = here.parent / "contracts"
    for path in sorted([*here.glob("*.py"), *contracts.glob("*.yml")]):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _check_history(opts: GenerateOptions, out: Path) -> dict:
    """Refuse to continue a history written with another seed, scale or generator: the ids
    of tonight's records would be ones the history gave to other records, and the warehouse
    would load a different child's story under them without a word."""
    me = {
        "seed": opts.seed,
        "scale": opts.scale,
        "la_code": opts.la_code,
        "world": world_fingerprint(),
    }
    stamp = default_stamp(out)
    if not stamp.exists():
        return me
    old = json.loads(stamp.read_text(encoding="utf-8"))
    differ = [k for k in me if old.get(k) != me[k]]
    if not differ:
        return me
    first = opts.start.isoformat()
    earlier = sorted(
        d.name
        for system in opts.systems
        if (out / system).is_dir()
        for d in (out / system).iterdir()
        if d.is_dir() and d.name[:10] < first
    )
    if earlier:
        said = ", ".join(f"{k} {old.get(k)} -> {me[k]}" for k in differ)
        raise HistoryMismatch(
            f"{out} holds a history up to {earlier[-1][:10]} written by another world ({said}); "
            f"nights from {first} would reuse its record ids for other records. Write the whole "
            f"history again (or into a new folder), or remove {stamp} if you know better."
        )
    return me


def generate(
    opts: GenerateOptions, progress: Callable[[date, int, int], None] | None = None
) -> Summary:
    """Write the nights of ``opts`` under ``opts.out``; ``progress(day, done, total)`` per day."""
    t0 = time.perf_counter()
    if opts.start > opts.end:
        raise ValueError("start is after end")
    if opts.end > HORIZON or opts.start < COUNCIL_FIRST:
        raise FaultSpecError(f"dates must lie within {COUNCIL_FIRST} .. {HORIZON}")
    nights = plan_nights(opts)
    faults = parse_faults(opts.faults, opts.seed, nights)
    fault_map: dict[tuple[str, date], list[Fault]] = {}
    for f in faults:
        fault_map.setdefault((f.system, f.night), []).append(f)
    out = Path(opts.out)
    stamp = _check_history(opts, out)
    out.mkdir(parents=True, exist_ok=True)
    summary = Summary(
        out=out, by_system={s: {"folders": 0, "rows": 0, "bytes": 0} for s in SYSTEMS}
    )

    enc = {"trust": Encoder("trust"), "council": Encoder("council")}
    contracts = {s: load_contract(s) for s in SYSTEMS}
    night_ord = {s: {d.toordinal(): d for d in nights[s]} for s in SYSTEMS}
    keep_trust = bool(nights["trust"])
    trust_state: dict[str, dict] = {t: {} for t in contracts["trust"].tables}
    council_first = COUNCIL_FIRST.toordinal()
    if opts.council_full_first and night_ord["council"]:
        council_first = min(night_ord["council"])
    keep_full = council_first in night_ord["council"]
    # carry on from the world the last run saved, when it is this world and stopped before
    # tonight; a council full folder needs every record since the start, the truth every fact
    saved = None
    if opts.truth is None and not keep_full:
        saved = checkpoint.load(out, stamp, opts.start.toordinal(), need_trust=keep_trust)
    if saved is not None:
        world = saved.world
        if keep_trust:
            trust_state = saved.trust_state
        summary.resumed_from = date.fromordinal(saved.day)
    else:
        world = World(
            opts.seed, opts.scale, want_truth=opts.truth is not None, la_code=opts.la_code
        )
    council_full: dict[str, dict] = {t: {} for t in contracts["council"].tables}
    spill = _LineSpill(out.parent) if keep_full else None
    trust_spill = _LineSpill(out.parent) if keep_trust else None
    council_day: dict[str, dict] = {t: {} for t in contracts["council"].tables}
    write_council = bool(night_ord["council"])
    council_enc = enc["council"]
    fault_records: list[dict] = []
    last_trust = TRUST_LAST.toordinal()

    def on_change(day, secs, rec, kind, row):
        if rec.system == "trust":
            if not keep_trust:
                return
            # [record, row, line]: the line, once made, goes to a spill file and the record
            # and row are let go until the record changes again (keyed by id, not record)
            st = trust_state[rec.table]
            key = rec.id or rec
            if kind == "D":
                st.pop(key, None)
            else:
                entry = st.get(key)
                if entry is None:
                    st[key] = [rec, row, None]
                else:
                    entry[0], entry[1], entry[2] = rec, row, None
            return
        if keep_full and day <= council_first:
            # the first full folder holds every council record since the world began (2001):
            # a record's line is made now when it and every record it names have their ids
            # (it is then final) and waits in a spill file, keyed by the record's id, so
            # neither its row nor the record and its child are held until the folder is
            # written (a table without ids keys by the record)
            st = council_full[rec.table]
            key = rec.id or rec
            if kind == "D":
                st.pop(key, None)
            elif rec.id is not None and all(v.id is not None for v in row if type(v) is Rec):
                st[key] = spill.put(
                    council_enc.line(rec, row, ("I", council_enc.timestamp(day, secs)))
                )
            else:
                st[key] = (rec, row, day, secs)
            return
        if not write_council or day not in night_ord["council"]:
            return
        st = council_day[rec.table]
        prev = st.get(rec)
        if kind == "I":
            st[rec] = ["U" if prev is not None and prev[0] == "D" else "I", row, day, secs]
        elif kind == "U":
            st[rec] = ["I" if prev is not None and prev[0] == "I" else "U", row, day, secs]
        else:
            if prev is not None and prev[0] == "I":
                del st[rec]
            else:
                st[rec] = ["D", row, day, secs]

    first_day = world.done_through + 1
    total_days = opts.end.toordinal() - first_day + 1

    def on_day(day):
        if progress is not None:
            progress(date.fromordinal(day), day - first_day + 1, total_days)
        if day in night_ord["trust"]:
            folder = _trust_folder(
                date.fromordinal(day), trust_state, trust_spill, enc["trust"], contracts["trust"]
            )
            _write(folder, out, fault_map, summary, fault_records, opts.seed)
        if keep_trust and day >= last_trust:
            for st in trust_state.values():
                st.clear()
        if day in night_ord["council"]:
            if day == council_first:
                folder = _council_full(
                    date.fromordinal(day), council_full, spill, enc["council"], contracts["council"]
                )
            else:
                folder = _council_delta(
                    date.fromordinal(day), council_day, enc["council"], contracts["council"]
                )
            _write(folder, out, fault_map, summary, fault_records, opts.seed)
            if day == council_first:  # written (its lines are made from this as they go)
                for st in council_full.values():
                    st.clear()
                spill.close()
        for st in council_day.values():
            st.clear()
        if day in night_ord["hr"]:
            posts, staff = hr_rows(world.workforce, date.fromordinal(day))
            folder = Folder("hr", date.fromordinal(day), "full", [posts, staff])
            _write(folder, out, fault_map, summary, fault_records, opts.seed)

    world.run(opts.end, on_change, on_day)
    summary.nights = len({d for s in SYSTEMS for d in nights[s]})
    summary.children = world.n_children
    if faults:
        log = opts.faults_log or default_faults_log(out)
        _write_fault_log(log, fault_records, opts, nights)
        summary.faults = fault_records
        summary.faults_log = log
    if opts.truth is not None:
        from .truth import write_truth

        write_truth(world, Path(opts.truth), opts)
    default_stamp(out).write_text(json.dumps(stamp, sort_keys=True) + "\n", encoding="utf-8")
    if opts.truth is None and opts.save_world:
        trust_ok = keep_trust or world.done_through >= last_trust
        if trust_ok and trust_spill is not None:  # the spill file goes with this run
            _materialise(trust_state, trust_spill)
        checkpoint.save(out, stamp, world.done_through, world, trust_state if trust_ok else None)
    if trust_spill is not None:
        trust_spill.close()
    summary.seconds = time.perf_counter() - t0
    return summary


# ---------------------------------------------------------------------- folders
# A folder's lines are made as they are written (generators), so a large folder - the trust's
# snapshot, the council's first full folder - is never held whole in memory, twice over as
# text and bytes; _write lists them only when a fault must damage the folder first.
def _trust_lines(state, spill, encoder):
    for entry in state.values():
        ref = entry[2]
        if ref is None:
            # the line is all a later snapshot needs while the record does not change
            line = encoder.line(entry[0], entry[1])
            entry[0] = entry[1] = None
            entry[2] = spill.put(line)
            yield line
        elif type(ref) is int:
            yield spill.get(ref)
        else:  # kept in the saved world a run carried on from
            yield ref


def _trust_folder(night, state, spill, encoder, contract):
    files = [
        OutFile(table.file, name, table.header(), _trust_lines(state[name], spill, encoder))
        for name, table in contract.tables.items()
    ]
    return Folder("trust", night, "full", files)


def _materialise(state: dict, spill) -> None:
    """Lines on the spill file back into the state (for a saved world: the file is this run's)."""
    for table in state.values():
        for entry in table.values():
            if type(entry[2]) is int:
                entry[2] = spill.get(entry[2])


class _LineSpill:
    """Lines kept on disk until a folder is written: ``put`` appends one and gives back where
    it is (one int); ``get`` reads it back. A temporary file beside the landing folder, gone
    when closed."""

    LENGTH_BITS = 24

    def __init__(self, where: Path):
        import tempfile

        where.mkdir(parents=True, exist_ok=True)
        self.fh = tempfile.TemporaryFile(dir=where, prefix="generator-spill-")
        self.size = 0
        self.view = None

    def put(self, line: str) -> int:
        data = line.encode("utf-8", "surrogateescape")
        at = self.size
        self.fh.write(data)
        self.size += len(data)
        return (at << self.LENGTH_BITS) | len(data)

    def get(self, where: int) -> str:
        at, n = where >> self.LENGTH_BITS, where & ((1 << self.LENGTH_BITS) - 1)
        if self.view is None or len(self.view) < at + n:  # the file grew since it was mapped
            import mmap

            if self.view is not None:
                self.view.close()
            self.fh.flush()
            self.view = mmap.mmap(self.fh.fileno(), 0, access=mmap.ACCESS_READ)
        return self.view[at : at + n].decode("utf-8", "surrogateescape")

    def close(self) -> None:
        if self.view is not None:
            self.view.close()
        self.fh.close()


def _council_full_lines(state, spill, encoder):
    for entry in state.values():
        if type(entry) is int:
            yield spill.get(entry)
        else:  # it, or a record it names, had no id yet when it changed
            rec, row, day, secs = entry
            yield encoder.line(rec, row, ("I", encoder.timestamp(day, secs)))


def _council_full(night, state, spill, encoder, contract):
    files = [
        OutFile(table.file, name, table.header(), _council_full_lines(state[name], spill, encoder))
        for name, table in contract.tables.items()
    ]
    return Folder("council", night, "full", files)


def _council_delta(night, state, encoder, contract):
    files = []
    for name, table in contract.tables.items():
        lines = (
            encoder.line(rec, row, (kind, encoder.timestamp(day, secs)))
            for rec, (kind, row, day, secs) in state[name].items()
        )
        files.append(OutFile(table.file, name, table.header(), lines))
    return Folder("council", night, "delta", files)


def _write(folder: Folder, out: Path, fault_map, summary: Summary, fault_records: list, seed: int):
    system, night = folder.system, folder.night
    faults = fault_map.get((system, night), [])
    path = out / system / night.isoformat()
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    if faults or system == "hr":  # damaged first, or a workbook: the folder in memory
        for f in folder.files:
            f.lines = list(f.lines)
    else:
        entries, nbytes = [], 0
        for f in folder.files:
            rows, size, digest = stream_text_file(folder.system, path / f.name, f)
            entries.append({"name": f.name, "table": f.table, "rows": rows, "sha256": digest})
            nbytes += size
        text = json.dumps(_manifest(folder, entries, late=False), indent=2) + "\n"
        (path / "_manifest.json").write_text(text, encoding="utf-8")
        _count(summary, system, entries, len(entries) + 1, nbytes + len(text))
        return
    rng = random.Random(f"{seed}:fault:{system}:{night.isoformat()}")
    for f in faults:
        if f.kind in CONTENT:
            rec = apply_content(folder, f, rng)
            fault_records.append(_fault_record(f, rec))
    entries = []
    written: list[tuple[str, bytes]] = []
    if system == "hr":
        data = file_bytes(folder, folder.files[0], folder.files)
        digest = sha256(data)
        for f in folder.files:
            entries.append(
                {"name": f.name, "table": f.table, "rows": len(f.lines), "sha256": digest}
            )
        written.append((folder.files[0].name, data))
    else:
        for f in folder.files:
            data = file_bytes(folder, f)
            entries.append(
                {"name": f.name, "table": f.table, "rows": len(f.lines), "sha256": sha256(data)}
            )
            written.append((f.name, data))
    kinds = {f.kind: f for f in faults}
    for kind in ("missing_file", "truncated_file", "wrong_checksum"):
        if kind not in kinds:
            continue
        f = kinds[kind]
        names = [n for n, _ in written]
        candidates = [n for n in names if f.target in (None, n)] or names
        sized = [n for n, d in written if n in candidates and d.count(b"\n") > 2] or candidates
        name = rng.choice(sized)
        i = names.index(name)
        detail = ""
        if kind == "missing_file":
            written[i] = (name, None)
            detail = "listed in the manifest, not delivered"
        elif kind == "truncated_file":
            data = written[i][1]
            cut = max(1, int(len(data) * rng.uniform(0.4, 0.8)))
            while cut > 1 and data[cut - 1 : cut] in (b"\n", b"\r"):
                cut -= 1
            written[i] = (name, data[:cut])
            detail = f"cut at byte {cut} of {len(data)}"
        else:
            for e in entries:
                if e["name"] == name:
                    e["sha256"] = sha256(b"wrong" + e["sha256"].encode())
            detail = "manifest sha256 does not match the file"
        fault_records.append(
            _fault_record(f, {"file": name, "table": None, "line": None, "detail": detail})
        )
    nbytes = 0
    for name, data in written:
        if data is None:
            continue
        (path / name).write_bytes(data)
        nbytes += len(data)
    manifest = _manifest(folder, entries, late="late_manifest" in kinds)
    text = json.dumps(manifest, indent=2) + "\n"
    if "missing_manifest" in kinds:
        fault_records.append(
            _fault_record(
                kinds["missing_manifest"],
                {
                    "file": "_manifest.json",
                    "detail": "no manifest: the folder looks still being written",
                },
            )
        )
    else:
        (path / "_manifest.json").write_text(text, encoding="utf-8")
        nbytes += len(text)
    if "late_manifest" in kinds:
        fault_records.append(
            _fault_record(
                kinds["late_manifest"],
                {
                    "file": "_manifest.json",
                    "detail": f"generated_at {manifest['generated_at']}: after the expected arrival",
                },
            )
        )
    if "duplicate_folder" in kinds:
        dup = out / system / f"{night.isoformat()}_2"
        if dup.exists():
            shutil.rmtree(dup)
        shutil.copytree(path, dup)
        if (dup / "_manifest.json").exists():
            again = dict(manifest, generated_at=manifest["generated_at"].replace("T0", "T1", 1))
            (dup / "_manifest.json").write_text(
                json.dumps(again, indent=2) + "\n", encoding="utf-8"
            )
        fault_records.append(
            _fault_record(
                kinds["duplicate_folder"],
                {
                    "file": None,
                    "detail": f"delivered twice: a second copy in {dup.name}/ (same extract_date)",
                },
            )
        )
    files = sum(1 for _, d in written if d is not None) + (0 if "missing_manifest" in kinds else 1)
    _count(summary, system, entries, files, nbytes)


def _manifest(folder: Folder, entries: list[dict], late: bool) -> dict:
    return {
        "system": folder.system,
        "extract_date": folder.night.isoformat(),
        "schema_version": folder.schema_version,
        "generated_at": generated_at(folder.system, folder.night, late=late),
        "mode": folder.mode,
        "files": entries,
    }


def _count(summary: Summary, system: str, entries: list[dict], files: int, nbytes: int) -> None:
    rows = sum(e["rows"] for e in entries)
    summary.folders += 1
    summary.files += files
    summary.rows += rows
    summary.bytes += nbytes
    s = summary.by_system[system]
    s["folders"] += 1
    s["rows"] += rows
    s["bytes"] += nbytes


def _fault_record(f: Fault, rec: dict) -> dict:
    return {
        "system": f.system,
        "extract_date": f.night.isoformat(),
        "kind": f.kind,
        "folder": f"{f.system}/{f.night.isoformat()}",
        "file": rec.get("file"),
        "table": rec.get("table"),
        "line": rec.get("line"),
        "detail": rec.get("detail", ""),
    }


def _write_fault_log(path: Path, records: list[dict], opts: GenerateOptions, nights) -> None:
    """Merge with an existing log: entries for the nights written now are replaced."""
    path = Path(path)
    old = []
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8")).get("faults", [])
        except (ValueError, AttributeError):
            old = []
    written = {(s, d.isoformat()) for s in SYSTEMS for d in nights[s]}
    keep = [r for r in old if (r["system"], r["extract_date"]) not in written]
    allf = sorted(keep + records, key=lambda r: (r["extract_date"], r["system"], r["kind"]))
    doc = {"landing": str(Path(opts.out)), "seed": opts.seed, "scale": opts.scale, "faults": allf}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
