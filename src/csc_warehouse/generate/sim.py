"""The simulated world: children, their social care histories, and how each source system
recorded them, replayed day by day.

How it stays fast, small and deterministic:

* every child's whole life is drawn, when the child first arrives, from its own random stream
  ``Random(f"{seed}:child:{index}")`` and projected at once into the records each system
  would hold (splitting cases at the system transfers, with technical closures);
* each record change is pushed on one heap ordered by (day, second, push sequence) and popped
  day by day; ids are given when a record is first popped, so the state at night N only
  depends on what happened up to N (generating a range gives the same files as the whole
  history) and memory holds only the future of the children alive now;
* the things that depend on everybody (which social worker gets a case, given caseloads and
  who has left) are decided when the allocation is popped, in date order.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from . import people
from .calendar import (
    HORIZON,
    O_CWD_TO_TRUST,
    O_TRUST_RETURN,
    O_TRUST_START,
    WORLD_START,
    add_working_days,
    is_working_day,
)
from .draws import choice, randint
from .workforce import ASSESSMENT_TEAMS, CIC_TEAMS, SAFEGUARDING_TEAMS, Workforce

D = date.toordinal
LAST_SECOND = 86399  # 23:59:59
YEAR = 365.25
LA_CODE = 931

# arrivals a year at scale 1
RATE_SC = 2500  # children new to the front door (referrals: ~4,000 a year with re-referrals)
RATE_CWD_ONLY = 40  # disabled children known only to the disabled children's service
RATE_SEN_ONLY = 260  # children with an EHCP request, not known to social care
# children whose contacts at the front door never become a referral (with the contacts that do,
# ~2.2 contacts a referral); some are signposted to early help
RATE_FRONT_DOOR = 3500
FRONT_DOOR_IDX = 100_000_000  # their Child.idx: apart from the referred children's
# A contact and its early help last weeks, so they need no warm-up: the front door opens a
# year before the first extract (its history is then in the council's first full folder).
FRONT_DOOR_START = date(2014, 4, 1)
# what a contact that is not a referral ends with: information and advice, signposted to
# another service, early help, no further action
CONTACT_OUTCOMES = ["IA", "SIGN", "EH", "NFA"]
CONTACT_OUTCOME_W = [30, 22, 18, 30]
# how an early help episode of a child never referred ends: needs met, or the family withdrew
# its consent (the episodes stepped up to a referral, ESCALATED, are the referred children's)
EH_OUTCOMES = ["COMPLETED", "WITHDRAWN"]
EH_OUTCOME_W = [75, 25]

REF_SOURCES = [
    "1A",
    "1B",
    "1C",
    "1D",
    "2A",
    "2B",
    "3A",
    "3B",
    "3C",
    "3D",
    "3E",
    "3F",
    "4",
    "5A",
    "5B",
    "5C",
    "5D",
    "6",
    "7",
    "8",
    "9",
    "10",
]
REF_SOURCE_W = [3, 1, 1, 1, 14, 1, 8, 6, 2, 1, 3, 3, 6, 18, 3, 3, 1, 8, 1, 4, 6, 6]
NEEDS = ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9", "N0"]
NEED_W = [50, 3, 3, 20, 8, 3, 2, 2, 5, 4]
FACTORS = (
    "1B 2B 3A 3B 3C 4A 4B 5A 5B 6A 6B 7A 9A 10A 11A 14A 15A 16A 17A 18B 19B 21 22A 23A 24A 1A 2A"
).split()
FACTOR_W = [6, 6, 4, 10, 2, 5, 12, 2, 2, 2, 2, 1, 1, 2, 2, 2, 2, 8, 8, 2, 4, 3, 1, 2, 1, 1, 1]
CATS = ["NEG", "EMO", "PHY", "SAB", "MUL"]
CAT_W = [46, 36, 8, 4, 6]
HIDDEN = ("AUT", "LD", "BEH", "COMM")
VISIBLE = ("MOB", "HAND", "PC", "INC", "HEAR", "VIS", "CON", "DDA")
FOSTER = ["U1", "U2", "U3", "U4", "U5", "U6"]
COURSES = [
    "TSD workbook",
    "Safer caring",
    "First aid",
    "Attachment and trauma",
    "Managing allegations",
    "Online safety",
    "Skills to Foster",
    "Delegated authority",
]

TRANSFERS = {  # service -> [(transfer day, old system, new system, child reopen-delay slot)]
    "sc": [(O_TRUST_START, "council", "trust", 0), (O_TRUST_RETURN, "trust", "council", 2)],
    "cwd": [(O_CWD_TO_TRUST, "council", "trust", 1), (O_TRUST_RETURN, "trust", "council", 2)],
    "council": [],
}


class _Sentinel:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def __reduce__(self):  # pickled as the module's own object: compared with ``is``
        return self.name


SELF = _Sentinel("SELF")  # the record's own id
WORKER = _Sentinel("WORKER")  # the record's worker (set when popped)


class Rec:
    """One source record: system, table, id (given when first popped), its child."""

    __slots__ = ("system", "table", "id", "child", "worker", "extra")

    def __init__(self, system, table, child=None, extra=None):
        self.system = system
        self.table = table
        self.id = None
        self.child = child
        self.worker = None
        self.extra = extra

    def __repr__(self):
        return f"<{self.system}.{self.table} {self.id}>"


ID_FORMATS = {
    ("trust", "persons"): ("T{}", 1000001),
    ("trust", "referrals"): ("R{}", 100001),
    ("trust", "assessments"): ("A{}", 100001),
    ("trust", "section47"): ("S{}", 10001),
    ("trust", "cin_plans"): ("N{}", 10001),
    ("trust", "cp_plans"): ("C{}", 10001),
    ("trust", "cla_episodes"): ("E{}", 10001),
    ("trust", "allocations"): ("L{}", 100001),
    ("trust", "visits"): ("V{}", 1000001),
    ("trust", "missing"): ("M{}", 10001),
    ("trust", "cwd_involvements"): ("D{}", 1001),
    ("council", "people"): ("{}", 200001),
    ("council", "workflow_steps"): ("{}", 5000001),
    ("council", "allocations"): ("{}", 300001),
    ("council", "ehcp"): ("{}", 7001),
    ("council", "foster_carers"): ("{}", 801),
    ("council", "foster_training"): ("{}", 20001),
    ("council", "placements"): ("{}", 40001),
    ("council", "visits"): ("{}", 6000001),
    ("council", "missing"): ("{}", 80001),
}


@dataclass(slots=True)
class Child:
    idx: int
    kind: str  # sc | cwd | sen | fd (front door: contacts only, perhaps early help)
    sex: str
    dob: int
    forename: str
    surname: str
    nhs: str | None
    upn: str | None
    eth: str
    district_team: str
    reopen: tuple[int, int, int]
    disabilities: list = field(default_factory=list)  # [(code, onset day, hidden)]
    persons: dict = field(default_factory=dict)  # system -> person Rec
    sw: dict = field(default_factory=dict)  # (system, role) -> Worker
    truth: dict | None = None


class _Arrivals:
    """The days children are first referred, and of which kind (social care, the disabled
    children's service only, an EHCP request only): an iterator with plain state, so a world
    can be saved part way and continued."""

    RATES = (("sc", RATE_SC), ("cwd", RATE_CWD_ONLY), ("sen", RATE_SEN_ONLY))

    def __init__(self, seed: int, scale: float):
        self.rng = random.Random(f"{seed}:arrivals")
        self.horizon = D(HORIZON)
        self.total = sum(r for _, r in self.RATES) * scale / YEAR
        self.t = float(D(WORLD_START))

    def __iter__(self):
        return self

    def __next__(self):
        if not self.t < self.horizon:
            raise StopIteration
        rng = self.rng
        self.t += rng.expovariate(self.total)
        kind = rng.choices([k for k, _ in self.RATES], [r for _, r in self.RATES])[0]
        day = int(self.t)
        if not is_working_day(day) and rng.random() < 0.85:
            day = add_working_days(day, 0)
        return day, kind


class _FrontDoorArrivals:
    """The days children reach the front door with a contact that never becomes a referral."""

    def __init__(self, seed: int, scale: float):
        self.rng = random.Random(f"{seed}:front-door")
        self.rate = RATE_FRONT_DOOR * scale / YEAR
        self.horizon = D(HORIZON)
        self.t = float(D(FRONT_DOOR_START))

    def __iter__(self):
        return self

    def __next__(self):
        if self.rate <= 0 or not self.t < self.horizon:
            raise StopIteration
        self.t += self.rng.expovariate(self.rate)
        day = int(self.t)
        if not is_working_day(day) and self.rng.random() < 0.9:
            day = add_working_days(day, 0)
        return day


class World:
    """The whole simulated authority. ``run(end, on_day)`` replays it day by day."""

    def __init__(
        self, seed: int = 1, scale: float = 1.0, want_truth: bool = False, la_code: int = LA_CODE
    ):
        self.seed = seed
        self.scale = scale
        # the authority's three-digit DfE number: the first digits of its children's UPNs
        self.la_code = la_code
        self.want_truth = want_truth
        self.workforce = Workforce(seed, scale)
        self.heap: list = []
        self.seq = 0
        self.counters: dict = {}
        self.n_children = 0
        self._arrivals = self._arrival_stream()
        self._next_arrival = next(self._arrivals)
        self.n_front_door = 0
        self._front_door_arrivals = self._front_door_stream()
        self._next_front_door = next(self._front_door_arrivals, None)
        self.carers: list[Rec] = []
        self.truth_children: list[Child] = []
        self.truth_links: list[tuple] = []  # (child idx, service, table, old rec, new rec)
        self.truth_plans: list[tuple] = []  # (child idx, plan no, start, end, [recs])
        self.stats: dict = {}
        self.today = D(WORLD_START)
        self.done_through = D(WORLD_START) - 1  # run() continues from the day after
        self._fostering()

    # ------------------------------------------------------------------ heap
    def push(self, day, secs, rec, kind, row=None):
        if day < self.today:
            day = self.today
        self.seq += 1
        heapq.heappush(self.heap, (day, secs, self.seq, rec, kind, row))

    def _assign_id(self, rec):
        key = (rec.system, rec.table)
        fmt = ID_FORMATS.get(key)
        if fmt is None:
            rec.id = ""
            return
        n = self.counters.get(key, fmt[1])
        self.counters[key] = n + 1
        rec.id = fmt[0].format(n)

    def run(self, end: date, on_change: Callable, on_day: Callable) -> None:
        """Replay every day up to ``end``, from the day after the last one replayed (the
        world's start, or where a saved world stopped): ``on_change(day, secs, rec, kind,
        row)`` for each record change (kind I, U or D), then ``on_day(day)``."""
        last = D(end)
        heap = self.heap
        pop = heapq.heappop
        for day in range(self.done_through + 1, last + 1):
            self.today = day
            while self._next_arrival is not None and self._next_arrival[0] <= day:
                self._arrive(*self._next_arrival)
                self._next_arrival = next(self._arrivals, None)
            while self._next_front_door is not None and self._next_front_door <= day:
                self._arrive_at_front_door(self._next_front_door)
                self._next_front_door = next(self._front_door_arrivals, None)
            while heap and heap[0][0] <= day:
                _, secs, _, rec, kind, row = pop(heap)
                if kind == "I":
                    if rec.id is None:
                        self._assign_id(rec)
                    on_change(day, secs, rec, "I", row)
                elif kind == "U" or kind == "D":
                    if rec.id is None and secs < LAST_SECOND:
                        # popped before its own insert: a child who arrived on a weekend and
                        # was only met after a later arrival moved to the Monday has its first
                        # records moved to the day it is met, their times kept, so a change
                        # made that day can come first. It waits for the insert, at the day's
                        # end (before, the insert overwrote it: contacts stayed undecided).
                        self.push(day, LAST_SECOND, rec, kind, row)
                        continue
                    on_change(day, secs, rec, kind, row)
                elif kind == "V":  # a visit: its worker is the child's worker of the day
                    rec.worker = rec.child.sw.get((rec.system, "SW")) or rec.child.sw.get(
                        (rec.system, "CWDW")
                    )
                    self._assign_id(rec)
                    on_change(day, secs, rec, "I", row)
                elif kind == "A":
                    self._allocate(day, secs, rec, on_change)
                elif kind == "E":
                    self._end_allocation(day, secs, rec, on_change)
            on_day(day)
            self.done_through = day

    # ------------------------------------------------------------------ arrivals
    def _arrival_stream(self):
        return _Arrivals(self.seed, self.scale)

    def _arrive(self, day, kind):
        idx = self.n_children
        self.n_children += 1
        rng = random.Random(f"{self.seed}:child:{idx}")
        Life(self, rng, idx, kind, day).build()

    def _front_door_stream(self):
        """Days children first reach the front door with a contact that is not a referral.
        A stream of its own, so the referred children's histories do not depend on it."""
        return _FrontDoorArrivals(self.seed, self.scale)

    def _arrive_at_front_door(self, day):
        n = self.n_front_door
        self.n_front_door += 1
        rng = random.Random(f"{self.seed}:front-door:{n}")
        Life(self, rng, FRONT_DOOR_IDX + n, "fd", day).build()

    # ------------------------------------------------------------------ allocations
    def _allocate(self, day, secs, rec, on_change):
        x = rec.extra
        child = rec.child
        wf = self.workforce
        worker = None
        prev = x.get("prefer")
        if prev is None and x.get("prefer_from") is not None:
            prev = x["prefer_from"].worker
        if prev is not None and prev.active(day) and prev.post.team == x["team"]:
            worker = prev
        if worker is None:
            teams = [x["team"]] + [t for t in x["alt"] if t != x["team"]]
            for team in teams:
                cands = wf.candidates(team, day)
                if cands:
                    rng = x["rng"]
                    worker = min(cands, key=lambda w: w.load / w.fte + rng.random() * 4)
                    break
        if worker is None and x.get("in_care"):
            # a child in care is never left without a social worker: another team covers
            cands = [w for team in sorted(wf.by_team) for w in wf.candidates(team, day)]
            if cands:
                worker = min(cands, key=lambda w: (w.load / w.fte, w.emp_no))
        if worker is None:  # nobody to allocate: the case waits
            # (before the first posts of 2009, for the warm-up's cases, until they exist)
            nxt = max(add_working_days(day + 1, 4), wf.first_post_day)
            if nxt < x["end"]:
                self.push(nxt, secs, rec, "A")
            return
        rec.worker = worker
        worker.load += 1
        child.sw[(rec.system, x["role"])] = worker
        self._assign_id(rec)
        x["start"] = day
        on_change(day, secs, rec, "I", x["row"](rec, day, None))
        end = x["end"]
        rng = x["rng"]
        split = False
        if worker.leave is not None and worker.leave - 1 < end:
            end, split = worker.leave - 1, True
        elif x["role"] == "SW" and not x.get("tech_end") and rng.random() < x.get("churn", 0.12):
            cut = day + int(rng.uniform(20, 300))
            if cut < end:
                end, split = cut, True
        end = max(end, day)
        x["actual_end"] = end
        x["split"] = split
        self.push(end, randint(rng, 28800, 68000), rec, "E")

    def _end_allocation(self, day, secs, rec, on_change):
        x = rec.extra
        w = rec.worker
        w.load -= 1
        key = (rec.system, x["role"])
        if rec.child.sw.get(key) is w:
            del rec.child.sw[key]
        on_change(day, secs, rec, "U", x["row"](rec, x["start"], day))
        if x["split"] and day < x["end"]:
            rng = x["rng"]
            nxt = add_working_days(day + 1, choice(rng, [0, 0, 1, 2, 3, 5, 8, 15]))
            if x.get("in_care"):  # handed over the next day, not left waiting
                nxt = day + 1
            if nxt <= x["end"]:
                new = Rec(rec.system, rec.table, rec.child, dict(x, prefer=None, split=False))
                self.push(nxt, secs, new, "A")
        # the allocation is over: the writers keep its Rec (a key of their state) for years,
        # its random stream (2.5 KB) and row maker need not come with it
        rec.extra = None

    # ------------------------------------------------------------------ fostering (council)
    def _fostering(self):
        rng = random.Random(f"{self.seed}:fostering")
        fos = [w for w in self.workforce.staff if w.post.team == "FOS"]
        n0 = max(3, round(150 * self.scale))
        horizon = D(HORIZON)
        t = float(D(WORLD_START))
        carers = []
        for _ in range(n0):  # carers approved before the history starts
            carers.append(D(WORLD_START) - int(rng.uniform(30, 12 * YEAR)))
        while t < horizon:
            t += rng.expovariate(max(1, round(22 * self.scale)) / YEAR)
            carers.append(int(t))
        for approved in carers:
            self._carer(rng, approved, fos, horizon)

    def _carer(self, rng, approved, fos, horizon):
        rec = Rec("council", "foster_carers")
        self.carers.append(rec)
        household = f"{choice(rng, people.SURNAMES)} household"
        places = choice(rng, [1, 1, 2, 2, 2, 3, 3, 4])
        dereg = approved + int(rng.expovariate(1 / (8 * YEAR))) if rng.random() < 0.9 else None
        if dereg is not None and dereg > horizon:
            dereg = None
        end = dereg or horizon
        sup = choice(rng, fos) if fos else None
        rec.extra = {"approved": approved, "dereg": dereg, "places": places}
        state = {
            "dbs": approved - randint(rng, 20, 120),
            "medical": approved - randint(rng, 20, 200) if rng.random() < 0.97 else None,
            "refs": rng.random() < 0.95,
            "review": None,
            "tsd": None,
        }
        created = max(approved - randint(rng, 60, 200), D(WORLD_START) - 5000)
        if created < D(WORLD_START):
            created = D(WORLD_START)

        def row(st, dereg_now):
            return (
                SELF,
                household,
                approved,
                dereg_now,
                places,
                st["dbs"],
                st["medical"],
                st["refs"],
                st["review"],
                st["tsd"],
                sup.emp_no if sup else None,
            )

        events = []
        if rng.random() < 0.85:
            state_tsd = approved + int(
                rng.uniform(60, 330) if rng.random() < 0.8 else rng.uniform(366, 700)
            )
            events.append((state_tsd, "tsd", state_tsd))
        d = approved + int(rng.uniform(330, 400))
        while d < end:
            events.append((d, "review", d))
            d += int(rng.uniform(320, 380) if rng.random() < 0.85 else rng.uniform(390, 600))
        d = state["dbs"] + int(
            rng.uniform(900, 1095) if rng.random() < 0.85 else rng.uniform(1100, 1400)
        )
        while d < end:
            events.append((d, "dbs", d))
            d += int(rng.uniform(900, 1095) if rng.random() < 0.85 else rng.uniform(1100, 1400))
        if state["medical"] is None and rng.random() < 0.5:
            events.append((approved + randint(rng, 30, 400), "medical", None))
        if not state["refs"] and rng.random() < 0.6:
            events.append((approved + randint(rng, 10, 200), "refs", True))
        events.sort(key=lambda e: e[0])
        first = True
        for d, what, val in (
            [(created, None, None)] + events + ([(dereg, "dereg", None)] if dereg else [])
        ):
            if what == "medical":
                val = d
            if what is not None and what != "dereg":
                state[what] = val
            if d < created:
                continue
            self.push(
                d,
                randint(rng, 28800, 68000),
                rec,
                "I" if first else "U",
                row(state, dereg if what == "dereg" else None),
            )
            first = False
        # training courses
        for course in rng.sample(COURSES, randint(rng, 1, 5)):
            done = approved + int(rng.uniform(-200, 1500))
            if done < created or done > end:
                continue
            t = Rec("council", "foster_training")
            self.push(done, randint(rng, 28800, 68000), t, "I", (SELF, rec, course, done))

    def placement_carer(self, rng, day) -> Rec | None:
        cands = [
            c
            for c in self.carers
            if c.extra["approved"] <= day
            and (c.extra["dereg"] is None or c.extra["dereg"] > day)
            and c.id is not None
        ]
        return choice(rng, cands) if cands else None


# ====================================================================== one child's life
class Life:
    """Draws one child's whole history and projects it into the systems' records."""

    def __init__(self, world: World, rng: random.Random, idx: int, kind: str, arrival: int):
        self.w = world
        self.rng = rng
        self.arrival = arrival
        self.kind = kind
        sex = "F" if rng.random() < 0.49 else "M"
        if kind in ("sc", "fd"):
            age = rng.choices(
                [rng.uniform(0, 5), rng.uniform(5, 10), rng.uniform(10, 16), rng.uniform(16, 17.9)],
                [36, 27, 29, 8],
            )[0]
        elif kind == "cwd":
            age = rng.uniform(1, 14)
        else:
            age = rng.uniform(2, 17)
        dob = arrival - int(age * YEAR) - randint(rng, 0, 30)
        self.child = Child(
            idx=idx,
            kind=kind,
            sex=sex,
            dob=dob,
            forename=choice(rng, people.GIRLS if sex == "F" else people.BOYS),
            surname=choice(rng, people.SURNAMES),
            nhs=people.nhs_number(rng) if rng.random() < 0.9 else None,
            upn=None,
            eth=rng.choices(people.ETH_CODES, people.ETH_WEIGHTS)[0],
            district_team=choice(rng, SAFEGUARDING_TEAMS),
            reopen=tuple(rng.choices(range(6), [35, 25, 15, 10, 8, 7])[0] for _ in range(3)),
        )
        c = self.child
        if dob + 4 * YEAR < D(HORIZON) and rng.random() < 0.85:
            c.upn = people.upn(rng, self.w.la_code, date.fromordinal(int(dob + 4 * YEAR)).year)
        if world.want_truth:
            c.truth = {"referrals": [], "cp_plans": []}
            world.truth_children.append(c)
        self.records: list = []  # (day, rec, kind, row, secs) to push, any order
        self.last_secs: dict[int, int] = {}
        self.first_day: dict[str, int] = {}
        self.open_on_return = False
        self.looked_after = False  # set by care(): a looked-after child's sex is always known
        self.moves = []
        d = arrival
        pc = people.postcode(rng)
        self.moves.append((d, pc))
        while rng.random() < 0.35:
            d += int(rng.uniform(120, 1500))
            self.moves.append((d, people.postcode(rng)))
        self.age18 = self.birthday(18)
        self.age25 = self.birthday(25)
        # disabilities: ~1 in 10 referred children, all disabled-service children
        disabled = (
            kind == "cwd"
            or (kind == "sc" and rng.random() < 0.11)
            or (kind == "sen" and rng.random() < 0.5)
        )
        if disabled:
            codes = []
            if rng.random() < 0.62:
                codes.append(choice(rng, HIDDEN))
                if rng.random() < 0.3:
                    codes.append(choice(rng, HIDDEN))
            if not codes or rng.random() < 0.4:
                codes.append(choice(rng, VISIBLE))
            for code in dict.fromkeys(codes):
                onset = max(dob + int(rng.uniform(0.5, 9) * YEAR), arrival - 3000)
                c.disabilities.append((code, onset, code in HIDDEN))

    def birthday(self, n):
        d = date.fromordinal(self.child.dob)
        try:
            return D(d.replace(year=d.year + n))
        except ValueError:
            return D(date(d.year + n, 3, 1))

    # ---------------------------------------------------------------- helpers
    def secs(self):
        return randint(self.rng, 28800, 68399)

    def system_at(self, service, day):
        """(system, reopen day) running ``service`` on ``day``; system None in a transfer gap."""
        system = "council"
        for t, old, new, slot in TRANSFERS[service]:
            if day >= t:
                reopen = add_working_days(t, self.child.reopen[slot])
                if day < reopen:
                    return None, reopen
                system = new
            else:
                return old, None
        return system, None

    def split(self, service, start, end):
        """Segments (system, start, end, tech_end, tech_start) of an interval [start, end]
        (end None = still open) across the transfers of ``service``."""
        segs = []
        s = start
        tech_start = False
        for t, old, _new, slot in TRANSFERS[service]:
            reopen = add_working_days(t, self.child.reopen[slot])
            if s >= reopen:
                continue
            if s >= t:  # starts in the gap: opens on the reopening day
                s = reopen
                continue
            if end is not None and end < t:
                break
            if end is not None and end < reopen:  # ends in the gap: a real end before it
                segs.append((old, s, t - 1, False, tech_start))
                return segs
            segs.append((old, s, t - 1, True, tech_start))
            s, tech_start = reopen, True
        if end is not None and s > end:
            return segs
        segs.append((self.system_at(service, s)[0], s, end, False, tech_start))
        return segs

    def add(self, day, rec, kind, row, secs=None):
        if secs is None:  # records of one day are created in the order the story tells them
            secs = max(randint(self.rng, 28800, 66000), self.last_secs.get(day, 0) + 1)
            self.last_secs[day] = min(secs, 86000)
        self.records.append((day, rec, kind, row, secs))
        if rec.system not in self.first_day or day < self.first_day[rec.system]:
            self.first_day[rec.system] = day

    def person(self, system):
        rec = self.child.persons.get(system)
        if rec is None:
            rec = Rec(system, "persons" if system == "trust" else "people", self.child)
            self.child.persons[system] = rec
        return rec

    # ---------------------------------------------------------------- the life
    def build(self):
        rng = self.rng
        c = self.child
        if self.kind == "sc":
            self.social_care()
        elif self.kind == "fd":  # never disabled: none of the services below, no draws
            self.front_door()
        cwd = self.kind == "cwd" or (c.disabilities and rng.random() < 0.22)
        if cwd:
            self.cwd_service()
        ehcp = self.kind == "sen" or (c.disabilities and rng.random() < (0.7 if cwd else 0.3))
        if ehcp:
            self.ehcp()
        if (cwd or ehcp) and c.disabilities:
            self.transition()
        self.disability_records()
        self.persons()
        w = self.w
        for day, rec, kind, row, secs in self.records:
            w.push(day, secs, rec, kind, row)

    def social_care(self):
        rng = self.rng
        r = self.arrival
        if rng.random() < 0.15:  # early help first (council)
            eh = Rec("council", "workflow_steps", self.child)
            end = r + int(rng.uniform(30, 200))
            self.step(eh, "EH", r, end, "ESCALATED", None, "EH", None)
            r = end + randint(rng, 0, 20)
        n = 0
        while r < self.age18 - 30:
            n += 1
            close = self.episode(r, n)
            if close is None:
                return
            p = rng.random()
            if p < 0.30:
                r = close + int(rng.uniform(14, 250))
            elif p < 0.40:
                r = close + int(rng.uniform(366, 1800))
            else:
                return

    def front_door(self):
        """One to three contacts that never become a referral. Only the council records
        contacts (the trust's front door kept none); early help is the council's throughout,
        so a child signposted to it by the trust's front door still has an EH step."""
        rng = self.rng
        day = self.arrival
        for _ in range(1 + (rng.random() < 0.25) + (rng.random() < 0.08)):
            if day >= self.age18:
                return
            outcome = rng.choices(CONTACT_OUTCOMES, CONTACT_OUTCOME_W)[0]
            contact = None
            if self.system_at("sc", day)[0] == "council":
                contact = Rec("council", "workflow_steps", self.child)
                decided = add_working_days(day, choice(rng, [0, 0, 0, 1, 1, 2]))
                self.step(contact, "CONTACT", day, decided, outcome, None, "MASH", None)
            if outcome == "EH":
                eh = Rec("council", "workflow_steps", self.child)
                start = add_working_days(day, randint(rng, 2, 15))
                end = start + int(rng.uniform(40, 330))
                done = rng.choices(EH_OUTCOMES, EH_OUTCOME_W)[0]
                self.step(eh, "EH", start, end, done, contact, "EH", None)
                day = end
            day += int(rng.uniform(20, 400))

    # ---------------------------------------------------------------- a CIN episode
    def episode(self, r, n):  # noqa: C901 - a story, told in order
        rng = self.rng
        c = self.child
        if not is_working_day(r) and rng.random() < 0.85:
            r = add_working_days(r, 0)
        source = rng.choices(REF_SOURCES, REF_SOURCE_W)[0]
        need = rng.choices(NEEDS, NEED_W)[0]
        if c.disabilities and rng.random() < 0.4:
            need = "N2"
        asm_start = add_working_days(r, choice(rng, [0, 0, 1, 1, 2, 3, 5]))
        asm_len = randint(rng, 8, 45) if rng.random() < 0.86 else randint(rng, 46, 110)
        auth = add_working_days(asm_start, asm_len)
        plan = []  # phases: (kind, start, end, data)
        close_reason = "RC7"
        nfa = False
        s47 = None
        cp = None
        cla_start = None
        p = rng.random()
        if p < 0.36:  # assessment, no further action
            close = auth + randint(rng, 0, 12)
            close_reason, nfa = "RC8", True
            outcome = "NFA"
        elif p < 0.71:  # section 47
            s47_start = add_working_days(asm_start, randint(rng, 0, 4))
            icpc_req = rng.random() < 0.44
            if icpc_req:
                icpc = add_working_days(
                    s47_start, randint(rng, 8, 15) if rng.random() < 0.8 else randint(rng, 16, 35)
                )
            else:
                icpc = None
            s47 = (s47_start, icpc, icpc_req)
            auth = max(auth, s47_start + 5)
            outcome = "S47"
            if icpc_req and rng.random() < 0.9:
                cp_start = icpc
                dur = min(max(int(rng.lognormvariate(math.log(260), 0.5)), 50), 1300)
                cp_end = cp_start + dur
                cp = (cp_start, cp_end)
                after = rng.random()
                if after < 0.12:
                    cla_start = cp_end
                    close = None
                elif after < 0.6:
                    plan.append(("CIN", cp_end, cp_end + int(rng.uniform(60, 250))))
                    close = plan[-1][2] + randint(rng, 0, 20)
                else:
                    close = cp_end + randint(rng, 0, 30)
            elif rng.random() < 0.5:
                plan.append(("CIN", auth, auth + int(rng.uniform(60, 300))))
                close = plan[-1][2] + randint(rng, 0, 20)
            else:
                close = max(auth, icpc or auth) + randint(rng, 0, 15)
                # a S47 happened: not "closed after assessment" (RC8, CIN rule 2990) but
                # services ceased, no longer in need
                close_reason = "RC7"
        elif p < 0.95:
            outcome = "CIN"
            plan.append(("CIN", auth, auth + int(min(rng.expovariate(1 / 300), 1000)) + 60))
            if rng.random() < 0.04:
                cla_start = plan[-1][2]
                close = None
            else:
                close = plan[-1][2] + randint(rng, 0, 25)
        else:
            outcome = "CLA"
            cla_start = r + randint(rng, 0, 20)
            close = None
        cla = None
        care_leaver = False
        if cla_start is not None:
            if cla_start >= self.age18 - 60:
                cla_start = None
                close = (cp[1] if cp else auth) + 10
            else:
                cla_end = cla_start + int(rng.lognormvariate(math.log(430), 1.0)) + 20
                reason = None
                if cla_end >= self.age18:
                    cla_end = self.age18  # care ends on the 18th birthday (903: E17 at 18+)
                    reason = choice(rng, ["E17", "E5", "E6", "E7", "E5", "E6"])
                    care_leaver = cla_end - cla_start > 100
                cla = (cla_start, cla_end, reason)
                close = cla_end + randint(rng, 0, 40)
                if care_leaver:
                    close = cla_end
        if close is None:
            close = auth + 30
        close = max(close, auth + 1, (s47[1] or s47[0]) + 1 if s47 else 0)
        if close >= self.age18:
            close = self.age18 - 1
            if not care_leaver:
                close_reason = "RC6" if c.disabilities else "RC7"
            # the case closes the day before the 18th birthday: what was still running stops
            # then (CIN rule 8565: no assessment, ICPC or plan after the closure)
            auth = min(auth, close)
            if s47 is not None and s47[1] is not None and s47[1] > close:
                s47, cp = (s47[0], None, False), None
        if cla is not None and cla[2] and cla[2].startswith("E1"):
            close_reason = {"E11": "RC1", "E12": "RC1"}.get(cla[2], close_reason)
        # --------------------------------------------------- project the episode
        ref_segs = self.split("sc", r, close)
        refs = []
        truth = {
            "episode": n,
            "referral_date": r,
            "closure_date": close,
            "closure_reason": close_reason,
            "recs": [],
        }
        for system, s, e, tech_end, tech_start in ref_segs:
            rec = Rec(system, "referrals" if system == "trust" else "workflow_steps", self.child)
            refs.append((rec, system, s, e))
            truth["recs"].append(rec)
            reason = "TECH" if tech_end else close_reason
            team = choice(rng, ASSESSMENT_TEAMS) if not tech_start else c.district_team
            if system == "trust":

                def row(closed, s=s, e=e, reason=reason, rec=rec, team=team, tech_start=tech_start):
                    return (
                        SELF,
                        self.person("trust"),
                        s,
                        source,
                        need,
                        e if closed else None,
                        reason if closed else None,
                        (nfa and reason != "TECH") if closed else False,
                        team,
                    )

                self.add(s, rec, "I", row(False))
                self.add(e, rec, "U", row(True))
            else:
                contact = None
                if not tech_start:
                    contact = Rec("council", "workflow_steps", self.child)
                    cd = max(self.arrival, s - choice(rng, [0, 0, 0, 1, 2, 3]))
                    self.step(contact, "CONTACT", cd, s, "REF", None, "MASH", None)
                self.step(
                    rec,
                    "REF",
                    s,
                    e,
                    reason,
                    contact,
                    team,
                    {"source": source, "primary_need": need},
                )
            if tech_end:
                self.link("sc", "referrals", rec, None)
            if tech_start and self.w.want_truth:
                self.w.truth_links[-1] = self.w.truth_links[-1][:4] + (rec,)
            if tech_end and e == O_TRUST_RETURN - 1:
                self.open_on_return = True
        if c.truth is not None:
            c.truth["referrals"].append(truth)

        def ref_at(day):
            for rec, system, s, e in refs:
                if s <= day and (e is None or day <= e):
                    return rec, system
            here = self.system_at("sc", day)[0]
            same = [x for x in refs if x[1] == here and x[2] <= day] or [
                x for x in refs if x[1] == here
            ]
            if same:
                return same[-1][0], same[-1][1]
            return refs[-1][0], refs[-1][1]

        # assessment: finished before a transfer (clamped)
        sysa, _ = self.system_at("sc", asm_start)
        for t, *_ in TRANSFERS["sc"]:
            if asm_start < t <= auth:
                auth = t - 1
        ref, sysr = ref_at(asm_start)
        factors = list(
            dict.fromkeys(rng.choices(FACTORS, FACTOR_W, k=choice(rng, [1, 1, 2, 2, 3, 4])))
        )
        if ref.system == "trust":
            a = Rec("trust", "assessments", self.child)

            def arow(done, a_start=asm_start, a_auth=auth, ref=ref):
                return (SELF, ref, self.person("trust"), a_start, a_auth if done else None, factors)

            self.add(asm_start, a, "I", arow(False))
            self.add(auth, a, "U", arow(True))
        else:
            a = Rec("council", "workflow_steps", self.child)
            self.step(a, "ASMT", asm_start, auth, outcome, ref, None, {"factors": factors})
        # section 47 and ICPC
        cp_parent = ref
        if s47 is not None:
            s47_start, icpc, req = s47
            for t, *_ in TRANSFERS["sc"]:
                if icpc and s47_start < t <= icpc:
                    icpc = t - 1
            ref, _ = ref_at(s47_start)
            if ref.system == "trust":
                srec = Rec("trust", "section47", self.child)

                def srow(done, ref=ref, s47_start=s47_start, icpc=icpc, req=req):
                    return (SELF, ref, self.person("trust"), s47_start, icpc if done else None, req)

                self.add(s47_start, srec, "I", srow(False))
                if icpc:
                    self.add(icpc, srec, "U", srow(True))
            else:
                srec = Rec("council", "workflow_steps", self.child)
                end = min(icpc or add_working_days(s47_start, randint(rng, 5, 20)), close)
                self.step(srec, "S47", s47_start, end, "ICPC" if req else "NFA", ref, None, None)
                if icpc:
                    irec = Rec("council", "workflow_steps", self.child)
                    self.step(
                        irec, "ICPC", icpc, icpc, "CPP" if cp else "NO_PLAN", srec, None, None
                    )
                    cp_parent = irec
            if cp is not None and icpc is not None:
                cp = (icpc, max(cp[1], icpc + 50))
        # plans
        team = c.district_team
        if cp is not None and cp[0] < close:
            self.cp_plan(cp[0], min(cp[1], close), ref_at, cp_parent, n)
        for _kind, s, e in plan:
            for system, ss, ee, tech_end, _ in self.split("sc", s, min(e, close)):
                ref, _ = ref_at(ss)
                if system == "trust":
                    prec = Rec("trust", "cin_plans", self.child)

                    def prow(done, ref=ref, ss=ss, ee=ee):
                        return (SELF, ref, self.person("trust"), ss, ee if done else None)

                    self.add(ss, prec, "I", prow(False))
                    self.add(ee, prec, "U", prow(True))
                else:
                    prec = Rec("council", "workflow_steps", self.child)
                    self.step(
                        prec, "CIN", ss, ee, "TECH" if tech_end else "CLOSED", ref, team, None
                    )
            self.visits(s, min(e, close), "OTHER", 42)
        if cla is not None:
            self.care(cla, ref_at, n)
        # allocations: assessment team, then the plan's team, then children in care
        phases = []
        plan_start = (cp[0] if cp else None) or (plan[0][1] if plan else None)
        if cla is not None:
            plan_start = min(plan_start or cla[0], cla[0])
        first_team = choice(rng, ASSESSMENT_TEAMS)
        if plan_start is None or plan_start > close:
            phases.append((first_team, r, close, ASSESSMENT_TEAMS))
        else:
            phases.append((first_team, r, max(r, plan_start - 1), ASSESSMENT_TEAMS))
            if cla is not None and cla[0] > plan_start:
                phases.append((team, plan_start, cla[0] - 1, SAFEGUARDING_TEAMS))
            if cla is not None:
                phases.append((choice(rng, CIC_TEAMS), cla[0], close, CIC_TEAMS))
            else:
                phases.append((team, plan_start, close, SAFEGUARDING_TEAMS))
        for tm, s, e, alt in phases:
            delay = (
                choice(rng, [0, 0, 0, 1, 1, 2, 3, 5])
                if rng.random() < 0.93
                else randint(rng, 8, 40)
            )
            # a child in care always has a social worker: the children in care team takes the
            # case the day care starts (the worker before hands over), and keeps it allocated
            in_care = cla is not None and s == cla[0]
            start = s if in_care else add_working_days(s, delay)
            self.allocation("sc", "SW", tm, start, e, alt, in_care=in_care)
        if care_leaver:
            pa_end = self.birthday(21) if rng.random() < 0.85 else self.birthday(25) - 1
            self.allocation("sc", "PA", "LC", self.age18, pa_end, ("LC",))
        return close

    def link(self, service, table, old, new):
        if self.w.want_truth:
            self.w.truth_links.append((self.child.idx, service, table, old, new))

    def step(self, rec, step_type, start, end, outcome, parent, team, attrs, tech_attr_days=None):
        """A council workflow step: I at start, U at end (with its outcome)."""

        def row(done):
            return (
                SELF,
                self.person("council"),
                step_type,
                start,
                end if done else None,
                outcome if done else None,
                parent,
                team,
                attrs,
            )

        if end is None or end > start or step_type in ("CONTACT", "CPREV", "ICPC"):
            self.add(start, rec, "I", row(end is not None and end <= start))
            if end is not None and end > start:
                self.add(end, rec, "U", row(True))
        else:
            self.add(start, rec, "I", row(True))
        if step_type in ("CONTACT", "CPREV") and self.rng.random() < 0.004:
            self.entered_in_error(rec, start, row(True))

    def entered_in_error(self, rec, day, row):
        rng = self.rng
        gone = day + randint(rng, 1, 7)
        self.add(gone, rec, "D", row)
        if rng.random() < 0.4:
            self.add(gone + randint(rng, 2, 30), rec, "I", row)

    def cp_plan(self, start, end, ref_at, parent, n):
        rng = self.rng
        cat = rng.choices(CATS, CAT_W)[0]
        latest_change = None
        latest = cat
        if rng.random() < 0.12:
            latest = choice(rng, [x for x in CATS if x != cat])
            latest_change = start + int((end - start) * rng.uniform(0.2, 0.8))
        recs = []
        for system, s, e, tech_end, tech_start in self.split("sc", start, end):
            ref, _ = ref_at(s)
            if system == "trust":
                rec = Rec("trust", "cp_plans", self.child)

                def row(day, done, ref=ref, s=s, e=e, tech_end=tech_end):
                    lat = latest if latest_change is not None and day >= latest_change else cat
                    return (
                        SELF,
                        ref,
                        self.person("trust"),
                        s,
                        e if done else None,
                        cat,
                        lat,
                        "TECH" if tech_end and done else None,
                    )

                self.add(s, rec, "I", row(s, False))
                if latest_change is not None and s < latest_change < e:
                    self.add(latest_change, rec, "U", row(latest_change, False))
                self.add(e, rec, "U", row(e, True))
            else:
                rec = Rec("council", "workflow_steps", self.child)

                def row(
                    day, done, s=s, e=e, tech_end=tech_end, parent=parent, ref=ref, ts=tech_start
                ):
                    lat = latest if latest_change is not None and day >= latest_change else cat
                    return (
                        SELF,
                        self.person("council"),
                        "CPP",
                        s,
                        e if done else None,
                        ("TECH" if tech_end else "ENDED") if done else None,
                        parent if not ts else ref,
                        self.child.district_team,
                        {"initial_category": cat, "latest_category": lat},
                    )

                self.add(s, rec, "I", row(s, False))
                if latest_change is not None and s < latest_change < e:
                    self.add(latest_change, rec, "U", row(latest_change, False))
                self.add(e, rec, "U", row(e, True))
            recs.append((rec, system, s, e))
            if tech_end:
                self.link("sc", "cp_plans", rec, None)
            if tech_start and self.w.want_truth:
                self.w.truth_links[-1] = self.w.truth_links[-1][:4] + (rec,)
        if self.w.want_truth:
            self.w.truth_plans.append((self.child.idx, n, start, end, [r[0] for r in recs]))
        # reviews: first within 3 months, then every 6 months
        d = start + (int(rng.uniform(70, 90)) if rng.random() < 0.93 else int(rng.uniform(92, 130)))
        while d < end:
            system, reopen = self.system_at("sc", d)
            if system is None:
                d = reopen
                system = self.system_at("sc", d)[0]
            plan = next((r for r in recs if r[2] <= d and r[3] >= d), None)
            if plan is not None:
                if system == "trust":
                    self.add(d, Rec("trust", "cp_reviews", self.child), "I", (plan[0], d))
                else:
                    self.step(
                        Rec("council", "workflow_steps", self.child),
                        "CPREV",
                        d,
                        d,
                        "CONTINUE",
                        plan[0],
                        None,
                        None,
                    )
            d += int(rng.uniform(150, 182)) if rng.random() < 0.93 else int(rng.uniform(185, 240))
        self.visits(start, end, "CPV", 14)

    def visits(self, start, end, vtype, every):
        rng = self.rng
        d = start + randint(rng, 1, 8)
        while d <= end:
            if is_working_day(d):
                system, _ = self.system_at("sc", d)
                if system is not None:
                    seen = rng.random() < (0.78 if vtype != "OTHER" else 0.6)
                    if system == "trust":
                        rec = Rec("trust", "visits", self.child)
                        row = (SELF, self.person("trust"), d, vtype, seen, WORKER)
                    else:
                        rec = Rec("council", "visits", self.child)
                        row = (SELF, self.person("council"), d, vtype, seen, WORKER)
                    self.add(d, rec, "V", row)
                    if rng.random() < 0.003:
                        self.entered_in_error(rec, d, row)
            gap = every if rng.random() < 0.9 else every + randint(rng, 3, every)
            d += int(gap * rng.uniform(0.7, 1.05))

    def care(self, cla, ref_at, n):
        rng = self.rng
        start, end, final = cla
        self.looked_after = True
        # placements and legal status changes make the 903 episodes. Legal statuses follow the
        # DfE's rules: police protection (L1) lasts at most 72 hours and an emergency
        # protection order (L2) at most 21 days, each followed by an interim care order (C1)
        # or section 20 (V2); an interim care order often becomes a full care order (C2);
        # remands (J1) only from age 10; placed with parents (P1) only under a care order.
        age = (start - self.child.dob) / YEAR
        legal = rng.choices(
            ["V2", "C1", "C2", "L1", "L2", "J1"], [36, 30, 18, 6, 6, 4 if age >= 10 else 0]
        )[0]
        eps = []
        d = start
        rne = "S"
        home_pc = self.moves[0][1]
        while d <= end:
            care_order = legal in ("C1", "C2")
            ptype = rng.choices(
                ["U1", "U2", "U3", "U4", "U5", "U6", "K2", "R1", "P1", "H5", "S1", "A3", "Z1"],
                [
                    6,
                    6,
                    10,
                    16,
                    18,
                    14,
                    10,
                    3,
                    5 if care_order else 0,
                    4 if age >= 16 else 0,
                    3 if age >= 16 else 0,
                    # placed for adoption: never under an emergency order (L1, L2)
                    2 if age < 5 and legal not in ("L1", "L2") else 0,
                    0,  # Z1 "other placement": 903 rules 178 and 526 contradict each other on it
                ],
            )[0]
            if ptype == "P1":
                provider = "PR0"
            else:
                public_ok = ptype not in ("A3", "K2", "U1", "U2", "U3", "U4", "U5", "U6")
                provider = rng.choices(
                    ["PR1", "PR2", "PR3", "PR4", "PR5"], [50, 6, 2 if public_ok else 0, 38, 4]
                )[0]
            # placements: a share end soon (emergency, short-term, breakdowns), the rest are
            # long-term; the mix gives the national shape (about 1 in 10 children with 3+
            # placements in a year, about 7 in 10 long-stay children settled for 2+ years)
            if rng.random() < (0.35 if rne == "S" else 0.3):
                stay = int(rng.expovariate(1 / 120)) + 7
            else:
                stay = int(rng.expovariate(1 / 1100)) + 30
            pend = min(end, d + stay)
            legal_change = None
            new_legal = None
            if legal == "L1":
                legal_change, new_legal = d + randint(rng, 1, 2), choice(rng, ["C1", "V2"])
            elif legal == "L2":
                legal_change, new_legal = d + randint(rng, 3, 15), "C1"
            elif legal == "C1" and rng.random() < 0.7 and d + 200 < pend:
                legal_change, new_legal = d + int(rng.uniform(120, 300)), "C2"
            if legal_change is not None and legal_change >= pend:
                legal_change = None  # the placement ends first (an L1/L2 lapses with it)
            if ptype in ("A3", "A5"):
                # no new legal status while placed for adoption: its episode would need RNE T
                # or U (903 rule 217) and U a new placement too (rule 436)
                legal_change = None
            pc = people.postcode(rng)
            if legal_change:
                eps.append([d, legal_change - 1, rne, legal, ptype, provider, pc])
                legal = new_legal
                eps.append([legal_change, pend, "L", legal, ptype, provider, pc])
            else:
                eps.append([d, pend, rne, legal, ptype, provider, pc])
            if legal in ("L1", "L2"):  # an order that ended with the placement: now V2
                legal = "V2"
                rne_next = "B"
            else:
                rne_next = None
            d = pend + 1
            rne = rne_next or choice(rng, ["P", "P", "P", "T"])
            age = (d - self.child.dob) / YEAR
        cin_code = (
            "N1" if rng.random() < 0.65 else choice(rng, ["N2", "N3", "N4", "N5", "N6", "N7", "N8"])
        )
        for i, (s, e, rne, legal, ptype, provider, pc) in enumerate(eps):
            last = i == len(eps) - 1
            reason = None
            if last:
                reason = (
                    final
                    or rng.choices(
                        [
                            "E11",
                            "E12",
                            "E13",
                            "E41",
                            "E45",
                            "E46",
                            "E47",
                            "E48",
                            "E4A",
                            "E4B",
                            "E3",
                            "E8",
                            "E9",
                            "E15",
                            "E16",
                            "E14",
                            "E2",
                        ],
                        [8, 2, 14, 4, 5, 3, 2, 1, 28, 4, 4, 6, 2, 2, 2, 2, 1],
                    )[0]
                )
            else:
                # the episode ends because the next one starts: the 903's X1 (the child is
                # still looked after; the source ends it the day before the next one)
                reason = "X1"
            if reason in ("E45", "E46") and ptype not in FOSTER:
                # 903 rule 516: a special guardianship order ends a foster placement; from
                # any other placement the child leaves with a child arrangements order
                reason = "E41"
            if ptype in ("A3", "A5") and rne not in ("S", "T", "U"):
                # 903 rule 217: placed for adoption with the current foster carers keeps the
                # carers: T (placement changed, same carers), U (and the legal status too)
                rne = "U" if rne in ("L", "B") else "T"
            attrs_base = {
                "rne": rne,
                "legal_status": legal,
                "cin_code": cin_code,
                "placement_type": ptype,
                "placement_provider": provider,
                "placement_postcode": pc,
                "home_postcode": home_pc,
            }
            for system, ss, ee, tech_end, tech_start in self.split("sc", s, e):
                rsn = "TECH" if tech_end else reason
                ref, _ = ref_at(ss)
                if system == "trust":
                    rec = Rec("trust", "cla_episodes", self.child)

                    def row(
                        done,
                        ss=ss,
                        ee=ee,
                        rsn=rsn,
                        rne=rne,
                        legal=legal,
                        ptype=ptype,
                        provider=provider,
                        pc=pc,
                    ):
                        return (
                            SELF,
                            self.person("trust"),
                            ss,
                            ee if done else None,
                            rne,
                            legal,
                            cin_code,
                            ptype,
                            provider,
                            pc,
                            home_pc,
                            rsn if done else None,
                        )

                    self.add(ss, rec, "I", row(False))
                    self.add(ee, rec, "U", row(True))
                else:
                    rec = Rec("council", "workflow_steps", self.child)
                    self.step(rec, "LAC", ss, ee, rsn, ref, choice(rng, CIC_TEAMS), attrs_base)
                    if ptype in FOSTER and rne != "L":
                        carer = self.w.placement_carer(rng, ss)
                        prec = Rec("council", "placements", self.child)
                        prow = (SELF, self.person("council"), carer, ss, None)
                        self.add(ss, prec, "I", prow)
                        self.add(ee, prec, "U", prow[:4] + (ee,))
                if tech_end:
                    self.link("sc", "cla_episodes", rec, None)
                if tech_start and self.w.want_truth:
                    self.w.truth_links[-1] = self.w.truth_links[-1][:4] + (rec,)
        self.visits(start, end, "STAT", 40)
        # missing episodes (children 11+)
        prone = rng.random() < 0.22
        rate = 4.0 if prone else 0.15
        d = max(start, self.birthday(11)) + int(rng.expovariate(rate / YEAR))
        while d < end:
            dur = choice(rng, [0, 0, 1, 1, 1, 2, 3, 5])
            system, _ = self.system_at("sc", d)
            e = min(d + dur, end)
            if system is not None and self.system_at("sc", e)[0] == system:
                away = rng.random() < 0.15
                offered = rng.random() < 0.85
                accepted = offered and rng.random() < 0.6
                if system == "trust":
                    rec = Rec("trust", "missing", self.child)
                    self.add(
                        d,
                        rec,
                        "I",
                        (SELF, self.person("trust"), d, None, "A" if away else "M", None, None),
                    )
                    self.add(
                        e,
                        rec,
                        "U",
                        (SELF, self.person("trust"), d, e, "A" if away else "M", offered, accepted),
                    )
                else:
                    rec = Rec("council", "missing", self.child)
                    self.add(
                        d,
                        rec,
                        "I",
                        (SELF, self.person("council"), d, None, "A" if away else "M", None, None),
                    )
                    self.add(
                        e,
                        rec,
                        "U",
                        (
                            SELF,
                            self.person("council"),
                            d,
                            e,
                            "A" if away else "M",
                            offered,
                            accepted,
                        ),
                    )
            d = e + 1 + int(rng.expovariate(rate / YEAR))

    def allocation(self, service, role, team, start, end, alt, in_care=False):
        rng = self.rng
        if end is not None and start > end:
            return
        prev_rec = None
        for system, s, e, tech_end, tech_start in self.split(service, start, end):
            table = "allocations"
            if system == "trust":
                row = partial(_trust_allocation_row, self.person("trust"), team, role)
            else:
                row = partial(_council_allocation_row, self.person("council"), role)
            rec = Rec(system, table, self.child)
            rec.extra = {
                "team": team,
                "alt": alt,
                "role": role,
                "end": e if e is not None else D(HORIZON),
                "row": row,
                "rng": random.Random(rng.random()),
                "tech_end": tech_end,
                "prefer": None,
                "churn": 0.1,
                "in_care": in_care,
            }
            if tech_start and prev_rec is not None:
                rec.extra["prefer_from"] = prev_rec
            self.add(s, rec, "A", None)
            if tech_end:
                self.link(service, "allocations", rec, None)
            if tech_start and self.w.want_truth:
                self.w.truth_links[-1] = self.w.truth_links[-1][:4] + (rec,)
            prev_rec = rec

    # ---------------------------------------------------------------- other services
    def cwd_service(self):
        rng = self.rng
        c = self.child
        start = (
            max(self.arrival, c.dob + int(rng.uniform(1, 6) * YEAR))
            if self.kind != "cwd"
            else self.arrival
        )
        end = self.age18 - 1 if rng.random() < 0.45 else start + int(rng.uniform(200, 1800))
        end = min(end, self.age18 - 1)
        if start >= end:
            return
        primary = c.disabilities[0][0] if c.disabilities else "LD"
        for system, s, e, tech_end, tech_start in self.split("cwd", start, end):
            if system == "trust":
                rec = Rec("trust", "cwd_involvements", self.child)
                self.add(s, rec, "I", (SELF, self.person("trust"), s, None, primary, "CWD"))
                self.add(e, rec, "U", (SELF, self.person("trust"), s, e, primary, "CWD"))
            else:
                rec = Rec("council", "workflow_steps", self.child)
                self.step(
                    rec,
                    "CWD",
                    s,
                    e,
                    "TECH" if tech_end else "CLOSED",
                    None,
                    "CWD",
                    {"primary_disability": primary},
                )
            if tech_end:
                self.link("cwd", "cwd_involvements", rec, None)
            if tech_start and self.w.want_truth:
                self.w.truth_links[-1] = self.w.truth_links[-1][:4] + (rec,)
            if tech_end and e == O_TRUST_RETURN - 1:
                self.open_on_return = True
        self.allocation(
            "cwd",
            "CWDW",
            "CWD",
            add_working_days(start, choice(rng, [0, 1, 2, 5, 10])),
            end,
            ("CWD",),
        )
        self.cwd_span = (start, end)

    def ehcp(self):
        rng = self.rng
        c = self.child
        req = max(self.arrival, c.dob + int(rng.uniform(3, 15) * YEAR))
        if req >= self.age25 - 400:
            return
        weeks = rng.uniform(12, 20) if rng.random() < 0.6 else rng.uniform(20.2, 45)
        issued = req + int(weeks * 7) if rng.random() < 0.92 else None
        ceased = None
        if issued and rng.random() < 0.6:
            ceased = min(issued + int(rng.uniform(1, 12) * YEAR), self.age25 - 1)
        rec = Rec("council", "ehcp", self.child)
        self.add(req, rec, "I", (SELF, self.person("council"), req, None, None))
        if issued:
            self.add(issued, rec, "U", (SELF, self.person("council"), req, issued, None))
            if ceased and ceased > issued:
                self.add(ceased, rec, "U", (SELF, self.person("council"), req, issued, ceased))
        self.ehcp_span = (req, ceased)

    def transition(self):
        rng = self.rng
        age14 = self.birthday(14)
        if rng.random() > 0.62:
            return  # no transition plan: the worklist must find these young people
        start = max(age14 + int(rng.uniform(0, 2.5) * YEAR), self.arrival)
        if start >= self.age25:
            return
        agreed = start + int(rng.uniform(20, 300)) if rng.random() < 0.8 else None
        adult = self.birthday(17) + int(rng.uniform(0, 300)) if rng.random() < 0.7 else None
        if adult is not None and adult < start:
            adult = start + 30
        cands = self.w.workforce.candidates("CWD", start)
        lp = cands[int(rng.random() * len(cands))].emp_no if cands else None
        done = self.birthday(19) + int(rng.uniform(0, 3 * YEAR)) if rng.random() < 0.7 else None
        rec = Rec("council", "workflow_steps", self.child)

        def attrs(day):
            return {
                "plan_agreed_on": _iso(agreed) if agreed and agreed <= day else None,
                "adult_services_referral_on": _iso(adult) if adult and adult <= day else None,
                "lead_practitioner": lp,
            }

        person = self.person("council")
        changes = sorted({x for x in (start, agreed, adult, done) if x is not None and x >= start})
        for i, d in enumerate(changes):
            closed = done is not None and d >= done
            self.add(
                d,
                rec,
                "I" if i == 0 else "U",
                (
                    SELF,
                    person,
                    "TRANS",
                    start,
                    done if closed else None,
                    "ADULT_SERVICES" if closed else None,
                    None,
                    "CWD",
                    attrs(d),
                ),
            )
        if lp and rng.random() < 0.8:
            self.allocation(
                "council", "LP", "CWD", start, done or min(self.age25 - 1, start + 3000), ("CWD",)
            )

    def disability_records(self):
        """Each system records the disabilities it learns about, hidden ones late or not at all."""
        rng = self.rng
        c = self.child
        if not c.disabilities:
            return
        for system in ("trust", "council"):
            if system not in self.first_day:
                continue
            seen = self.first_day[system]
            for code, onset, hidden in c.disabilities:
                if rng.random() > (0.5 if hidden else 0.9):
                    continue
                lag = int(rng.uniform(0, 3 * YEAR)) if hidden else int(rng.uniform(0, 120))
                day = max(seen, onset) + lag
                if system == "trust":
                    if not (O_TRUST_START <= day < O_TRUST_RETURN):
                        continue
                    self.add(
                        day, Rec("trust", "disabilities", c), "I", (self.person("trust"), code, day)
                    )
                else:
                    if O_TRUST_START <= day < O_TRUST_RETURN and rng.random() < 0.7:
                        continue  # the council was not running social care then
                    rec = Rec("council", "disabilities", c)
                    row = (self.person("council"), code, day, None, hidden)
                    self.add(day, rec, "I", row)

    def persons(self):
        """The person records: created at the first record of each system; moves, NHS numbers
        added late, the former trust id for children open on 2022-04-01."""
        rng = self.rng
        c = self.child
        for system in ("trust", "council"):
            if system not in self.first_day:
                continue
            rec = self.person(system)
            first = self.first_day[system]
            fore = c.forename if rng.random() < 0.6 else people.variant(c.forename, rng)
            sur = c.surname if rng.random() < 0.6 else people.variant(c.surname, rng)
            dob = c.dob
            if rng.random() < 0.01:  # a day/month slip
                d = date.fromordinal(c.dob)
                if d.day <= 12 and d.day != d.month:
                    dob = D(date(d.year, d.day, d.month))
            nhs = c.nhs if rng.random() < 0.92 else None
            nhs_late = None
            if c.nhs and nhs is None and rng.random() < 0.5:
                nhs_late = first + int(rng.uniform(10, 400))
            upn = c.upn if c.upn and rng.random() < 0.8 else None
            last = HORIZON.toordinal()
            if system == "trust":
                last = O_TRUST_RETURN
            days = [first] + [d for d, _ in self.moves if first < d < last]
            if nhs_late and nhs_late < last:
                days.append(nhs_late)
            former = None
            if system == "council" and self.open_on_return and "trust" in self.first_day:
                reopen = add_working_days(O_TRUST_RETURN, c.reopen[2])
                former = c.persons["trust"]
                if first < reopen:
                    days.append(reopen)
                    former_from = reopen
                else:
                    former_from = first
            days = sorted(set(days))
            for i, d in enumerate(days):
                pc = [p for md, p in self.moves if md <= d]
                pc = pc[-1] if pc else self.moves[0][1]
                nh = nhs if nhs else (c.nhs if nhs_late and d >= nhs_late else None)
                secs = randint(rng, 28000, 28790)  # early: before the day's other records
                if system == "trust":
                    known = rng.random() > 0.01 or self.looked_after
                    gender = {"M": "1", "F": "2"}[c.sex] if known else "9"
                    row = (SELF, nh, upn, fore, sur, dob, gender, c.eth, pc, None, (d, secs))
                else:
                    # not known on a few records, never for a child who was looked after:
                    # the 903 rejects it (rule 232) and a care record is always complete
                    sex = c.sex if rng.random() > 0.005 or self.looked_after else "U"
                    f = former if former is not None and d >= former_from else None
                    row = (
                        SELF,
                        _spaced(nh),
                        upn,
                        fore,
                        sur,
                        dob,
                        sex,
                        people.ETH_LABEL[c.eth],
                        pc,
                        f,
                        None,
                    )
                self.add(d, rec, "I" if i == 0 else "U", row, secs)


def _trust_allocation_row(person, team, role, rec, start, end):
    return (SELF, person, WORKER, team, role, start, end)


def _council_allocation_row(person, role, rec, start, end):
    return (SELF, person, WORKER, role, start, end)


def _iso(day):
    return date.fromordinal(day).isoformat()


def _spaced(nhs):
    return f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" if nhs else None
