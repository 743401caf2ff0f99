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


# -- test tiers ------------------------------------------------------------------------------------------------
# The default run (`python -m pytest -q`) leaves out the tests marked slow, fuzz, faults, browser, docs or cluster
# (pyproject's addopts); `python -m pytest -q -n 0 -m "slow or fuzz or faults or browser or docs or cluster"` runs
# them, and .ci/run runs both tiers.  Most suites carry their marker in their own file; these are marked here,
# in one table, so that a test's tier can be changed without touching its file.  Every test that uses the
# `client` fixture (a LocalCluster) is a cluster test as well.
TIERS: dict[str, str] = {
    # Dask LocalClusters: worker processes, seconds each to start
    "tests/test_dask.py": "cluster",
    "tests/test_sweep.py::test_a_sweep_on_a_cluster_gives_the_same_bits": "cluster",
    "tests/test_sweep.py::test_resume_after_the_client_is_killed": "cluster",
    "tests/test_sweep.py::test_slurm_example_runs_its_sweep_on_a_local_cluster": "cluster",
    "tests/test_resume.py::test_resume_after_the_client_is_killed": "cluster",
    "tests/test_defaults.py::test_fi_curve_runs_on_dask_workers_with_the_same_bits": "cluster",
    "tests/test_network_sweep.py::test_a_network_sweep_on_two_workers_gives_the_same_bits": "cluster",
    # long statistical tests and a notebook kernel
    "tests/test_portable.py::test_moments": "slow",
    "tests/test_notebook.py::test_example_notebook_executes": "slow",
    # whole commands run several times in subprocesses (10-30 s each on 2 cores); each has a quicker sibling
    # in the default run that reaches the same code
    "tests/test_docs.py::test_the_companion_pages_name_every_exercise": "slow",
    "tests/test_store.py::test_a_sweep_is_not_replaced_without_force": "slow",
    "tests/test_store.py::test_an_fi_table_is_not_replaced_without_force": "slow",
    "tests/test_store.py::test_a_rerun_never_writes_onto_its_input": "slow",
    "tests/test_store.py::test_sweep_and_run_loaders_tell_the_two_apart": "slow",
    "tests/test_store.py::test_a_streamed_run_store_is_not_replaced_without_force": "slow",
    "tests/test_tutorial_part2.py::test_every_part2_figure_draws": "slow",
    "tests/test_readme.py::test_readme_figures_are_current": "slow",
    "tests/test_defaults.py::test_fi_curve_written_as_a_store_is_a_resumable_sweep": "slow",
    "tests/test_defaults.py::test_sweep_defaults_start_from_the_study_profile": "slow",
    "tests/test_defaults.py::test_fi_with_noise_cli_and_python_give_the_same_table": "slow",
    "tests/test_network_cli.py::test_network_command_saves_reruns_and_plots": "slow",
    # the overwrite refusal for each format: .npz stays in the default run
    "tests/test_store.py::test_a_run_file_is_not_replaced_without_force[run.nc]": "slow",
    "tests/test_store.py::test_a_run_file_is_not_replaced_without_force[run.zarr]": "slow",
    "tests/test_store.py::test_a_run_file_is_not_replaced_without_force[run.csv]": "slow",
    # the default run measured 307 s on an idle 2-core Xeon; these 3-7 s tests each have a sibling there
    "tests/test_store.py::test_a_small_file_cannot_claim_gigabytes": "slow",
    "tests/test_network_engines.py::test_numba_equals_numpy_on_any_threads_and_blocks"
    "[delay one step, no refractoriness]": "slow",
    "tests/test_readme.py::test_python_examples_run": "slow",
    "tests/test_findings.py::test_resume_onto_a_chunk_with_damaged_bytes_is_one_line_not_interrupted": "slow",
    "tests/test_findings.py::test_rerun_dry_run_states_the_time_and_writes_nothing": "slow",
    "tests/test_engine_conformance.py::test_block_size_and_chunks_do_not_change_any_bit[numpy-white]": "slow",
    "tests/test_tutorial_part2.py::test_cli_part2": "slow",
    "tests/test_runners.py::test_one_dask_runner_object_serves_runs_and_batches": "cluster",
    # 8-10 s each; their siblings in the default run: a member whose header claims more than it holds
    # (test_store.py) and the network's other one-line refusals before running (test_network_cli.py)
    "tests/test_findings.py::test_a_complete_small_file_claiming_gigabytes_is_refused_before_it_is_inflated": "slow",
    "tests/test_network_cli.py::test_saturation_warns_on_one_line": "slow",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config, items):
    for item in items:
        node = item.nodeid
        for prefix, marker in TIERS.items():
            if node == prefix or node.startswith((prefix + "::", prefix + "[")):
                item.add_marker(marker)
        if "client" in getattr(item, "fixturenames", ()):
            item.add_marker("cluster")
