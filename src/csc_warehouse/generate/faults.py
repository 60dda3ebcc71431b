"""Damaging chosen nights the ways sources.md says real deliveries go wrong.

Spec: ``SYSTEM:YYYY-MM-DD:KIND[:FILE]`` items separated by commas, or ``random:N`` (N faults on
random written nights, every kind used before any repeats, from the generator's seed).
Every fault applied is recorded (system, extract_date, kind, file, table, line, detail) in a
sidecar JSON outside the landing folder.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from csc_warehouse.contracts import load_contract

# content faults change what the system wrote (the manifest agrees with the file);
# transport faults break the delivery (the manifest describes the intended file).
CONTENT = (
    "duplicated_rows",
    "impossible_date",
    "unknown_code",
    "cp1252_byte",
    "added_column",
    "dropped_column",
    "delete_never_inserted",
)
TRANSPORT = ("missing_file", "truncated_file", "wrong_checksum")
DELIVERY = ("missing_manifest", "late_manifest", "duplicate_folder")
KINDS = DELIVERY + TRANSPORT + CONTENT
NOT_FOR = {
    "trust": {"delete_never_inserted"},
    "hr": {"delete_never_inserted", "cp1252_byte"},
    "council": set(),
}


@dataclass(frozen=True)
class Fault:
    system: str
    night: date
    kind: str
    target: str | None = None  # a file name (or hr sheet name)


class FaultSpecError(ValueError):
    pass


def parse_faults(spec: str | None, seed: int, nights: dict[str, list[date]]) -> list[Fault]:
    if not spec:
        return []
    out: list[Fault] = []
    for item in [s.strip() for s in spec.split(",") if s.strip()]:
        parts = item.split(":")
        if parts[0] == "random":
            if len(parts) != 2 or not parts[1].isdigit():
                raise FaultSpecError(f"bad fault {item!r}: use random:N")
            out.extend(_random(int(parts[1]), seed, nights))
            continue
        if len(parts) not in (3, 4):
            raise FaultSpecError(f"bad fault {item!r}: use SYSTEM:YYYY-MM-DD:KIND[:FILE]")
        system, day, kind = parts[:3]
        if system not in NOT_FOR:
            raise FaultSpecError(f"bad fault {item!r}: unknown system {system!r}")
        if kind not in KINDS:
            raise FaultSpecError(
                f"bad fault {item!r}: unknown kind {kind!r} (one of {', '.join(KINDS)})"
            )
        if kind in NOT_FOR[system]:
            raise FaultSpecError(f"bad fault {item!r}: {kind} does not apply to {system}")
        try:
            night = date.fromisoformat(day)
        except ValueError as exc:
            raise FaultSpecError(f"bad fault {item!r}: {exc}") from None
        if night not in set(nights.get(system, [])):
            raise FaultSpecError(f"bad fault {item!r}: no {system} folder is written for {day}")
        target = parts[3] if len(parts) == 4 else None
        if target is not None:
            c = load_contract(system)
            if target not in c.files and target not in {t.sheet for t in c.tables.values()}:
                raise FaultSpecError(f"bad fault {item!r}: {system} has no file {target!r}")
        out.append(Fault(system, night, kind, target))
    return out


def _random(n: int, seed: int, nights: dict[str, list[date]]) -> list[Fault]:
    rng = random.Random(f"{seed}:faults:{n}")
    systems = [s for s in ("trust", "council", "hr") if nights.get(s)]
    if not systems:
        return []
    out: list[Fault] = []
    kinds: list[str] = []
    used: set[tuple] = set()
    while len(out) < n:
        if not kinds:
            kinds = list(KINDS)
            rng.shuffle(kinds)
        kind = kinds.pop()
        options = [s for s in systems if kind not in NOT_FOR[s]]
        system = rng.choice(options)
        night = rng.choice(nights[system])
        if (system, night) in used and len(used) < sum(len(v) for v in nights.values()):
            kinds.append(kind)
            continue
        used.add((system, night))
        out.append(Fault(system, night, kind))
    return out


# ---------------------------------------------------------------------- content faults
# the column types a row-level fault needs in its file (a file has none: it is not picked)
FAULT_COLUMN_TYPES = {"impossible_date": {"date"}, "unknown_code": {"code", "bool"}}


def _damageable(system: str, f, kind: str) -> bool:
    types = FAULT_COLUMN_TYPES.get(kind)
    if types is None:
        return True
    table = load_contract(system).tables[f.table]
    return any(c.type in types and c.name != "CHANGE_TYPE" for c in table.columns_for("1"))


def _pick_file(folder, fault, rng, need_rows=True):
    files = folder.files
    if fault.target:
        files = [f for f in files if f.name == fault.target or f.sheet == fault.target] or files
    files = [f for f in files if _damageable(folder.system, f, fault.kind)] or files
    with_rows = [f for f in files if f.lines]
    pool = with_rows if (need_rows and with_rows) else files
    return rng.choice(pool)


def _split(system, line):
    if system == "hr":
        return list(line)
    return line.split("," if system == "trust" else "|")


def _join(system, fields):
    if system == "hr":
        return fields
    return ("," if system == "trust" else "|").join(fields)


def apply_content(folder, fault: Fault, rng: random.Random) -> dict:
    """Damage ``folder`` (in memory) and say where."""
    system = folder.system
    contract = load_contract(system)
    kind = fault.kind
    rec = {"file": None, "table": None, "line": None, "detail": ""}
    if kind == "delete_never_inserted":
        f = next(x for x in folder.files if x.table == "visits")
        n = len(f.lines)
        day = folder.night.isoformat()
        f.lines.append(f"{9990000 + rng.randint(0, 9999)}|200001|{day}|OTHER|N||D|{day}T12:00:00")
        rec.update(
            file=f.name, table=f.table, line=n + 2, detail="a D row for a VISIT_ID never inserted"
        )
        return rec
    if kind in ("added_column", "dropped_column"):
        f = _pick_file(folder, fault, rng, need_rows=False)
        table = contract.tables[f.table]
        if kind == "added_column":
            extra = {"trust": "extra_flag", "council": "EXTRA_FLAG", "hr": "Extra Note"}[system]
            f.header = f.header + [extra]
            f.lines = [_join(system, _split(system, ln) + ["X"]) for ln in f.lines]
            detail = f"header gained column {extra!r}"
        else:
            optional = [
                i
                for i, c in enumerate(table.columns_for("1"))
                if not c.required
                and c.name not in table.key
                and c.name not in ("CHANGE_TYPE", "LAST_MODIFIED")
            ]
            i = optional[-1] if optional else len(f.header) - 1
            detail = f"header lost column {f.header[i]!r}"
            f.header = f.header[:i] + f.header[i + 1 :]
            new = []
            for ln in f.lines:
                v = _split(system, ln)
                new.append(_join(system, v[:i] + v[i + 1 :]))
            f.lines = new
        folder.schema_version = "2"
        rec.update(file=f.name, table=f.table, line=1, detail=detail + "; schema_version 2")
        if system == "hr":
            rec["file"] = f"{f.name}#{f.sheet}"
        return rec
    # row-level faults: pick a file with rows
    f = _pick_file(folder, fault, rng)
    table = contract.tables[f.table]
    cols = table.columns_for("1")
    if not f.lines:
        if kind == "duplicated_rows" or True:
            rec.update(file=f.name, table=f.table, detail="no rows that night: nothing damaged")
            return rec
    i = rng.randrange(len(f.lines))
    fields = _split(system, f.lines[i])
    line_no = i + 2
    if kind == "duplicated_rows":
        f.lines.insert(i + 1, f.lines[i])
        line_no = i + 3
        detail = "a data row delivered twice"
    elif kind == "impossible_date":
        idx = [j for j, c in enumerate(cols) if c.type == "date" and fields[j] not in ("", None)]
        if not idx:
            idx = [j for j, c in enumerate(cols) if c.type == "date"]
        j = rng.choice(idx)
        year = rng.choice([2019, 2020, 2021, 2023])
        bad = {"trust": f"31/02/{year}", "council": f"{year}-02-31", "hr": f"31/02/{year}"}[system]
        fields[j] = bad
        detail = f"{cols[j].name} = {bad}"
    elif kind == "unknown_code":
        idx = [j for j, c in enumerate(cols) if c.type == "code" and c.name != "CHANGE_TYPE"]
        if not idx:
            idx = [j for j, c in enumerate(cols) if c.type == "bool"]
        j = rng.choice(idx)
        fields[j] = "Maybe" if cols[j].type == "bool" else "ZZ9"
        detail = f"{cols[j].name} = {fields[j]}"
    elif kind == "cp1252_byte":
        idx = (
            [j for j, c in enumerate(cols) if c.type == "text" and c.pii]
            or [j for j, c in enumerate(cols) if c.type == "text"]
            or [0]
        )
        j = rng.choice(idx)
        fields[j] = (fields[j] or "Zoe") + "\udce9"  # written as the single byte 0xE9
        detail = f"{cols[j].name}: a Windows-1252 byte 0xE9"
    else:  # pragma: no cover
        raise FaultSpecError(kind)
    if kind != "duplicated_rows":
        f.lines[i] = _join(system, fields)
    rec.update(
        file=f.name if system != "hr" else f"{f.name}#{f.sheet}",
        table=f.table,
        line=line_no,
        detail=detail,
    )
    return rec
