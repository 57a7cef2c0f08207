"""A second error model, written from published figures, independent of bench.synth and the rules.

    python -m bench.synth_published --setting noisy --people 50000 --registrations 10000 --out DIR

Writes records.csv and registrations.csv in the person-file format (the columns of
edgate.importer.rows) and truth.csv (registration id, the record ids of the same person joined by
"|", empty when not on file, and the kind). bench/evaluate.py runs EdGate and Splink on it next to
bench.synth. Nothing here was tuned against EdGate's rules: the rates below come from the sources
cited, or are marked ASSUMED with the reason, and were chosen without reading the matcher.

Names come from Faker's en_US tables (first names and the 1,000 commonest US surnames, each with
the frequency weight Faker ships) and its es_MX surnames for compound Hispanic surnames;
nicknames from the `nicknames` package. Everything is seeded; no real person's data.

Published figures used (author, year, title: the number, and what it drives here)
----------------------------------------------------------------------------------
[G] Garza MY, Williams T, Ounpraseuth S, et al. 2025, "Error rates of data processing methods in
    clinical research: a systematic review and meta-analysis of manuscripts identified through
    PubMed" (Int J Med Inform, doi 10.1016/j.ijmedinf.2024.105749; 93 papers 1978-2008): pooled
    error rate per field 0.29% for single data entry and 6.57% for medical-record abstraction
    (copying from source documents). -> per-field keying error of the registrant (0.29%, both
    settings) and of the agency clerk (0.29% clean, 6.57% noisy).
[GN] Goldberg SI, Niemierko A, Turchin A. 2008, "Analysis of data errors in clinical research
    databases" (AMIA Annu Symp Proc 2008:242-6): error rates found by double entry from 2.3% to
    26.9% per database. -> the noisy setting's clerk rate (6.57%) is inside the observed range.
[D] Damerau FJ. 1964, "A technique for computer detection and correction of spelling errors" (Commun
    ACM 7(3):171-176): over 80% of misspelled words contain a single error - one insertion,
    omission, substitution or transposition (the figure as restated in "Spelling error patterns in
    Brazilian Portuguese", Computational Linguistics 41(1):175, 2015). -> a name typo is one such
    edit 80% of the time (type chosen uniformly), two edits otherwise.
[V] Verhoeff J. 1969, "Error detecting decimal codes" (monograph, Mathematisch Centrum Amsterdam;
    the figures as summarised by Wagner NR 2002, "The Laws of Cryptography", chapter "Verhoeff's
    decimal error detection"), error types when people handle decimal numbers: single digit wrong
    60-95%, adjacent transposition 10-20%, twin error (aa->bb) 0.5-1.5%, jump transposition
    0.5-1.5%, phonetic (30<->13) 0.5-1.5%, digit omitted or added 10-20%. -> SSN and date-digit
    errors: single 70%, adjacent transposition 15%, twin 1%, jump transposition 1%, phonetic 1%,
    omitted/added 12%. An omitted or added digit (or any result the wizard refuses) on the
    registration side is retyped; on the agency record it stays, a malformed field.
[J] Just BH, Marc D, Munns M, Sandefer R. 2016, "Why patient matching is a challenge: research on
    master patient index (MPI) data discrepancies in key identifying fields" (Perspect Health Inf
    Manag 13:1e): in 398,939 confirmed duplicate pairs the SSN differed in 53.54% of pairs and the
    middle name in 58.30%; 53.14% of first-name and 33.62% of last-name mismatches were
    misspellings, the rest mostly first/middle/last names swapped (or, for last names, changed). ->
    the kinds of name disagreement: misspelling, first/middle swap, nickname, name change; middle
    names are often dropped (noisy: 30%, clean 10%, ASSUMED below [J]'s 58% because [J] counts only
    pairs that had become duplicates).
[L] Luo W, Gallagher M, Loveday B, et al. 2014, "Detecting contaminated birthdates using generalized
    additive models" (BMC Bioinformatics 15:185): 1.5% of birth dates incorrect in a state-wide
    public health data set of over 20,000 records; 2% of 1,112 hospital admissions had an incorrect
    name or birth date. -> 1.5% of agency birth dates wrong (both settings, on top of the clerk's
    keying errors [G]); 10% of wrong birth dates are the date the record was made (ASSUMED share: a
    form's default date kept by mistake).
[H] An article in Health Services Research, 2022 (PubMed Central PMC9108037, table hesr13901 Table 1
    "Linkage statistics by final link status, 2012-2017"; authors and title not retrieved here, the
    table was): of 144,727 patients, 62.90% matched exactly on five identifiers; 32,609 (22.5%) were
    linked on DOB, names and sex with the SSN missing, 4,603 (3.2%) with a partial SSN (fewer than 9
    digits). -> noisy setting: 22.5% of agency records have no SSN, 3.2% an SSN of fewer than 9
    digits; clean: 2% and 0.5% (ASSUMED: a well-kept file).
[P] Pew Research Center 2023 (short read, 7 September 2023), "About 8 in 10 women in opposite-sex
    marriages say they took their husband's last name" (2,437 married adults): 79% took it, 14% kept
    their own, 5% hyphenated; men 92% kept theirs, 5% took the wife's. -> surnames of married women
    on file and of women who married after their record was made.
[T] Martin JA, Hamilton BE, Osterman MJK. 2012, "Three decades of twin births in the United States,
    1980-2009" (NCHS Data Brief 80): 33.3 twins per 1,000 births in 2009 (1 baby in 30). ->
    0.0333/(2 - 0.0333) = 1.69% of deliveries are twins.
[S] Social Security Administration 2011, "SSN Randomization" FAQ (ssa.gov/employer/
    randomizationfaqs.html): random assignment since 25 June 2011, never area 000, 666 or 900-999,
    group 00 or serial 0000; Kestenbaum B (SSA) 2012, "Consequences of Social Security Number
    randomization": numbers were assigned by a fixed method for three-quarters of a century before;
    and SSA issues a new number when "sequential numbers assigned to members of the same family are
    causing problems" (SSA's list, as quoted by BRB Publications' blog, May 2011). -> twins born
    before 2011-06-25 get consecutive serial numbers in 50% of pairs (ASSUMED share; no published
    figure found); invalid agency SSNs use the never-issued areas 000, 666.
[C] US Census Bureau: 28.0% of households are people living alone (2015, as tabulated from "Income
    and Poverty in the United States: 2014"); 34.59% of households had two persons in 2024 and the
    average household 2.51 persons in 2023 (Current Population Survey, as published by Statista). ->
    household sizes 1-6 with weights 28, 35, 15, 13, 6, 3 (the shares of 3-6 ASSUMED so that the
    mean is about 2.5). US Census Bureau, 2020 Census: 62,080,044 Hispanic or Latino people, 18.7%
    of the population. -> 19% of households carry Hispanic compound surnames.

ASSUMED without a published figure (searched, none found; each says why the value)
  nicknames on the registration (clean 5%, noisy 10%: people register under the name they use); a
  son given his father's first and middle name (3% of first sons; "Jr" is not a column, so the two
  records differ only in birth date, SSN and often address); Hispanic compound surnames ("Paternal
  Maternal", hyphenated in 20%; share from [C]) given only by their first part on 25% of
  registrations and keyed without the space on 20% of records; marriage since the agency record was
  made (women 18-45: clean 3%, noisy 10%) and divorce back to the birth surname (2%); duplicate
  records of one person in the agency file (clean 1%, noisy 4%, below the 8-12% often quoted for
  hospital indexes because an agency file has one source); malformed agency fields besides those
  from [V] (ZIP with its leading zero lost to a spreadsheet, a ZIP of 3/4/6 digits, letters O/l for
  0/1, '|' for '1' in a date, month and day swapped into an impossible month) at the rates of
  Setting below; households sharing one email (15%) and one phone (30%); address moved since the
  record (clean 20%, noisy 40%); a date error being day and month swapped (25%); a middle name
  on 75% of people; on the registration, the state ID typed 20%, the email on file 50%, the phone
  on file 60% of the time; household make-up (a couple in 75-80% of households of two or more, births
  1-5 years apart).
  Registrations by relatives of people on file who are not on file themselves: clean 15%, noisy 20%
  of registrations; the relative is any member of a family of two or more, except that twins and
  sons of one name with their father are over-sampled to 3% and 2% of relatives (drawn at random
  they would be well under 1%), so that a few dozen of each are measured without letting them
  dominate the false-block figure - a design choice, not a population figure.

What comes out (seed 91001, 50,000 people, 10,000 registrations; `summary()` prints it): noisy -
47% of true pairs agree exactly on first name, last name, date of birth and SSN, 41% differ in
exactly one, 13% in two or more (issue 9 reports 40% and 41% for its held-out set 2); 11% of
agency records have a malformed field. Clean - 84%, 15%, 1%; 2% malformed. No rate was changed to
move a matcher's figure.
"""

from __future__ import annotations

import argparse
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from faker import Faker
from nicknames import NickNamer

from edgate.core import csvsafe
from edgate.importer.rows import COLUMNS

REFERENCE = date(2026, 1, 1)  # "today" of the generated data (fixed, so a seed gives one data set)
RANDOMIZED = date(2011, 6, 25)  # [S]


@dataclass(frozen=True)
class Setting:
    name: str
    clerk: float  # per-field keying error on the agency record [G]
    typist: float  # per-field typing error by the registrant [G]
    wrong_dob: float  # extra: agency birth date wrong in another way [L]
    missing_ssn: float  # [H]
    short_ssn: float  # fewer than 9 digits [H]
    bad_ssn: float  # placeholder or letters (ASSUMED)
    bad_zip: float  # (ASSUMED)
    missing_dob: float  # (ASSUMED)
    drop_middle: float  # middle name not given (ASSUMED, see [J])
    nickname: float
    first_middle_swap: float  # [J] swapped names (ASSUMED rate)
    married_since: float
    duplicate: float
    moved: float
    relatives: float
    strangers: float


CLEAN = Setting(
    "clean",
    clerk=0.0029,
    typist=0.0029,
    wrong_dob=0.015,
    missing_ssn=0.02,
    short_ssn=0.005,
    bad_ssn=0.002,
    bad_zip=0.005,
    missing_dob=0.002,
    drop_middle=0.10,
    nickname=0.05,
    first_middle_swap=0.002,
    married_since=0.03,
    duplicate=0.01,
    moved=0.20,
    relatives=0.15,
    strangers=0.10,
)
NOISY = Setting(
    "noisy",
    clerk=0.0657,
    typist=0.0029,
    wrong_dob=0.015,
    missing_ssn=0.225,
    short_ssn=0.032,
    bad_ssn=0.01,
    bad_zip=0.03,
    missing_dob=0.01,
    drop_middle=0.30,
    nickname=0.10,
    first_middle_swap=0.01,
    married_since=0.10,
    duplicate=0.04,
    moved=0.40,
    relatives=0.20,
    strangers=0.10,
)
SETTINGS = {s.name: s for s in (CLEAN, NOISY)}

_FAKE = Faker("en_US")
_PERSON = _FAKE.provider("faker.providers.person")
_ADDRESS = _FAKE.provider("faker.providers.address")
_HISPANIC = tuple(Faker("es_MX").provider("faker.providers.person").last_names)
NICKNAMER = NickNamer()


def _weighted(table: dict[str, float]) -> tuple[list[str], list[float]]:
    names = list(table)
    weights = [float(table[n]) for n in names]
    total = 0.0
    cumulative = []
    for w in weights:
        total += w
        cumulative.append(total)
    return names, cumulative


MALE = _weighted(_PERSON.first_names_male)
FEMALE = _weighted(_PERSON.first_names_female)
SURNAME = _weighted(_PERSON.last_names)
STREET_SUFFIXES = tuple(_ADDRESS.street_suffixes)


@dataclass
class Person:
    """The truth about one person (what an error-free record would say)."""

    pid: int
    sex: str
    first: str
    middle: str
    last: str  # current surname
    birth_last: str  # surname at birth
    dob: date
    ssn: str
    state_id: str
    address: tuple[str, str, str, str]
    email: str
    phone: str
    household: int
    role: str  # adult / partner / child / twin / junior
    father: int = 0  # pid, for juniors


@dataclass
class Dataset:
    records: list[dict[str, str]]
    registrations: list[dict[str, str]]
    truth: dict[str, frozenset[str]]  # registration id -> record ids of the same person
    kinds: dict[str, str]  # on_file / relative / stranger
    people: dict[str, Person]  # record id or registration id -> the true person
    tags: dict[str, list[str]] = field(default_factory=dict)  # id -> errors applied
    relation: dict[str, str] = field(default_factory=dict)  # relative registration -> twin, sibling...


class Population:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ssns: set[str] = set()
        self.state_ids: set[str] = set()
        self.next_pid = 0
        self.households = 0

    # --- identifiers ----------------------------------------------------------------
    def ssn(self, after: str = "") -> str:
        rng = self.rng
        if after:
            serial = int(after[5:]) + 1
            candidate = f"{after[:5]}{serial:04d}"
            if serial <= 9999 and candidate not in self.ssns:
                self.ssns.add(candidate)
                return candidate
        while True:
            area = rng.randint(1, 899)
            if area == 666:
                continue
            value = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
            if value not in self.ssns:
                self.ssns.add(value)
                return value

    def state_id(self) -> str:
        while True:
            value = str(self.rng.randint(10_000_000, 99_999_999))  # 8 digits, as the product requires
            if value not in self.state_ids:
                self.state_ids.add(value)
                return value

    def pick(self, table: tuple[list[str], list[float]]) -> str:
        names, cumulative = table
        return self.rng.choices(names, cum_weights=cumulative)[0]

    def first(self, sex: str) -> str:
        return self.pick(MALE if sex == "M" else FEMALE)

    def surname(self) -> str:
        if self.rng.random() < 0.19:  # Hispanic, compound surname (ASSUMED)
            a, b = self.rng.choice(_HISPANIC), self.rng.choice(_HISPANIC)
            return f"{a}-{b}" if self.rng.random() < 0.2 else f"{a} {b}"
        return self.pick(SURNAME)

    def address(self) -> tuple[str, str, str, str]:
        rng = self.rng
        street = f"{rng.randint(1, 9999)} {self.pick(SURNAME)} {rng.choice(STREET_SUFFIXES)}"
        zip_code = f"{rng.randint(1001, 99950):05d}"  # about 7% start with 0, as in New England
        return street, f"City{int(zip_code) // 100:03d}", "MA", zip_code

    def person(self, sex: str, last: str, born: date, household: int, role: str, **kw) -> Person:  # type: ignore[no-untyped-def]
        rng = self.rng
        self.next_pid += 1
        first = kw.pop("first", None) or self.first(sex)
        middle = kw.pop("middle", None)
        if middle is None:
            middle = self.first(sex) if rng.random() < 0.75 else ""  # ASSUMED
        while middle == first:
            middle = self.first(sex)
        after = kw.pop("ssn_after", "")
        return Person(
            pid=self.next_pid,
            sex=sex,
            first=first,
            middle=middle,
            last=last,
            birth_last=kw.pop("birth_last", last),
            dob=born,
            ssn=self.ssn(after),
            state_id=self.state_id(),
            address=kw.pop("address"),
            email=kw.pop("email", "")
            or (f"{first[:1].lower()}{rng.randint(1, 10**8)}@example.org" if rng.random() < 0.8 else ""),
            phone=kw.pop("phone", "")
            or (f"555{rng.randint(1_000_000, 9_999_999)}" if rng.random() < 0.7 else ""),
            household=household,
            role=role,
            father=kw.pop("father", 0),
        )

    def born(self, earliest: date, latest: date) -> date:
        span = max((latest - earliest).days, 0)
        return earliest + timedelta(days=self.rng.randint(0, span))

    def household(self) -> list[Person]:
        """One household [C]: a single adult, a couple, or one or two parents with children."""
        rng = self.rng
        self.households += 1
        h = self.households
        size = rng.choices([1, 2, 3, 4, 5, 6], [28, 35, 15, 13, 6, 3])[0]
        address = self.address()
        shared_email = f"family{rng.randint(1, 10**8)}@example.net" if rng.random() < 0.15 else ""
        shared_phone = f"555{rng.randint(1_000_000, 9_999_999)}" if rng.random() < 0.30 else ""
        common = {"address": address, "email": shared_email, "phone": shared_phone}
        youngest_adult = REFERENCE - timedelta(days=365 * 18)
        if size == 1:
            sex = rng.choice("MF")
            return [
                self.person(
                    sex, self.surname(), self.born(date(1936, 1, 1), youngest_adult), h, "adult", **common
                )
            ]
        couple = size == 2 and rng.random() < 0.75 or size > 2 and rng.random() < 0.8  # ASSUMED
        children = size - (2 if couple else 1)
        # parents old enough for their children to be registrants (14+) when there are any
        latest_parent = youngest_adult if children == 0 else REFERENCE - timedelta(days=365 * 36)
        father_born = self.born(date(1940, 1, 1), latest_parent)
        his = self.surname()
        members: list[Person] = []
        father = self.person("M", his, father_born, h, "adult", **common)
        if couple:
            members.append(father)
            hers = self.surname()
            roll = rng.random()  # [P]
            last = his if roll < 0.79 else hers if roll < 0.93 else f"{hers}-{his}"
            mother_born = father_born + timedelta(days=rng.randint(-4 * 365, 4 * 365))
            members.append(self.person("F", last, mother_born, h, "partner", birth_last=hers, **common))
        else:
            lone = (
                father
                if rng.random() < 0.2
                else self.person("F", self.surname(), father_born, h, "adult", **common)
            )
            members.append(lone)
            his = lone.last
        delivery = father_born + timedelta(days=rng.randint(22 * 365, 34 * 365))
        previous_ssn = ""
        twin_left = False
        made = 0
        while made < children:
            if delivery > REFERENCE - timedelta(days=365 * 14):
                break  # too young to register
            sex = rng.choice("MF")
            junior = sex == "M" and made == 0 and couple and rng.random() < 0.03  # ASSUMED
            role = "twin" if twin_left else ("junior" if junior else "child")
            consecutive = twin_left and delivery < RANDOMIZED and rng.random() < 0.5  # [S] ASSUMED share
            kid = self.person(
                sex,
                his,
                delivery,
                h,
                role,
                first=father.first if junior else None,
                middle=father.middle if junior else None,
                ssn_after=previous_ssn if consecutive else "",
                father=father.pid if junior else 0,
                **common,
            )
            while not junior and any(m.first == kid.first for m in members):
                kid.first = self.first(sex)
            members.append(kid)
            made += 1
            if twin_left:
                members[-2].role = "twin"
                twin_left = False
                delivery += timedelta(days=rng.randint(400, 2000))
            elif rng.random() < 0.0169:  # [T]: the next child is this one's twin
                twin_left = True
                previous_ssn = kid.ssn
            else:
                delivery += timedelta(days=rng.randint(400, 2000))
        return members


# --- errors ---------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def misspell(rng: random.Random, word: str) -> str:
    """[D]: one insertion, omission, substitution or transposition (80%), else two."""
    edits = 1 if rng.random() < 0.8 else 2
    out = word
    for _ in range(edits):
        if len(out) < 2:
            break
        i = rng.randrange(len(out))
        op = rng.choice(("insert", "omit", "substitute", "transpose"))
        ch = rng.choice(LETTERS)
        if op == "insert":
            out = out[:i] + ch + out[i:]
        elif op == "omit" and len(out) > 2:
            out = out[:i] + out[i + 1 :]
        elif op == "transpose" and i < len(out) - 1:
            out = out[:i] + out[i + 1] + out[i] + out[i + 2 :]
        else:
            out = out[:i] + (ch.upper() if out[i].isupper() else ch) + out[i + 1 :]
    return out if out != word else word + rng.choice(LETTERS)


def digit_error(rng: random.Random, digits: str) -> tuple[str, str]:
    """[V]: one human error copying a decimal number; returns (new digits, kind)."""
    n = len(digits)
    roll = rng.random()
    i = rng.randrange(n - 1)
    if roll < 0.70:
        j = rng.randrange(n)
        return digits[:j] + rng.choice([d for d in "0123456789" if d != digits[j]]) + digits[j + 1 :], "digit"
    if roll < 0.85 and digits[i] != digits[i + 1]:
        return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :], "transposed"
    if roll < 0.86 and digits[i] == digits[i + 1]:
        d = rng.choice([x for x in "0123456789" if x != digits[i]])
        return digits[:i] + d + d + digits[i + 2 :], "twin"
    if roll < 0.87 and i < n - 2:
        return digits[:i] + digits[i + 2] + digits[i + 1] + digits[i] + digits[i + 3 :], "jump"
    if roll < 0.88:
        j = rng.randrange(n)
        return digits[:j] + rng.choice("0123456789") + digits[j + 1 :], "digit"
    if rng.random() < 0.5:
        return digits[:i] + digits[i + 1 :], "omitted"
    return digits[:i] + rng.choice("0123456789") + digits[i:], "added"


def valid_ssn(value: str) -> bool:
    return (
        len(value) == 9
        and value.isdigit()
        and value[:3] not in {"000", "666"}
        and not value.startswith("9")
        and value[3:5] != "00"
        and value[5:] != "0000"
    )


def parse_ymd(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def fold(text: str) -> str:
    return "".join(
        ch
        for ch in unicodedata.normalize("NFKD", text.casefold())
        if ch.isalpha() and not unicodedata.combining(ch)
    )


class Errors:
    def __init__(self, rng: random.Random, pop: Population, setting: Setting) -> None:
        self.rng, self.pop, self.s = rng, pop, setting

    # dates: YYYYMMDD digits
    def date_typo(self, born: date, *, record: bool, made: date) -> tuple[str, str]:
        rng = self.rng
        roll = rng.random()
        if record and roll < 0.10:  # [L] the date of the service instead of the birth date
            return made.isoformat(), "dob=record date"
        if roll < 0.25:  # day and month swapped (US/other order); ASSUMED share
            text = f"{born.year:04d}-{born.day:02d}-{born.month:02d}"
            if born.day != born.month:
                return text, "dob day/month swapped"
        digits, kind = digit_error(rng, born.strftime("%Y%m%d"))
        if len(digits) != 8:
            if not record:
                return born.isoformat(), ""  # the wizard refuses it; retyped
            return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}", f"dob {kind} digit"
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}", f"dob {kind}"

    def record_dob(self, p: Person, made: date, tags: list[str]) -> str:
        rng, s = self.rng, self.s
        if rng.random() < s.missing_dob:
            tags.append("dob missing")
            return ""
        if rng.random() < s.clerk + s.wrong_dob:
            text, tag = self.date_typo(p.dob, record=True, made=made)
            if rng.random() < 0.05:  # '|' for '1' (ASSUMED)
                text = text.replace("1", "|", 1)
                tag += " with |"
            if parse_ymd(text) is None:
                tag += " (malformed)"
            tags.append(tag)
            return text
        return p.dob.isoformat()

    def record_ssn(self, p: Person, tags: list[str]) -> str:
        rng, s = self.rng, self.s
        roll = rng.random()
        if roll < s.missing_ssn:
            tags.append("ssn missing")
            return ""
        roll -= s.missing_ssn
        if roll < s.short_ssn:  # [H] fewer than 9 digits: a lost leading zero or a dropped digit
            tags.append("ssn 8 digits (malformed)")
            i = rng.randrange(9)
            return p.ssn.lstrip("0") if p.ssn.startswith("0") else p.ssn[:i] + p.ssn[i + 1 :]
        roll -= s.short_ssn
        if roll < s.bad_ssn:
            kind = rng.choice(("placeholder", "666", "letters"))
            tags.append(f"ssn {kind} (malformed)")
            if kind == "placeholder":
                return "000000000"
            if kind == "666":
                return "666" + p.ssn[3:]
            return (
                p.ssn.replace("0", "O").replace("1", "l")
                if any(c in p.ssn for c in "01")
                else "S" + p.ssn[1:]
            )
        if rng.random() < s.clerk:
            digits, kind = digit_error(rng, p.ssn)
            tags.append(f"ssn {kind}" + ("" if valid_ssn(digits) else " (malformed)"))
            return digits
        return p.ssn

    def record_zip(self, p: Person, tags: list[str]) -> str:
        rng = self.rng
        zip_code = p.address[3]
        if rng.random() < self.s.bad_zip:
            if zip_code.startswith("0") and rng.random() < 0.7:
                tags.append("zip leading zero lost (malformed)")
                return zip_code[1:]
            kind = rng.choice((3, 4, 6))
            tags.append(f"zip {kind} digits (malformed)")
            return (zip_code + "1")[:kind]
        return zip_code

    def name(self, value: str, rate: float, tags: list[str], label: str) -> str:
        if value and self.rng.random() < rate:
            tags.append(f"{label} misspelt")
            return misspell(self.rng, value)
        return value

    def record(self, p: Person, record_id: str) -> tuple[dict[str, str], list[str]]:
        """The agency's row for p: keyed by a clerk some years ago [G], with dirty fields."""
        rng, s = self.rng, self.s
        tags: list[str] = []
        made = REFERENCE - timedelta(days=rng.randint(30, 8 * 365))
        made = max(made, p.dob + timedelta(days=1))
        street, city, state, _ = p.address
        last = p.last
        if " " in last and rng.random() < 0.2:  # compound surname keyed without its space (ASSUMED)
            last = last.replace(" ", "")
            tags.append("record surname joined")
        row = {
            "id": record_id,
            "first_name": self.name(p.first, s.clerk, tags, "record first"),
            "middle_name": "" if rng.random() < s.drop_middle / 2 else p.middle,
            "last_name": self.name(last, s.clerk, tags, "record last"),
            "former_last_name": p.birth_last if p.birth_last != p.last and rng.random() < 0.5 else "",
            "date_of_birth": self.record_dob(p, made, tags),
            "ssn": self.record_ssn(p, tags),
            "state_id": p.state_id,
            "street": street,
            "city": city,
            "state": state,
            "postcode": self.record_zip(p, tags),
            "email": p.email,
            "phone": p.phone,
        }
        return row, tags

    def registration(self, p: Person, qid: str, *, was_on_file: bool) -> tuple[dict[str, str], list[str]]:
        """What p types on the wizard: valid values only (the wizard refuses the rest)."""
        rng, s, pop = self.rng, self.s, self.pop
        tags: list[str] = []
        first, middle, last, former = p.first, p.middle, p.last, ""
        roll = rng.random()
        if roll < s.nickname:
            nicks = sorted(NICKNAMER.nicknames_of(first.lower()))
            if nicks:
                first = rng.choice(nicks).title()
                tags.append("nickname")
        elif roll < s.nickname + s.first_middle_swap and middle:
            first, middle = middle, first
            tags.append("first/middle swapped")
        first = self.name(first, s.typist, tags, "typed first")
        if rng.random() < s.drop_middle:
            middle = ""
        age = (REFERENCE - p.dob).days // 365
        if was_on_file and p.sex == "F" and 18 <= age <= 45 and rng.random() < s.married_since:
            roll = rng.random()  # [P]
            new = pop.surname()
            if roll < 0.79:
                former, last = last, new
                tags.append("married since: new surname")
            elif roll < 0.84:
                former, last = last, f"{last}-{new}"
                tags.append("married since: hyphenated")
        elif was_on_file and p.birth_last != p.last and rng.random() < 0.02:  # divorce (ASSUMED)
            former, last = last, p.birth_last
            tags.append("divorced: birth surname")
        if (" " in last or "-" in last) and rng.random() < 0.25:
            last = last.replace("-", " ").split(" ")[0]
            tags.append("compound surname: first part only")
        last = self.name(last, s.typist, tags, "typed last")
        dob = p.dob.isoformat()
        if rng.random() < s.typist:
            typed, tag = self.date_typo(p.dob, record=False, made=REFERENCE)
            d = parse_ymd(typed)
            if d is not None and date(1900, 1, 1) <= d <= REFERENCE - timedelta(days=365 * 14) and tag:
                dob = typed
                tags.append(f"typed {tag}")
        ssn = p.ssn
        if rng.random() < s.typist:
            typed, kind = digit_error(rng, p.ssn)
            if valid_ssn(typed):
                ssn = typed
                tags.append(f"typed ssn {kind}")
        street, city, state, zip_code = p.address
        if rng.random() < s.moved:
            street, city, state, zip_code = pop.address()
        email = p.email if p.email and rng.random() < 0.5 else f"r{rng.randint(1, 10**8)}@example.com"
        return {
            "id": qid,
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "former_last_name": former,
            "date_of_birth": dob,
            "ssn": ssn,
            "state_id": p.state_id if rng.random() < 0.2 else "",
            "street": street,
            "city": city,
            "state": state,
            "postcode": zip_code,
            "email": email,
            "phone": p.phone if rng.random() < 0.6 else "",
        }, tags


def relation(a: Person, b: Person) -> str:
    """How registrant a relates to on-file person b."""
    if a.household != b.household:
        return "unrelated"
    if a.role == "twin" and b.role == "twin" and a.dob == b.dob:
        return "twin"
    if a.father == b.pid or b.father == a.pid:
        return "father/son of one name"
    kids = {"child", "twin", "junior"}
    if a.role in kids and b.role in kids:
        return "sibling"
    if (a.role in kids) != (b.role in kids):
        return "parent/child"
    return "spouse"


def generate(people: int, registrations: int, *, setting: Setting = NOISY, seed: int = 91001) -> Dataset:
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    pop = Population(random.Random(seed + 1))  # noqa: S311
    errors = Errors(random.Random(seed + 2), pop, setting)  # noqa: S311
    n_relatives = int(registrations * setting.relatives)
    n_strangers = int(registrations * setting.strangers)
    population: list[Person] = []
    while len(population) < people + n_relatives:
        population.extend(pop.household())
    by_household: dict[int, list[Person]] = {}
    for p in population:
        by_household.setdefault(p.household, []).append(p)
    # Relatives withheld from the file: twins (3%), sons of one name with their father (2%), the
    # rest any member of a family of two or more.
    families = [m for m in by_household.values() if len(m) >= 2]
    rng.shuffle(families)
    twins = [f for f in families if any(p.role == "twin" for p in f)]
    juniors = [f for f in families if any(p.role == "junior" for p in f)]
    withheld: list[Person] = []
    used: set[int] = set()
    for group, quota, pick in (
        (twins, n_relatives * 3 // 100, lambda f: [p for p in f if p.role == "twin"][-1]),
        (juniors, n_relatives // 50, lambda f: next(p for p in f if p.role == "junior")),
        (families, n_relatives, lambda f: rng.choice(f)),
    ):
        taken = 0
        for f in group:
            if taken >= quota or len(withheld) >= n_relatives:
                break
            if f[0].household not in used:
                used.add(f[0].household)
                withheld.append(pick(f))
                taken += 1
    withheld_ids = {p.pid for p in withheld}
    on_file_people = [p for p in population if p.pid not in withheld_ids][:people]
    records: list[dict[str, str]] = []
    ids_of: dict[int, list[str]] = {}
    data = Dataset([], [], {}, {}, {})
    for p in on_file_people:
        copies = 2 if rng.random() < setting.duplicate else 1
        for _ in range(copies):
            rid = f"r{len(records) + 1}"
            row, tags = errors.record(p, rid)
            records.append(row)
            ids_of.setdefault(p.pid, []).append(rid)
            data.people[rid] = p
            data.tags[rid] = tags
    rng.shuffle(records)  # duplicates not next to each other
    strangers: list[Person] = []
    while len(strangers) < n_strangers:
        strangers.extend(pop.household())
    strangers = strangers[:n_strangers]
    n_on_file = registrations - len(withheld) - len(strangers)
    registrants = rng.sample(on_file_people, n_on_file)
    queries: list[dict[str, str]] = []
    for kind, group in (("on_file", registrants), ("relative", withheld), ("stranger", strangers)):
        for p in group:
            qid = f"q{len(queries) + 1}"
            row, tags = errors.registration(p, qid, was_on_file=kind == "on_file")
            queries.append(row)
            data.truth[qid] = frozenset(ids_of[p.pid]) if kind == "on_file" else frozenset()
            data.kinds[qid] = kind
            data.people[qid] = p
            data.tags[qid] = tags
            if kind == "relative":
                kin = [m for m in by_household[p.household] if m.pid != p.pid and m.pid in ids_of]
                data.relation[qid] = min(
                    (relation(p, m) for m in kin), default="none on file", key=_closeness
                )
    rng.shuffle(queries)
    data.records, data.registrations = records, queries
    return data


def _closeness(rel: str) -> int:
    order = [
        "twin",
        "father/son of one name",
        "sibling",
        "parent/child",
        "spouse",
        "unrelated",
        "none on file",
    ]
    return order.index(rel) if rel in order else len(order)


# --- agreement of a registration with a record, as a person reading both would see it -------


def disagreements(query: dict[str, str], record: dict[str, str]) -> list[str]:
    """Fields among first name, last name, date of birth and SSN that differ (or are unusable)."""
    out = []
    for column, label in (("first_name", "first"), ("last_name", "last")):
        if fold(query[column]) != fold(record[column]):
            former = fold(query.get("former_last_name", "")) or "-"
            if column == "last_name" and former in {
                fold(record[column]),
                fold(record.get("former_last_name", "")),
            }:
                out.append("last (changed, former given)")
            else:
                out.append(label)
    if parse_ymd(record["date_of_birth"]) is None:
        out.append("dob unusable on file")
    elif record["date_of_birth"] != query["date_of_birth"]:
        out.append("dob")
    if not record["ssn"]:
        out.append("ssn missing on file")
    elif not valid_ssn(record["ssn"]):
        out.append("ssn unusable on file")
    elif record["ssn"] != query["ssn"]:
        out.append("ssn")
    return out


def summary(data: Dataset) -> str:
    """How far true pairs are apart: the figure issue 9 gives for its held-out sets."""
    by_id = {r["id"]: r for r in data.records}
    counts: Counter[int] = Counter()
    for q in data.registrations:
        ids = data.truth[q["id"]]
        if ids:
            counts[min(len(disagreements(q, by_id[r])) for r in ids)] += 1
    total = sum(counts.values()) or 1
    dirty = sum(1 for r in data.records if any("(malformed)" in t for t in data.tags[r["id"]]))
    return (
        f"true pairs agreeing on first, last, DOB and SSN: {counts[0] / total:.0%}; differing in exactly "
        f"one: {counts[1] / total:.0%}; in two or more: {1 - (counts[0] + counts[1]) / total:.0%}; "
        f"records with a malformed field: {dirty} of {len(data.records)}"
    )


def write(data: Dataset, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("records.csv", data.records), ("registrations.csv", data.registrations)):
        with (out / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csvsafe.DictWriter(fh, fieldnames=list(COLUMNS), extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    with (out / "truth.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csvsafe.writer(fh)
        writer.writerow(["query_id", "record_id", "kind"])
        for qid, ids in data.truth.items():
            writer.writerow([qid, "|".join(sorted(ids)), data.kinds[qid]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setting", choices=sorted(SETTINGS), default="noisy")
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=91001)
    parser.add_argument("--out", type=Path, default=Path("bench/out/published"))
    args = parser.parse_args()
    data = generate(args.people, args.registrations, setting=SETTINGS[args.setting], seed=args.seed)
    write(data, args.out)
    print(f"{len(data.records)} records, {len(data.registrations)} registrations in {args.out}")
    print(summary(data))


if __name__ == "__main__":
    main()
