"""Shared test set-up: headless matplotlib, and the tutorial's reference solutions on the path."""

import os
import sys

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, os.path.dirname(__file__))

try:  # hypothesis profiles for the fuzzing suite: fast in CI, long for nightly or release runs
    from hypothesis import settings

    settings.register_profile("default", max_examples=40, deadline=None)
    settings.register_profile("long", max_examples=2000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
except ImportError:  # pragma: no cover - hypothesis is in the test extras
    pass
