"""Ground truth for tests (``--truth DIR``): which source records are one child, which
closures are technical and what they reopened as, the CP plans across transfers."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path


def _d(day):
    return date.fromordinal(day).isoformat() if day is not None else ""


def _id(rec):
    return rec.id if rec is not None and rec.id else ""


def write_truth(world, out: Path, opts) -> None:
    out.mkdir(parents=True, exist_ok=True)
    end = opts.end.toordinal()
    with (out / "children.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "child_id",
                "trust_person_id",
                "council_person_id",
                "nhs_number",
                "dob",
                "sex",
                "forename",
                "surname",
                "hidden_disabilities",
                "other_disabilities",
            ]
        )
        for c in world.truth_children:
            t, k = _id(c.persons.get("trust")), _id(c.persons.get("council"))
            if not t and not k:
                continue
            w.writerow(
                [
                    f"C{c.idx:07d}",
                    t,
                    k,
                    c.nhs or "",
                    _d(c.dob),
                    c.sex,
                    c.forename,
                    c.surname,
                    ";".join(x[0] for x in c.disabilities if x[2]),
                    ";".join(x[0] for x in c.disabilities if not x[2]),
                ]
            )
    with (out / "technical_closures.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "child_id",
                "service",
                "table",
                "closed_system",
                "closed_id",
                "reopened_system",
                "reopened_id",
            ]
        )
        for idx, service, table, old, new in world.truth_links:
            if not _id(old):
                continue
            w.writerow(
                [
                    f"C{idx:07d}",
                    service,
                    table,
                    old.system,
                    _id(old),
                    new.system if new is not None and _id(new) else "",
                    _id(new),
                ]
            )
    with (out / "cp_plans.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["child_id", "episode", "start_date", "end_date", "records"])
        for idx, n, start, stop, recs in world.truth_plans:
            if start > end:
                continue
            w.writerow(
                [
                    f"C{idx:07d}",
                    n,
                    _d(start),
                    _d(stop) if stop <= end else "",
                    ";".join(f"{r.system}:{_id(r)}" for r in recs if _id(r)),
                ]
            )
    with (out / "referrals.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["child_id", "episode", "referral_date", "closure_date", "closure_reason", "records"]
        )
        for c in world.truth_children:
            for ep in (c.truth or {}).get("referrals", []):
                if ep["referral_date"] > end:
                    continue
                closed = ep["closure_date"] <= end
                w.writerow(
                    [
                        f"C{c.idx:07d}",
                        ep["episode"],
                        _d(ep["referral_date"]),
                        _d(ep["closure_date"]) if closed else "",
                        ep["closure_reason"] if closed else "",
                        ";".join(f"{r.system}:{_id(r)}" for r in ep["recs"] if _id(r)),
                    ]
                )
    (out / "README.json").write_text(
        json.dumps(
            {
                "seed": opts.seed,
                "scale": opts.scale,
                "end": opts.end.isoformat(),
                "files": {
                    "children.csv": "one row per simulated child: its person id in each system",
                    "technical_closures.csv": "records closed technically at a transfer and the record that reopened them",
                    "cp_plans.csv": "each real CP plan and the system records that make it up",
                    "referrals.csv": "each real CIN episode (referral) and the records that make it up",
                },
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
