"""Shared test set-up: headless matplotlib, and the tutorial's reference solutions on the path."""

import os
import sys

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, os.path.dirname(__file__))

try:  # hypothesis profiles for the fuzzing suite: fast in CI, long for nightly or release runs
    from hypothesis import settings

    settings.register_profile("default", max_examples=40, deadline=None)
    settings.register_profile("long", max_examples=2000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
except ImportError:  # pragma: no cover - hypothesis is in the test extras
    pass


@pytest.fixture(scope="module")
def client():
    """A 2-worker LocalCluster (single-threaded worker processes) and its client, shared by a test module."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
