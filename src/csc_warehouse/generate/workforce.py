"""The workforce: teams, established posts and the people (employees and agency workers) who
hold them over time. Simulated once from its own random stream up to the fixed horizon, so
that it never depends on the dates asked for."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date

from . import people
from .calendar import HORIZON, O_TRUST_LAST, O_TRUST_START

D = date.toordinal
IMPROVEMENT = D(date(2023, 4, 1))  # the improvement plan: more posts, vacancies filled faster
YEAR = 365.25

# team -> (label, service, case-holding social worker posts at scale 1, role of its cases)
TEAMS: dict[str, tuple[str, str, int, str]] = {
    "MASH": ("Front door (MASH)", "sc", 8, "SW"),
    "ASM1": ("Assessment 1", "sc", 12, "SW"),
    "ASM2": ("Assessment 2", "sc", 12, "SW"),
    "ASM3": ("Assessment 3", "sc", 12, "SW"),
    "SG1": ("Safeguarding 1", "sc", 20, "SW"),
    "SG2": ("Safeguarding 2", "sc", 20, "SW"),
    "SG3": ("Safeguarding 3", "sc", 9, "SW"),  # the stretched team
    "SG4": ("Safeguarding 4", "sc", 20, "SW"),
    "SG5": ("Safeguarding 5", "sc", 20, "SW"),
    "CIC1": ("Children in care 1", "sc", 17, "SW"),
    "CIC2": ("Children in care 2", "sc", 17, "SW"),
    "LC": ("Leaving care", "sc", 10, "PA"),
    "CWD": ("Disabled children", "cwd", 12, "CWDW"),
    "FOS": ("Fostering", "fos", 8, "SW"),
}
ASSESSMENT_TEAMS = ("ASM1", "ASM2", "ASM3")
SAFEGUARDING_TEAMS = ("SG1", "SG2", "SG3", "SG4", "SG5")
CIC_TEAMS = ("CIC1", "CIC2")
LEAVING_REASONS = [
    "Resignation",
    "Resignation",
    "Resignation",
    "Retirement",
    "Career break",
    "Moved to another local authority",
    "Dismissal",
    "End of fixed term",
]


@dataclass(slots=True, eq=False)
class Post:
    number: str
    team: str
    title: str
    sw_post: bool
    case_holding: bool
    fte: float
    est_from: int
    est_to: int | None
    legacy: bool


@dataclass(slots=True, eq=False)
class Worker:
    emp_no: str
    name: str
    forename: str
    surname: str
    title: str
    post: Post
    fte: float
    start: int
    leave: int | None
    reason: str | None
    agency: bool
    swe: str | None
    qualified: int | None
    legacy: bool
    username: str | None = None
    load: int = 0  # cases held now (during the simulation)
    extra: dict = field(default_factory=dict)

    def id_for(self, system: str) -> str:
        return self.username if system == "trust" else self.emp_no

    def active(self, day: int) -> bool:
        return self.start <= day and (self.leave is None or day < self.leave)


class Workforce:
    def __init__(self, seed: int, scale: float):
        rng = random.Random(f"{seed}:workforce")
        self.posts: list[Post] = []
        self.staff: list[Worker] = []
        self.by_team: dict[str, list[Worker]] = {t: [] for t in TEAMS}
        horizon = D(HORIZON)
        used_emp: set[int] = set()
        n_post = 0

        def new_post(team, title, sw, ch, est_from, est_to=None):
            nonlocal n_post
            n_post += 1
            fte = rng.choices([1.0, 0.8, 0.6, 0.5], [85, 7, 4, 4])[0] if ch else 1.0
            p = Post(
                f"P{n_post:04d}",
                team,
                title,
                sw,
                ch,
                fte,
                est_from,
                est_to,
                legacy=est_from < D(date(2014, 1, 1)) and rng.random() < 0.5,
            )
            self.posts.append(p)
            return p

        base = D(date(2009, 4, 1))
        for team, (_label, _service, n, role) in TEAMS.items():
            n_scaled = max(2, round(n * scale))
            new_post(team, "Team Manager", True, False, base)
            for i in range(n_scaled):
                if role == "PA":
                    title = "Personal Adviser"
                elif team == "FOS":
                    title = "Supervising Social Worker"
                else:
                    title = "Senior Practitioner" if i < max(1, n_scaled // 6) else "Social Worker"
                est = base if rng.random() < 0.85 else D(date(rng.randint(2012, 2021), 4, 1))
                end = None
                if rng.random() < 0.05:
                    end = est + rng.randint(3, 8) * 365
                new_post(team, title, role != "PA", team != "FOS", est, end)
            if team.startswith("SG") or team.startswith("ASM"):  # the improvement plan
                for _ in range(max(1, round(2 * scale))):
                    new_post(team, "Social Worker", True, True, IMPROVEMENT)

        for post in self.posts:
            stretched = post.team == "SG3"
            t = post.est_from
            first = True
            if post.est_from < D(date(2012, 1, 1)) and rng.random() < (0.3 if stretched else 0.17):
                t += int(rng.expovariate(1 / 0.9) * YEAR)  # vacant when the history starts
            while t < horizon and (post.est_to is None or t < post.est_to):
                agency = rng.random() < (0.12 if t >= IMPROVEMENT else 0.25)
                tenure = rng.expovariate(1 / (0.8 if agency else 6.5)) * YEAR
                start = t - int(rng.random() * 6 * YEAR) if first and not agency else t
                if post.est_from > base:
                    # the first holder of a post created later (2012-21, the improvement plan)
                    # may have joined earlier, but HR shows them in it only once it exists
                    start = max(start, post.est_from)
                first = False
                leave = int(t + max(30, tenure))
                if post.est_to is not None and leave >= post.est_to:
                    leave = post.est_to
                w = self._worker(
                    rng, post, start, leave if leave < horizon else None, agency, used_emp
                )
                self.staff.append(w)
                self.by_team[post.team].append(w)
                if w.leave is None:
                    break
                gap_mean = (
                    0.35
                    if w.leave >= IMPROVEMENT
                    else (2.2 if stretched and w.leave >= D(date(2019, 1, 1)) else 1.0)
                )
                gap = rng.expovariate(1 / gap_mean) * YEAR
                t = int(w.leave + gap)
                if w.leave < IMPROVEMENT < t:
                    t = min(t, int(IMPROVEMENT + rng.expovariate(1 / 0.3) * YEAR))
        self.first_post_day = min(p.est_from for p in self.posts)
        # usernames for everyone who worked in the trust era
        taken: dict[str, int] = {}
        for w in sorted(self.staff, key=lambda w: (w.start, w.emp_no)):
            if w.start <= O_TRUST_LAST and (w.leave is None or w.leave > O_TRUST_START):
                stem = re.sub(
                    r"[^a-z]", "", people.strip_accents(w.forename[0] + w.surname).lower()
                )
                n = taken.get(stem, 0) + 1
                taken[stem] = n
                w.username = stem if n == 1 else f"{stem}{n}"
        self.staff.sort(key=lambda w: (w.start, w.emp_no))

    def _worker(self, rng, post, start, leave, agency, used):
        while True:
            n = rng.randint(10000, 99999)
            if n not in used:
                used.add(n)
                break
        fore = rng.choice(people.BOYS + people.GIRLS)
        sur = rng.choice(people.SURNAMES)
        sw = post.sw_post
        return Worker(
            emp_no=f"E{n:05d}",
            name=f"{fore} {sur}",
            forename=fore,
            surname=sur,
            title=post.title,
            post=post,
            fte=post.fte,
            start=start,
            leave=leave,
            reason=("End of assignment" if agency else rng.choice(LEAVING_REASONS))
            if leave
            else None,
            agency=agency,
            swe=f"SW{rng.randint(10000, 999999):06d}" if sw else None,
            qualified=start - rng.randint(0, 20 * 365) if sw else None,
            legacy=start < D(date(2017, 1, 1)) and rng.random() < 0.5,
        )

    def candidates(self, team: str, day: int) -> list[Worker]:
        return [w for w in self.by_team[team] if w.post.case_holding and w.active(day)]
