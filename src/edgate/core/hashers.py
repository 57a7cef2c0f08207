"""Argon2id with parameters chosen by measured cost (bench/hashing.py), not Django's default.

Measured on the 2-core machines this runs on (bench/hashing.py, CPU per hash): Django's
default (m=100 MiB, t=2, p=8) ~186 ms, about 11 hashes/s in all; OWASP's minimum
(m=19 MiB, t=2, p=1) ~21 ms. We take m=46 MiB, t=1, p=1 — an OWASP-listed equivalent with
more memory hardness per guess — at ~49 ms, about 40 sign-ins/s on two cores.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class EdgateArgon2Hasher(Argon2PasswordHasher):
    algorithm = "argon2"
    time_cost = 1
    memory_cost = 47104  # KiB = 46 MiB
    parallelism = 1
