"""Synthetic identities: names (and how two systems spell them differently), NHS numbers with a
valid mod-11 check digit, UPNs with their check letter, postcodes, ethnicity."""

from __future__ import annotations

import random
import unicodedata

from .draws import choice, randint

BOYS = (
    "Oliver George Harry Jack Noah Leo Arthur Oscar Charlie Jacob Thomas Freddie Alfie Theo "
    "William Henry Archie Joshua Isaac Lucas Mohammed Muhammad Ethan Logan Mason Dylan Riley "
    "Tyler Kai Jayden Callum Connor Reece Liam Kyle Bradley Aaron Zac Ryan Jamie Nathan Ashton "
    "Ali Omar Yusuf Ibrahim Kacper Jakub Filip Mateusz Dominik Tomas Andrei Luca Rhys Owen "
    "Jose Rene Zoltan Ciaran Declan Sean Kwame Tobi David Daniel Samuel Joseph Michael"
).split()
GIRLS = (
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Willow Florence "
    "Emily Ella Poppy Evie Jessica Chloe Megan Courtney Jade Kayleigh Paige Shannon Leah Holly "
    "Amber Ruby Skye Summer Aaliyah Aisha Fatima Maryam Zainab Amira Zuzanna Julia Maja Oliwia "
    "Alicja Natalia Wiktoria Ana Maria Elena Siobhan Niamh Aoife Chioma Precious Blessing "
    "Abigail Hannah Sarah Rebecca Charlotte Lauren Katie Zoe Renee Chloé Zoë Noémie Lucía"
).split()
SURNAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan "
    "Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell "
    "Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Ali Hussain Ahmed Rahman Kowalski "
    "Nowak Wiśniewski Wójcik Kowalczyk Popescu Ionescu Horvath Okafor Adeyemi Mensah Osei "
    "O'Brien O'Neill McDonald MacLeod Smith-Jones Taylor-Reid Brown-Lee Müller Lopez Garcia "
    "Fernández Nuñez Doherty Quinn Gallagher Byrne Connolly Fitzgerald Harper Barnes Fisher"
).split()
WORKER_SURNAMES = SURNAMES

ETHNICITY = [
    ("WBRI", "White British", 0.70),
    ("WIRI", "White Irish", 0.01),
    ("WIRT", "Traveller of Irish Heritage", 0.005),
    ("WOTH", "Any Other White Background", 0.06),
    ("WROM", "Gypsy/Roma", 0.01),
    ("MWBC", "White and Black Caribbean", 0.025),
    ("MWBA", "White and Black African", 0.01),
    ("MWAS", "White and Asian", 0.01),
    ("MOTH", "Any Other Mixed Background", 0.02),
    ("AIND", "Indian", 0.015),
    ("APKN", "Pakistani", 0.03),
    ("ABAN", "Bangladeshi", 0.01),
    ("AOTH", "Any Other Asian Background", 0.01),
    ("BCRB", "Caribbean", 0.01),
    ("BAFR", "African", 0.025),
    ("BOTH", "Any Other Black Background", 0.005),
    ("CHNE", "Chinese", 0.003),
    ("OOTH", "Any Other Ethnic Group", 0.01),
    ("REFU", "Refused", 0.002),
    ("NOBT", "Information Not Yet Obtained", 0.02),
]
ETH_CODES = [e[0] for e in ETHNICITY]
ETH_WEIGHTS = [e[2] for e in ETHNICITY]
ETH_LABEL = {c: f"{c} - {label}" for c, label, _ in ETHNICITY}

# A fictional postcode area (ZX is not allocated by Royal Mail): well formed, never real.
DISTRICTS = [f"ZX{n}" for n in range(1, 19)]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def nhs_number(rng: random.Random) -> str:
    """10 digits with a valid mod-11 check digit (first digit 4-6 like current numbers)."""
    while True:
        digits = [randint(rng, 4, 6)] + [randint(rng, 0, 9) for _ in range(8)]
        total = sum(d * (10 - i) for i, d in enumerate(digits))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def nhs_valid(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return (0 if check == 11 else check) == digits[9]


_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn(rng: random.Random, la_code: int, year: int) -> str:
    """A UPN: check letter + LA code (3) + establishment (4) + year (2) + serial (3)."""
    body = f"{la_code:03d}{randint(rng, 2000, 7999):04d}{year % 100:02d}{randint(rng, 0, 999):03d}"
    total = sum(int(c) * (i + 2) for i, c in enumerate(body))
    return _UPN_LETTERS[total % 23] + body


def postcode(rng: random.Random) -> str:
    return f"{choice(rng, DISTRICTS)} {randint(rng, 1, 9)}{choice(rng, INWARD_LETTERS)}{choice(rng, INWARD_LETTERS)}"


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def variant(name: str, rng: random.Random) -> str:
    """How another system may spell the same name: case, hyphens, apostrophes, accents, typos."""
    r = rng.random()
    if r < 0.30:
        return strip_accents(name) if strip_accents(name) != name else name.upper()
    if r < 0.45 and ("-" in name or "'" in name):
        return name.replace("-", " ").replace("'", "")
    if r < 0.55:
        return name.upper()
    if r < 0.65:
        return name.lower()
    if r < 0.75 and len(name) > 4:  # a typo: two letters swapped
        i = randint(rng, 1, len(name) - 3)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if r < 0.80:
        return " " + name if rng.random() < 0.5 else name + " "
    return name
