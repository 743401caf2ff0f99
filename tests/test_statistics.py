"""Streamed ensemble statistics against numpy on the recorded traces."""

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.reduce import EnsembleReducer, Moments, merge_moments


@pytest.fixture(scope="module")
def run():
    p = lifsim.LIFParams(t_max=0.08)
    return lifsim.simulate(
        p, inputs.uniform_noise(p.i_mean), n=300, seed=8, spiking=False, record_v="all", lags=(0, 1, 7)
    )


@pytest.mark.parametrize("ddof", [0, 1])
def test_mean_var_std_against_numpy(run, ddof):
    np.testing.assert_allclose(run.v_mean, np.mean(run.v, axis=0), rtol=1e-13)
    np.testing.assert_allclose(run.v_var(ddof), np.var(run.v, axis=0, ddof=ddof), rtol=1e-9, atol=1e-20)
    np.testing.assert_allclose(run.v_std(ddof), np.std(run.v, axis=0, ddof=ddof), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("ddof", [0, 1])
def test_autocovariance_against_numpy(run, ddof):
    full = np.cov(run.v, rowvar=False, ddof=ddof)
    np.testing.assert_allclose(run.autocov_matrix(ddof), full, rtol=1e-9, atol=1e-20)
    for lag in (0, 1, 7):
        expected = np.full(run.steps, np.nan)
        expected[lag:] = np.diagonal(full, offset=lag)
        np.testing.assert_allclose(run.autocov(lag, ddof), expected, rtol=1e-9, atol=1e-20)
    np.testing.assert_allclose(run.autocov(0, ddof), run.v_var(ddof), rtol=1e-12, atol=1e-20)


def test_tutorial_definition_of_autocovariance(run):
    # section 5: 1/(N-1) sum_n (V_n(t) - <V(t)>)(V_n(s) - <V(s)>)
    t, s = 20, 45
    vt, vs = run.v[:, t], run.v[:, s]
    by_hand = np.sum((vt - vt.mean()) * (vs - vs.mean())) / (run.n - 1)
    assert run.autocov_matrix(1)[t, s] == pytest.approx(by_hand, rel=1e-12)


def test_unrecorded_lag_is_an_error(run):
    with pytest.raises(ValueError, match="lag"):
        run.autocov(3)


def test_chan_merge_is_exact():
    rng = np.random.default_rng(0)
    samples = rng.normal(3.0, 2.0, size=(1001, 5))
    whole = Moments.of(samples)
    merged = merge_moments(
        Moments.of(samples[:300]), merge_moments(Moments.of(samples[300:301]), Moments.of(samples[301:]))
    )
    assert merged.count == 1001
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-14)
    np.testing.assert_allclose(merged.variance(1), np.var(samples, axis=0, ddof=1), rtol=1e-12)


def test_single_neuron_variance_is_nan_not_a_warning():
    """A file of one neuron's run holds NaN for its ddof-1 variance, without a warning; asking for it is refused
    (below), and ddof 0 gives 0."""
    import warnings

    run = lifsim.simulate(n=1, spiking=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isnan(run.arrays(1)["v_var"]))
    np.testing.assert_array_equal(run.v_var(0), 0.0)


def test_reducer_rejects_lags_outside_run():
    with pytest.raises(ValueError, match="lag"):
        EnsembleReducer(4, 10, lags=(10,))


@pytest.mark.parametrize("n, ddof", [(20, 20), (20, 25), (1, 1), (20, -1)])
@pytest.mark.parametrize("method", ["v_var", "v_std", "autocov", "autocov_matrix"])
def test_a_ddof_that_leaves_no_degrees_of_freedom_is_refused(n, ddof, method):
    """``r.v_std(ddof)`` / ``r.v_var(ddof)`` with ddof >= n returned all-NaN in silence: refused, naming ddof and
    the range it takes (0 .. n-1)."""
    run = lifsim.simulate(lifsim.LIFParams(t_max="20 ms"), n=n, seed=2, spiking=False, record_v="all", lags=(1,))
    call = {
        "v_var": lambda: run.v_var(ddof),
        "v_std": lambda: run.v_std(ddof),
        "autocov": lambda: run.autocov(1, ddof),
        "autocov_matrix": lambda: run.autocov_matrix(ddof),
    }[method]
    with pytest.raises(ValueError, match=rf"^ddof: {ddof} must be {'0' if n == 1 else '0 .. 19'} for a run of {n} "):
        call()
    assert np.isfinite(getattr(run, method)(*((1,) if method == "autocov" else ()), n - 1)[1:]).all()


def test_a_ddof_that_is_no_whole_number_is_a_type_error(run):
    with pytest.raises(TypeError, match=r"^ddof: expected a whole number 0 \.\. 299, got float 0\.5"):
        run.v_var(0.5)


def test_a_one_neuron_run_is_still_saved_with_its_undefined_spread(tmp_path):
    """The files keep v_std with ddof 1, NaN for one neuron, as before: only the call that asks is refused."""
    run = lifsim.simulate(lifsim.LIFParams(t_max="20 ms"), n=1, record_v="all", lags=(1,))
    for suffix in (".npz", ".nc", ".csv"):
        run.save(str(tmp_path / f"one{suffix}"))
    assert np.isnan(lifsim.load(str(tmp_path / "one.npz")).arrays()["v_std"]).all()
    assert np.array_equal(run.v_var(0), np.zeros(run.steps))
    run.plot(str(tmp_path / "one.png"))
