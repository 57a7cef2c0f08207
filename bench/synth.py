"""Synthetic US people on file and registrations against them, with a documented error model.

    python -m bench.synth --people 100000 --registrations 20000 --out bench/out

Writes records.csv, registrations.csv (both in the person-file format of PRODUCT.md) and
truth.csv (registration id → the record id of the same person, empty when not on file).
Everything comes from a seeded PRNG and the small name lists below: no real person's data,
and no public linkage benchmark (FEBRL, pseudopeople, RLdata are kept for independent tests).

Population. Households of 1–6 at one address: a couple (the wife keeps her maiden name as
`former_last_name` on file in half the cases), children 22–40 years younger, twins in 8% of
families with 2+ children (same birth date), a son named after his father ("Jr") in 10%.
Every person has a unique SSN and an 8-digit state ID; 70% an email, 60% a phone.

Registrations (error model, each applied independently to the registrant's true data):
  on file (75% of registrations) — the person as on file, then
    first name: a nickname 7% (when one exists), one typo 2%, first initial only 0.5%,
      middle name used as first name 0.5%
    last name: one typo 1.5%; married since (women 25–60) 4%, of which 60% give the
      former name
    date of birth: day and month swapped 1% (when the day ≤ 12), one digit wrong 1%
    SSN: one digit wrong 1%, two adjacent digits swapped 0.5%
    state ID typed 30% of the time; address moved 30%; different email 40%
    case changed 10%, accents dropped 30% (they are not errors, but they happen)
  not on file, with a relative on file (≥ 10%) — a twin, sibling, parent, child or spouse
    withheld from the records: same address and surname as their family, their own first
    name, birth date and SSN; same error model
  not on file, strangers (the rest) — fresh people, same error model
"""

from __future__ import annotations

import argparse
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, timedelta
from pathlib import Path

from nicknames import NickNamer

from edgate.core import csvsafe

FIRST_MALE = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew "
    "Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward "
    "Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin "
    "Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry Tyler Aaron José Adam Nathan "
    "Henry Douglas Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald "
    "Harold Sean Austin Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce Gabriel Logan "
    "Albert Willie Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason Philip "
    "Louis Carlos Luis Miguel Diego Minh Duc Wei Hiroshi Mohammed Omar Ahmed Kwame Liam Siddharth"
).split()
FIRST_FEMALE = (
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty "
    "Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah "
    "Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma "
    "Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather "
    "Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith "
    "Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn "
    "Janice Jean Abigail Alice Judy Sophia Grace Denise Amber Doris Marilyn Danielle Beverly Isabella "
    "Theresa Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Sofía Lucía Guadalupe Thu Lan "
    "Mei Yuki Fatima Aisha Amara Siobhán Zoë Chloé Priya Aaliyah"
).split()
SURNAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
    "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders "
    "Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler "
    "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton "
    "Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina "
    "Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter "
    "Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Muñoz Hunt Hicks Holmes Palmer Wagner Black "
    "Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson "
    "Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce "
    "Vázquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson "
    "Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Peña "
    "Richards Contreras Willis Carpenter Lawrence Sandoval O'Brien O'Connor McCarthy Fitzgerald "
    "García-López Van-der-Berg St.-John Okafor Kowalski Yamamoto Haddad Cohen Rossi Dubois Nowak "
    "Pham Hoang Huynh Vo Dang Bui Do Ngo Duong Ly Le Wang Zhang Liu Singh Kumar Shah Ali Khan"
).split()
STREETS = (
    "Main St",
    "Oak Ave",
    "Maple Rd",
    "Elm St",
    "Washington St",
    "Park Ave",
    "Cedar Ln",
    "Pine St",
    "Lake Dr",
    "Hill Rd",
    "Church St",
    "High St",
    "Union St",
    "Spring St",
    "School St",
    "Center St",
    "Pleasant St",
    "Prospect Ave",
    "Chestnut St",
    "Walnut St",
    "Highland Ave",
    "Summer St",
)
CITIES = [(f"Town{n:03d}", f"{1000 + n * 7:05d}") for n in range(400)]
NICKNAMER = NickNamer()


@dataclass
class Person:
    id: str
    first_name: str
    middle_name: str
    last_name: str
    former_last_name: str
    date_of_birth: str
    ssn: str
    state_id: str
    street: str
    city: str
    state: str
    postcode: str
    email: str
    phone: str
    sex: str = ""
    household: int = 0
    role: str = ""


COLUMNS = [f.name for f in fields(Person) if f.name not in {"sex", "household", "role"}]


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data
        self.ssns: set[str] = set()
        self.state_ids: set[str] = set()
        self.count = 0
        # Zipf-like weights: common names are much more common.
        self.w_male = [1 / (i + 1) ** 0.8 for i in range(len(FIRST_MALE))]
        self.w_female = [1 / (i + 1) ** 0.8 for i in range(len(FIRST_FEMALE))]
        self.w_surname = [1 / (i + 1) ** 0.9 for i in range(len(SURNAMES))]

    def ssn(self) -> str:
        while True:
            area = self.rng.randint(1, 899)
            if area == 666:
                continue
            value = f"{area:03d}{self.rng.randint(1, 99):02d}{self.rng.randint(1, 9999):04d}"
            if value not in self.ssns:
                self.ssns.add(value)
                return value

    def state_id(self) -> str:
        while True:
            value = str(self.rng.randint(10_000_000, 99_999_999))
            if value not in self.state_ids:
                self.state_ids.add(value)
                return value

    def first(self, sex: str) -> str:
        names, weights = (FIRST_MALE, self.w_male) if sex == "M" else (FIRST_FEMALE, self.w_female)
        return self.rng.choices(names, weights)[0]

    def surname(self) -> str:
        # Multi-word surnames are written with "-" in the list above; only the compound
        # Spanish surname keeps its hyphen.
        name = self.rng.choices(SURNAMES, self.w_surname)[0]
        return name if name == "García-López" else name.replace("-", " ")

    def person(
        self,
        *,
        sex: str,
        last: str,
        born: date,
        address: tuple[str, str, str, str],
        household: int,
        role: str,
        first: str | None = None,
        former: str = "",
    ) -> Person:
        self.count += 1
        first = first or self.first(sex)
        middle = self.first(sex) if self.rng.random() < 0.6 else ""
        email = (
            f"{first[:1].lower()}{self.rng.randint(1, 10**7)}@example.org" if self.rng.random() < 0.7 else ""
        )
        phone = f"555{self.rng.randint(1_000_000, 9_999_999)}" if self.rng.random() < 0.6 else ""
        street, city, state, postcode = address
        return Person(
            str(self.count),
            first,
            middle,
            last,
            former,
            born.isoformat(),
            self.ssn(),
            self.state_id(),
            street,
            city,
            state,
            postcode,
            email,
            phone,
            sex,
            household,
            role,
        )

    def address(self) -> tuple[str, str, str, str]:
        city, postcode = self.rng.choice(CITIES)
        return f"{self.rng.randint(1, 2999)} {self.rng.choice(STREETS)}", city, "MA", postcode

    def birth(self, start: int, end: int) -> date:
        return date(start, 1, 1) + timedelta(days=self.rng.randint(0, (end - start) * 365))

    def household(self, number: int) -> list[Person]:
        address = self.address()
        size = self.rng.choices([1, 2, 3, 4, 5, 6], [28, 30, 17, 15, 7, 3])[0]
        last = self.surname()
        father_born = self.birth(1942, 2004) if size <= 2 else self.birth(1942, 1982)
        father = self.person(
            sex="M", last=last, born=father_born, address=address, household=number, role="father"
        )
        members = [father]
        if size >= 2:
            maiden = self.surname()
            members.append(
                self.person(
                    sex="F",
                    last=last,
                    born=father_born + timedelta(days=self.rng.randint(-1500, 1500)),
                    address=address,
                    household=number,
                    role="mother",
                    former=maiden if self.rng.random() < 0.5 else "",
                )
            )
        children = size - 2
        if children > 0:
            twins = children >= 2 and self.rng.random() < 0.08
            first_born = father_born + timedelta(days=self.rng.randint(22 * 365, 40 * 365))
            for i in range(children):
                born = (
                    first_born
                    if (twins and i == 1)
                    else first_born + timedelta(days=i * self.rng.randint(400, 1500))
                )
                if born > date(2012, 12, 31):  # registrants are at least 14
                    break
                sex = self.rng.choice("MF")
                junior = sex == "M" and i == 0 and self.rng.random() < 0.10
                first = father.first_name if junior else self.first(sex)
                while any(m.first_name == first for m in members[2:]):  # siblings get their own names
                    first = self.first(sex)
                members.append(
                    self.person(
                        sex=sex,
                        last=last,
                        born=born,
                        address=address,
                        household=number,
                        role="twin" if twins and i <= 1 else "child",
                        first=first,
                    )
                )
        return members


# --- the error model --------------------------------------------------------------------


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(["swap", "drop", "double", "replace"])
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def _digit(rng: random.Random, digits: str, positions: range) -> str:
    i = rng.choice(list(positions))
    return digits[:i] + rng.choice([d for d in "0123456789" if d != digits[i]]) + digits[i + 1 :]


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def registration(rng: random.Random, gen: Generator, truth: Person, query_id: str) -> Person:
    q = replace(truth, id=query_id, state_id="", former_last_name="")
    if rng.random() < 0.07:
        nicks = sorted(NICKNAMER.nicknames_of(truth.first_name.lower()))
        if nicks:
            q.first_name = rng.choice(nicks).title()
    elif rng.random() < 0.02:
        q.first_name = _typo(rng, q.first_name)
    elif rng.random() < 0.005:
        q.first_name = q.first_name[0]
    elif rng.random() < 0.005 and q.middle_name:
        q.first_name, q.middle_name = q.middle_name, q.first_name
    if rng.random() < 0.015:
        q.last_name = _typo(rng, q.last_name)
    born = date.fromisoformat(truth.date_of_birth)
    if truth.sex == "F" and 25 <= 2026 - born.year <= 60 and rng.random() < 0.04:
        q.last_name = gen.surname()
        q.former_last_name = truth.last_name if rng.random() < 0.6 else ""
    roll = rng.random()
    if roll < 0.01 and born.day <= 12 and born.day != born.month:
        q.date_of_birth = born.replace(month=born.day, day=born.month).isoformat()
    elif roll < 0.02:
        for _ in range(10):
            typo = _digit(rng, born.strftime("%Y%m%d"), range(2, 8))
            try:
                q.date_of_birth = date(int(typo[:4]), int(typo[4:6]), int(typo[6:])).isoformat()
                break
            except ValueError:
                continue
    roll = rng.random()
    if roll < 0.01:
        q.ssn = _digit(rng, truth.ssn, range(9))
    elif roll < 0.015:
        i = rng.randrange(8)
        q.ssn = truth.ssn[:i] + truth.ssn[i + 1] + truth.ssn[i] + truth.ssn[i + 2 :]
    if rng.random() < 0.30:
        q.state_id = truth.state_id
    if rng.random() < 0.30:
        q.street, q.city, q.state, q.postcode = gen.address()
    if rng.random() < 0.40:
        q.email = f"new{rng.randint(1, 10**7)}@example.net"
    if rng.random() < 0.10:
        q.first_name, q.last_name = q.first_name.lower(), q.last_name.upper()
    if rng.random() < 0.30:
        q.first_name, q.last_name = _strip_accents(q.first_name), _strip_accents(q.last_name)
    return q


@dataclass
class Dataset:
    records: list[Person]
    registrations: list[Person]
    truth: dict[str, str]  # registration id -> record id ("" when not on file)
    kinds: dict[str, str]  # registration id -> on_file / relative / stranger


def generate(people: int, registrations: int, *, seed: int = 73001, relative_share: float = 0.125) -> Dataset:
    gen = Generator(seed)
    rng = random.Random(seed + 1)  # noqa: S311
    population: list[Person] = []
    number = 0
    n_relatives = max(int(registrations * relative_share), 1)
    while len(population) < people + n_relatives:
        number += 1
        population.extend(gen.household(number))
    by_household: dict[int, list[Person]] = {}
    for p in population:
        by_household.setdefault(p.household, []).append(p)
    # Withhold some family members from the records: relatives of people on file.
    families = [members for members in by_household.values() if len(members) >= 2]
    rng.shuffle(families)
    withheld: list[Person] = []
    twins_first = sorted(families, key=lambda m: not any(p.role == "twin" for p in m))
    for members in twins_first[:n_relatives]:
        twins = [p for p in members if p.role == "twin"]
        withheld.append(twins[-1] if twins else rng.choice(members))
    withheld_ids = {p.id for p in withheld}
    records = [p for p in population if p.id not in withheld_ids][:people]
    n_strangers = registrations // 10
    strangers = []
    for _ in range(n_strangers):
        number += 1
        strangers.append(gen.household(number)[0])
    n_on_file = registrations - len(withheld) - len(strangers)
    on_file = rng.sample(records, n_on_file)
    queries, truth, kinds = [], {}, {}
    for kind, group in (("on_file", on_file), ("relative", withheld), ("stranger", strangers)):
        for person in group:
            qid = f"q{len(queries) + 1}"
            queries.append(registration(rng, gen, person, qid))
            truth[qid] = person.id if kind == "on_file" else ""
            kinds[qid] = kind
    order = list(range(len(queries)))
    rng.shuffle(order)
    return Dataset(records, [queries[i] for i in order], truth, kinds)


def write_csv(path: Path, rows: Iterator[Person] | list[Person]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csvsafe.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--registrations", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=73001)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    data = generate(args.people, args.registrations, seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "records.csv", data.records)
    write_csv(args.out / "registrations.csv", data.registrations)
    with (args.out / "truth.csv").open("w", newline="") as fh:
        writer = csvsafe.writer(fh)
        writer.writerow(["query_id", "record_id", "kind"])
        for qid, rid in data.truth.items():
            writer.writerow([qid, rid, data.kinds[qid]])
    print(
        f"{len(data.records)} records, {len(data.registrations)} registrations "
        f"({sum(k == 'relative' for k in data.kinds.values())} relatives not on file) in {args.out}"
    )


if __name__ == "__main__":
    main()
