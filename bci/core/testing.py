"""Helpers for the test suite (imported by the root conftest, never by the product)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with the smallest costs: hashes are still argon2 (tests check that PINs and
    passwords are), but hashing takes microseconds instead of half a second."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1
