"""Measures of the simulated world, straight from the replay (no files): used by the realism
test and to document the generator. Counts are across systems (trust and council records
together), as the mart would see them once matched."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from .sim import World

YEAR = 365


def _is_ref(rec, row):
    return rec.table == "referrals" or (rec.table == "workflow_steps" and row[2] == "REF")


def measure(
    seed: int, scale: float, dates: list[date], world: World | None = None
) -> dict[str, dict]:
    """Replay the world up to the last of ``dates``; measures as at each date."""
    world = world or World(seed, scale)
    wanted = {d.toordinal(): d for d in dates}
    open_: dict[str, dict] = {k: {} for k in ("ref", "cp", "cla", "cwd", "alloc")}
    ref_days: dict[int, list] = defaultdict(list)  # child -> [(day, technical reopen?)]
    last_reason: dict[int, str] = {}
    referrals: list[tuple[int, bool]] = []  # (day, re-referral)
    cp_starts: list[int] = []
    ehcp: dict = {}
    sw_hist: dict[int, list] = defaultdict(list)  # child -> [(day, worker)]
    front_door: dict[str, dict] = {"CONTACT": {}, "EH": {}}  # step type -> rec -> start day
    out: dict[str, dict] = {}

    def on_change(day, secs, rec, kind, row):
        t = rec.table
        if kind == "D":
            for st in open_.values():
                st.pop(rec, None)
            for st in front_door.values():
                st.pop(rec, None)
            return
        if t == "workflow_steps" and row[2] in front_door:
            front_door[row[2]][rec] = row[3]
        if t == "ehcp":
            ehcp[rec] = row
            return
        if t == "allocations":
            end = row[6] if rec.system == "trust" else row[5]
            role = row[4] if rec.system == "trust" else row[3]
            if role == "SW":
                if end is None:
                    open_["alloc"][rec] = rec.worker
                    hist = sw_hist[rec.child.idx]
                    if not hist or hist[-1][1] is not rec.worker:
                        hist.append((day, rec.worker))
                else:
                    open_["alloc"].pop(rec, None)
            return
        if rec.system == "trust":
            end_idx = {"referrals": 5, "cp_plans": 4, "cla_episodes": 3, "cwd_involvements": 3}.get(
                t
            )
            key = {
                "referrals": "ref",
                "cp_plans": "cp",
                "cla_episodes": "cla",
                "cwd_involvements": "cwd",
            }.get(t)
        else:
            if t != "workflow_steps":
                return
            key = {"REF": "ref", "CPP": "cp", "LAC": "cla", "CWD": "cwd"}.get(row[2])
            end_idx = 4
        if key is None:
            return
        if row[end_idx] is None:
            if rec not in open_[key]:
                open_[key][rec] = rec.child
                if key == "ref":
                    c = rec.child.idx
                    technical = (
                        last_reason.get(c, ("", 0))[0] == "TECH" and day - last_reason[c][1] <= 10
                    )
                    if not technical:
                        prev = [d for d in ref_days[c] if day - d <= YEAR]
                        referrals.append((day, bool(prev)))
                        ref_days[c].append(day)
                if key == "cp":
                    technical = (
                        rec.system == "trust" and day - 14 < date(2016, 4, 1).toordinal()
                    ) or (
                        rec.system == "council"
                        and date(2022, 4, 1).toordinal() <= day < date(2022, 4, 12).toordinal()
                    )
                    if not technical:
                        cp_starts.append(day)
        else:
            open_[key].pop(rec, None)
            if key == "ref":
                reason = row[6] if rec.system == "trust" else row[5]
                last_reason[rec.child.idx] = (reason, day)

    def on_day(day):
        if day not in wanted:
            return
        d = wanted[day]
        yr = day - YEAR
        loads: dict = defaultdict(int)
        for w in open_["alloc"].values():
            if w is not None:
                loads[w] += 1
        open_children = {c.idx: c for c in open_["ref"].values()}
        allocated = {rec.child.idx for rec in open_["alloc"]}
        disabled = [c for c in open_children.values() if c.disabilities]
        refs = [r for r in referrals if r[0] > yr]
        contacts = sum(1 for x in front_door["CONTACT"].values() if yr < x <= day)
        issued = [r for r in ehcp.values() if r[3] is not None and yr < r[3] <= day]
        wf = world.workforce
        sw_posts = [
            p
            for p in wf.posts
            if p.sw_post and p.est_from <= day and (p.est_to is None or p.est_to > day)
        ]
        holders = {w.post.number: w for w in wf.staff if w.active(day)}
        vacant = sum(p.fte for p in sw_posts if p.number not in holders)
        filled = [holders[p.number] for p in sw_posts if p.number in holders]
        filled_fte = sum(w.fte for w in filled)
        agency_fte = sum(w.fte for w in filled if w.agency)
        leavers = sum(
            w.fte
            for w in wf.staff
            if w.post.sw_post and not w.agency and w.leave is not None and yr < w.leave <= day
        )
        perm_fte = sum(w.fte for w in filled if not w.agency)
        changes = sum(
            1 for c in open_children if len({id(w) for dd, w in sw_hist.get(c, []) if dd > yr}) >= 3
        )
        case_loads = sorted(loads.values())
        out[d.isoformat()] = {
            "open_cin": len(open_children),
            "open_cp": len({c.idx for c in open_["cp"].values()}),
            "open_cla": len({c.idx for c in open_["cla"].values()}),
            "open_cwd": len({c.idx for c in open_["cwd"].values()}),
            "referrals_12m": len(refs),
            "re_referral_rate": round(sum(1 for r in refs if r[1]) / max(1, len(refs)), 3),
            "contacts_12m": contacts,
            "contacts_per_referral": round(contacts / max(1, len(refs)), 2),
            "early_help_started_12m": sum(1 for x in front_door["EH"].values() if yr < x <= day),
            "cp_starts_12m": sum(1 for x in cp_starts if x > yr),
            "unallocated": len(set(open_children) - allocated),
            "disabled_share": round(len(disabled) / max(1, len(open_children)), 3),
            "hidden_share_of_disabled": round(
                sum(1 for c in disabled if any(h for _, _, h in c.disabilities))
                / max(1, len(disabled)),
                3,
            ),
            "ehcp_issued_12m": len(issued),
            "ehcp_20_weeks": round(
                sum(1 for r in issued if r[3] - r[2] <= 140) / max(1, len(issued)), 3
            ),
            "vacancy_rate": round(vacant / max(1e-9, vacant + filled_fte), 3),
            "agency_rate": round(agency_fte / max(1e-9, filled_fte), 3),
            "turnover": round(leavers / max(1e-9, perm_fte), 3),
            "caseload_mean": round(sum(case_loads) / max(1, len(case_loads)), 1),
            "caseload_max": case_loads[-1] if case_loads else 0,
            "workers_over_25": sum(1 for x in case_loads if x > 25),
            "sw_changes_3plus": round(changes / max(1, len(open_children)), 3),
        }

    last = max(dates)
    world.run(last, on_change, on_day)
    return out


def default_dates() -> list[date]:
    return [
        date(2015, 9, 30),
        date(2017, 3, 31),
        date(2019, 9, 30),
        date(2021, 3, 31),
        date(2023, 3, 31),
        date(2024, 9, 30),
        date(2025, 9, 30),
    ]


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys
    import time

    t0 = time.perf_counter()
    res = measure(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1,
        float(sys.argv[2]) if len(sys.argv) > 2 else 1.0,
        default_dates(),
    )
    print(json.dumps(res, indent=1))
    print(f"{time.perf_counter() - t0:.1f}s", file=sys.stderr)
    _ = timedelta
