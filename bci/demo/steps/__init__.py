"""Seed steps for ``bci seed-demo``: one module per step, listed in ``bci.demo.seed.STEPS``."""
