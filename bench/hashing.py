"""Measure Argon2id parameter choices on this machine (SECURITY.md: choose by measured cost).

    .venv/bin/python bench/hashing.py

Prints CPU time per hash and the sign-ins per second two cores could sustain, for Django's
default, OWASP's minimum and EdGate's setting. Informational only: never asserted in tests.
"""

from __future__ import annotations

import statistics
import time

from argon2 import PasswordHasher, Type

CHOICES = [
    ("Django default (m=100 MiB, t=2, p=8)", 102400, 2, 8),
    ("OWASP minimum (m=19 MiB, t=2, p=1)", 19456, 2, 1),
    ("OWASP alternative (m=46 MiB, t=1, p=1) — EdGate", 47104, 1, 1),
    ("OWASP alternative (m=64 MiB, t=3, p=4)", 65536, 3, 4),
]


def measure(memory: int, time_cost: int, parallelism: int, rounds: int = 15) -> tuple[float, float]:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory, parallelism=parallelism, type=Type.ID)
    wall, cpu = [], []
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        hasher.hash("correct horse battery staple measured")
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def main() -> None:
    print(f"{'parameters':52} {'wall ms':>8} {'cpu ms':>8} {'hashes/s on 2 cores':>20}")
    for label, memory, time_cost, parallelism in CHOICES:
        wall, cpu = measure(memory, time_cost, parallelism)
        print(f"{label:52} {wall:8.1f} {cpu:8.1f} {2000 / cpu:20.1f}")


if __name__ == "__main__":
    main()
