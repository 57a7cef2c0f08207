"""The SSN variants a record's last four digits allow: the same as filtering all of them."""

from __future__ import annotations

import random

from edgate.identity.compare import _variants_consistent_with, ssn_variants


def by_filtering(ssn: str, last4: str) -> list[str]:
    return sorted(v for v in ssn_variants(ssn) if not last4 or v[-4:] == last4)


def test_the_variants_built_from_the_last_four_are_those_filtering_finds() -> None:
    rng = random.Random(5)
    found = 0
    for _ in range(20_000):
        # Repeated digits too: a swap of two equal digits is no variant.
        ssn = "".join(rng.choice("0123456789" if rng.random() < 0.7 else "0011") for _ in range(9))
        pick = rng.random()
        if pick < 0.3:
            last4 = ssn[5:]  # the keystroke, if any, was in the first five digits
        elif pick < 0.6:
            last4 = rng.choice(sorted(ssn_variants(ssn)))[5:]  # a variant's own last four
        elif pick < 0.65:
            last4 = ""  # unknown: every variant
        else:
            last4 = "".join(rng.choice("0123456789") for _ in range(4))
        assert sorted(_variants_consistent_with(ssn, last4)) == by_filtering(ssn, last4)
        found += bool(by_filtering(ssn, last4))
    assert found > 10_000  # most cases had variants to find, not only empty answers


def test_examples() -> None:
    assert _variants_consistent_with("123456789", "6798") == ["123456798"]  # last two swapped
    assert _variants_consistent_with("123456789", "6780") == ["123456780"]  # last digit changed
    # 6 → 5, or 5 and 6 swapped across the boundary of the last four
    assert _variants_consistent_with("123456789", "5789") == ["123455789", "123465789"]
    assert _variants_consistent_with("123456789", "1111") == []
    assert len(_variants_consistent_with("123456789", "6789")) == 5 * 9 + 4  # first five digits
