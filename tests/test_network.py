"""Brunel network (issue 18): model validation, connectivity, the portable Poisson sampler, theory, result files."""

import math
import re
import warnings

import numpy as np
import pytest

import lifsim
from lifsim.network import BrunelParams, RateWarning, keys
from lifsim.network import connectivity as conn_mod
from lifsim.network.model import estimate_memory
from lifsim.network.poisson import cdf_table, counts_from_uniforms, guide_table, padded_table, uniforms
from lifsim.network.record import parse_record, record_mask
from lifsim.network.theory import mu_sigma, self_consistent_rate
from lifsim.streams import REFRACTORY_STREAM, CounterStream, seed_key

SMALL = {"n_exc": 400, "t_max": 0.1}

# ------------------------------------------------------------------ model


def test_defaults_are_brunels_fig8():
    p = BrunelParams()
    assert (p.n_exc, p.n_inh, p.n) == (10_000, 2_500, 12_500)
    assert (p.c_exc, p.c_inh) == (1000, 250)
    assert p.synapses == 15_625_000
    assert (p.j, p.delay, p.tau, p.el, p.vth, p.vr, p.t_ref, p.dt) == (
        1e-4,
        1.5e-3,
        20e-3,
        0.0,
        20e-3,
        10e-3,
        2e-3,
        1e-4,
    )
    assert (p.delay_steps, p.ref_steps, p.steps) == (15, 20, 12_000)
    assert p.nu_thr == pytest.approx(10.0)
    assert p.nu_ext == pytest.approx(20.0)  # eta 2
    assert p.lam == pytest.approx(2.0)


def test_units_accepted():
    p = BrunelParams(delay="2 ms", j="0.2 mV", t_max="100 ms", **{"n_exc": 400})
    assert (p.delay_steps, p.j, p.steps) == (20, 2e-4, 1000)


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"g": -1}, "g:"),
        ({"epsilon": 0}, "epsilon:"),
        ({"epsilon": 1.5}, "epsilon:"),
        ({"delay": 0.05e-3}, "delay:"),
        ({"delay": 1.55e-3}, "delay:"),
        ({"t_ref": 2.05e-3}, "t_ref:"),
        ({"vr": 25e-3}, "vr:"),
        ({"n_exc": 2}, "n_exc:"),
        ({"eta": -1}, "eta:"),
        ({"j": 0}, "j:"),
        ({"t_max": 0.10005}, "t_max:"),
    ],
)
def test_bad_parameters_one_line(kwargs, needle):
    with pytest.raises(ValueError) as info:
        BrunelParams(**kwargs)
    message = str(info.value)
    assert message.startswith(needle) and "\n" not in message


def test_memory_refused_up_front_with_the_estimate():
    big = BrunelParams(n_exc=80_000)  # C_E 8,000: 10**9 synapses
    assert big.synapses == 1_000_000_000
    need = estimate_memory(big)
    assert 4e9 < need < 6e9  # 4 bytes a synapse, no per-synapse temporary
    with pytest.raises(
        ValueError, match=r"^n_exc: the network of 100,000 neurons and 1,000,000,000 synapses needs about"
    ):
        big.check_memory(available=2**30)
    assert big.check_memory(available=24 * 2**30) == need  # fits this 24 GiB machine


def test_saturating_theory_warns():
    with pytest.warns(RateWarning, match="reaches 1/t_ref"):
        self_consistent_rate(BrunelParams(g=0.0, eta=4.0))


# ------------------------------------------------------------------ streams


def test_network_keys_are_distinct_from_neuron_noise():
    used = {seed_key(7, s) for s in (0, 1, 2, 3, REFRACTORY_STREAM)}
    mine = {keys.key(7, s) for s in (keys.EXC_SOURCES, keys.INH_SOURCES, keys.EXTERNAL, keys.INITIAL_V)}
    assert len(mine) == 4 and not used & mine


# ------------------------------------------------------------------ Poisson sampler


def _reference_table(lam):
    """The recursion as written in the docs, in plain Python floats (IEEE double, no FMA)."""
    from lifsim.portable import exp

    p = exp(-lam)
    total, table, k = p, [p], 0
    while total < 1.0:
        k += 1
        p = (p * lam) / k
        if total + p == total and k > lam:
            break
        total += p
        table.append(total)
    return table


@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.5, 2.0, 4.0, 37.5, 300.0])
def test_poisson_table_is_the_exact_recursion_and_close_to_the_cdf(lam):
    from scipy.stats import poisson

    table = cdf_table(lam)
    assert table.tolist() == _reference_table(lam)
    assert np.all(np.diff(table) > 0)
    ks = np.arange(table.size)
    np.testing.assert_allclose(table, poisson.cdf(ks, lam), rtol=1e-12, atol=1e-15)
    assert 1.0 - table[-1] < 1e-13  # the running sum's round-off: the mass left off is negligible


def test_poisson_exp_is_correctly_rounded():
    from decimal import Decimal, localcontext

    with localcontext() as c:
        c.prec = 60
        exact = Decimal(-2.0).exp()
    assert cdf_table(2.0)[0] == float(exact)


@pytest.mark.parametrize("lam", [0.3, 2.0, 6.0])
def test_poisson_moments(lam):
    stream = CounterStream(11)
    u = uniforms(stream.raw(keys.EXTERNAL, np.arange(200_000, dtype=np.uint64), 5))
    counts = counts_from_uniforms(u, cdf_table(lam))
    se = math.sqrt(lam / counts.size)
    assert abs(counts.mean() - lam) < 5 * se
    assert counts.var() == pytest.approx(lam, rel=0.03)
    from scipy.stats import poisson

    for k in range(4):
        assert (counts == k).mean() == pytest.approx(
            poisson.pmf(k, lam), abs=5 * math.sqrt(poisson.pmf(k, lam) / counts.size) + 1e-4
        )


def test_compiled_indexed_search_equals_inversion_on_edges():
    pytest.importorskip("numba")
    from numba import njit

    from lifsim.network._numba_common import poisson

    @njit
    def draw_all(raws, padded, guide):
        out = np.empty(raws.size, np.int64)
        for m in range(raws.size):
            out[m] = poisson(raws[m], padded, guide)
        return out

    for lam in (0.5, 2.0, 40.0):
        table = cdf_table(lam)
        # every table entry and its neighbours as draws, plus random draws and the extremes
        exact = (table * 2.0**53).astype(np.uint64)
        edges = np.concatenate([exact - np.uint64(1), exact, exact + np.uint64(1)])
        edges = edges[edges < np.uint64(2**53)] << np.uint64(11)
        grid = (np.arange(2048, dtype=np.uint64) << np.uint64(53)) | np.uint64(12345)
        rnd = np.random.default_rng(1).integers(0, 2**63, 50_000, dtype=np.uint64) * np.uint64(2)
        raws = np.concatenate([edges, grid, rnd, np.array([0, 2**64 - 1], dtype=np.uint64)])
        got = draw_all(raws, padded_table(table), guide_table(table))
        np.testing.assert_array_equal(got, counts_from_uniforms(uniforms(raws), table))


# ------------------------------------------------------------------ connectivity


def test_in_degrees_exact_and_sources_in_their_populations():
    p = BrunelParams(**SMALL)
    conn = conn_mod.build(p, 2)
    exc, inh = conn_mod.in_degrees(conn)
    assert np.all(exc == p.c_exc) and np.all(inh == p.c_inh)
    assert conn.targets.dtype == np.int32 and conn.offsets[-1] == p.synapses
    for s in (0, 5, p.n_exc, p.n - 1):
        row = conn.row(s)
        assert np.all(np.diff(row) >= 0)


def test_connectivity_is_a_function_of_seed_target_k():
    p = BrunelParams(**SMALL, seed=3)
    ref = conn_mod.build_numpy(p)
    for threads in (1, 2, 3):
        c = conn_mod.build(p, threads)
        assert np.array_equal(c.offsets, ref.offsets) and np.array_equal(c.targets, ref.targets)
    # target 17's sources, drawn directly from the counter stream
    stream = CounterStream(3)
    raw = stream.raw(keys.EXC_SOURCES, np.array([17], dtype=np.uint64), 0)
    first = int((raw[0] >> np.uint64(32)) * np.uint64(p.n_exc) >> np.uint64(32))
    assert 17 in ref.row(first)
    other = conn_mod.build(BrunelParams(**SMALL, seed=4), 1)
    assert not np.array_equal(other.targets, ref.targets)


def test_default_network_builds_fast_and_compact():
    import time

    pytest.importorskip("numba")
    p = BrunelParams()
    conn_mod.build(BrunelParams(n_exc=40), 1)  # load the compiled passes
    start = time.perf_counter()
    conn = conn_mod.build(p, 2)
    elapsed = time.perf_counter() - start
    assert conn.nbytes < 4.1 * p.synapses
    assert elapsed < 2.6 * 3  # NEST's build is 2.6 s; generous for a shared CI machine


# ------------------------------------------------------------------ theory


def test_theory_matches_brunel_and_nest():
    ai = self_consistent_rate(BrunelParams(g=5, eta=2))
    assert ai.rate == pytest.approx(37.95, abs=0.01)  # NEST's brunel_delta_nest theory value
    mu, sigma = mu_sigma(BrunelParams(g=5, eta=2), ai.rate)
    assert (ai.mu, ai.sigma) == (mu, sigma)
    # at nu = 0 the mean input is eta * theta, and sigma^2 = J^2 C_E tau nu_ext
    p = BrunelParams(eta=2)
    mu0, sigma0 = mu_sigma(p, 0.0)
    assert mu0 == pytest.approx(2 * 20e-3)
    assert sigma0 == pytest.approx(math.sqrt(1e-8 * 1000 * 0.02 * 20.0))
    # self-consistency: the Siegert rate at (mu, sigma) is the rate
    from lifsim.network.theory import transfer

    assert transfer(p, ai.rate) == pytest.approx(ai.rate, rel=1e-9)


def test_a_seed_follows_the_rule_of_a_runs_seed():
    """A network's seed is checked as lifsim.simulate's: 0 .. 2**128 - 1 (2**300 ran), ValueError for a value out
    of range and TypeError for what is not a whole number, in the same words."""
    accepted = r"^seed: expected a whole number from 0 to 2\*\*128 - 1, got "
    assert BrunelParams(**SMALL, seed=2**128 - 1).seed == 2**128 - 1
    for bad in (2**128, 2**300, -1):
        with pytest.raises(ValueError, match=accepted + str(bad)):
            BrunelParams(**SMALL, seed=bad)
        with pytest.raises(ValueError, match=accepted + str(bad)):
            lifsim.simulate(seed=bad)
    with pytest.raises(TypeError, match=accepted):
        BrunelParams(**SMALL, seed=1.5)


# ------------------------------------------------------------------ record selection


def test_record_selection():
    p = BrunelParams(**SMALL)
    assert record_mask(p, "all").all()
    assert not record_mask(p, "none").any()
    assert record_mask(p, "E").sum() == p.n_exc
    assert record_mask(p, "I").sum() == p.n_inh
    m = record_mask(p, "10")
    assert m.sum() == 20 and m[:10].all() and m[p.n_exc : p.n_exc + 10].all()
    assert record_mask(p, "5:9").sum() == 4
    for bad in ("some", "9:5", "-1", "E,I"):
        with pytest.raises(ValueError, match="^record_spikes: expected"):
            parse_record(bad)


# ------------------------------------------------------------------ result and files


@pytest.fixture(scope="module")
def small_result():
    import lifsim.network as ln

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return ln.network(n_exc=400, t_max=0.2, engine="numpy")


def test_dataset_layout(small_result):
    ds = small_result.dataset
    p = small_result.params
    assert ds["spike_t"].attrs["units"] == "s"
    assert ds["spike_i"].dtype == np.int32
    assert ds["population_rate"].shape == (2, p.steps)
    assert ds["neuron_rate"].shape == ds["neuron_cv"].shape == (p.n,)
    assert list(ds["population"].values) == ["E", "I"]
    # spike times are (step + 1) dt, sorted; the population rate integrates to the spike count
    t = ds["spike_t"].values
    assert np.all(np.diff(t) >= 0)
    steps = np.rint(t / p.dt).astype(int) - 1
    assert np.allclose((steps + 1) * p.dt, t, rtol=0, atol=0)
    total = (
        ds["population_rate"].values[0].sum() * p.n_exc * p.dt + ds["population_rate"].values[1].sum() * p.n_inh * p.dt
    )
    assert round(total) == t.size
    prov = small_result.provenance
    assert prov["params"]["g"] == 5.0 and prov["engine"] == "numpy" and prov["build_s"] >= 0
    # the network's own stream is named, not the ensembles' (whose version numbers count something else)
    assert prov["stream"] == "counter-splitmix64/network-1" and prov["network_stream_version"] == 1
    summary = small_result.summary()
    assert summary.splitlines()[-1].startswith("build ") and ", simulate " in summary.splitlines()[-1]
    assert "theory" in summary and "CV" in summary and "synchrony" in summary


@pytest.mark.parametrize("suffix", [".nc", ".npz", ".zarr"])
def test_save_load_roundtrip(small_result, tmp_path, suffix):
    import lifsim.network as ln

    if suffix == ".zarr":
        pytest.importorskip("zarr")
    path = small_result.save(tmp_path / f"net{suffix}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr's notices about string coordinates
        back = ln.load(path)
    assert back.dataset.equals(small_result.dataset)
    assert back.provenance == small_result.provenance


def test_save_csv(small_result, tmp_path):
    path = small_result.save(tmp_path / "net.csv")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# lifsim_network:") and lines[1] == "time (s),rate_E (Hz),rate_I (Hz)"
    assert len(lines) == 2 + small_result.params.steps


def test_rerun_bit_for_bit(small_result, tmp_path):
    import lifsim.network as ln

    path = small_result.save(tmp_path / "net.nc")
    _new, differences = ln.rerun(path)
    assert differences == []


def test_figure(small_result, tmp_path):
    path = tmp_path / "net.png"
    small_result.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_rate_histogram_bins_whole_counts(small_result):
    """A neuron's rate is its count over the window (a multiple of 1/window): 40 equal bins drew a comb."""
    figure = small_result.plot()
    (axes,) = [ax for ax in figure.axes if ax.get_title() == "rates of single neurons"]
    window = 0.1  # the analysis window of a 0.2 s run: its second half
    for patch in axes.patches[:3]:
        left = patch.get_x() * window
        assert abs(left + 0.5 - round(left + 0.5)) < 1e-9  # edges half a count from the rates


def test_package_is_callable_and_warning_is_a_plausibility_warning():
    import lifsim
    from lifsim.errors import PlausibilityWarning

    result = lifsim.network(n_exc=40, t_max=0.005, engine="numpy", record_spikes="none")
    assert result.dataset["spike_t"].size == 0 and result.provenance["spikes_total"] >= 0
    assert issubclass(RateWarning, PlausibilityWarning)
    with pytest.raises(ValueError, match="^engine: expected one of auto, numpy, numba"):
        lifsim.network(n_exc=40, t_max=0.005, engine="cuda")
    with pytest.raises(TypeError, match="^params: expected a BrunelParams"):
        lifsim.network({"g": 5})


def test_the_network_theory_the_docs_name_is_an_attribute_after_import_lifsim():
    """network.md names ``lifsim.network.theory``: reachable after a plain ``import lifsim`` (a fresh process, so
    no earlier import made it), without importing numba."""
    import subprocess
    import sys

    code = (
        "import sys, lifsim\n"
        "rate = lifsim.network.theory.self_consistent_rate(lifsim.network.BrunelParams()).rate\n"
        "print(round(rate, 2), 'numba' in sys.modules)\n"
        "try:\n    lifsim.network.no_such_part\nexcept AttributeError as error:\n    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["37.95 False", "module 'lifsim.network' has no attribute 'no_such_part'"]


@pytest.mark.parametrize("suffix", [".nc", ".npz", ".zarr", ".csv"])
def test_readers_of_other_kinds_point_a_network_file_to_its_reader(tmp_path, suffix):
    """lifsim.load said "not a lifsim result (attribute lifsim_schema is 'None' ...)" of a network's .nc, and
    lifsim.load_sweep sent a network's .npz to lifsim.load, which refused it in turn."""
    from lifsim.store import is_network_file

    path = tmp_path / f"net{suffix}"
    lifsim.network.network(BrunelParams(n_exc=400, t_max=0.02)).save(path)
    assert is_network_file(path)
    reader = "pandas" if suffix == ".csv" else r"lifsim\.network\.load"
    with pytest.raises(ValueError, match=rf"a lifsim network, not a run; .*read it with {reader}"):
        lifsim.load(path)
    if suffix != ".csv":
        with pytest.raises(ValueError, match=r"a lifsim network, not a sweep; read it with lifsim\.network\.load"):
            lifsim.load_sweep(path)
    run = tmp_path / f"run{suffix}"
    lifsim.simulate(lifsim.LIFParams(t_max="10 ms"), n=3).save(run)
    assert not is_network_file(run)


def test_a_silent_networks_mean_field_is_drawn_grey_as_its_simulation_is():
    """The mean field of a network below threshold solves to rates like 1e-41 Hz: drawn as silent (grey), not as
    the colour bar's lowest colour beside a grey simulated 0 Hz."""
    from lifsim.network.plot import SILENT_RATE, plot_phase_diagram

    ds = lifsim.sweep(BrunelParams(n_exc=400, t_max=0.05), grid={"g": "4,5", "eta": "0.5,2"})
    assert 0 < float(ds["rate_theory"].sel(g=5, eta=0.5)) < SILENT_RATE
    fig = plot_phase_diagram(ds)
    shown = fig.axes[2].collections[0].get_array()  # the mean-field panel (after the E rate panel and its bar)
    assert np.ma.count_masked(shown) == int((ds["rate_theory"].values < SILENT_RATE).sum()) > 0


def test_an_npz_keeps_each_variables_units_as_nc_does(tmp_path):
    result = lifsim.network.network(BrunelParams(n_exc=400, t_max=0.02))
    for suffix in (".npz", ".nc"):
        result.save(tmp_path / f"net{suffix}")
    npz = lifsim.network.load(tmp_path / "net.npz").dataset
    nc = lifsim.network.load(tmp_path / "net.nc").dataset
    assert {name: dict(npz[name].attrs) for name in nc.variables} == {
        name: dict(nc[name].attrs) for name in nc.variables
    }
    assert npz["spike_t"].attrs["units"] == "s" and npz["population_rate"].attrs["units"] == "Hz"


def test_the_python_api_of_a_network_result_speaks_python():
    """save() named --data and --force; plot() wrote a .jpg without a word; threads=1.5 ran on one thread."""
    result = lifsim.network.network(BrunelParams(n_exc=400, t_max=0.02))
    with pytest.raises(ValueError, match=r"^path: 'x\.jpg' must end in one of \.png, \.svg, \.pdf"):
        result.plot("x.jpg")
    with pytest.raises(ValueError, match=r"^threads: must be a positive integer, got 1\.5"):
        lifsim.network.network(BrunelParams(n_exc=400, t_max=0.02), threads=1.5)
    assert result.provenance["engine"] in ("numba", "numpy")


def test_saving_over_a_network_file_names_the_call(tmp_path):
    result = lifsim.network.network(BrunelParams(n_exc=400, t_max=0.02))
    result.save(tmp_path / "n.nc")
    with pytest.raises(ValueError, match=r"^save: '.*n\.nc' exists; pass overwrite=True to replace it"):
        result.save(tmp_path / "n.nc")


def test_the_dimensionless_statistics_say_so_and_the_dataset_comes_as_from_a_run(small_result):
    ds = small_result.to_dataset()
    assert ds is small_result.dataset
    assert all(ds[name].attrs["units"] == "1" for name in ("neuron_cv", "cv", "synchrony"))  # as a sweep's cv, fano


def _edited(ds, name):
    """``ds`` with one member edited as a hand would (the file's checksums are then made again by the writer)."""
    import json

    ds = ds.copy(deep=True)
    if name == "g":
        prov = json.loads(ds.attrs["lifsim_network"])
        prov["params"]["g"] = 6.0
        ds.attrs["lifsim_network"] = json.dumps(prov)
    elif name == "rate_theory":
        ds["rate_theory"] = ds["rate_theory"] * 0 + 99.0
    elif name == "spikes":  # 100 spikes deleted
        ds = ds.isel(spike=slice(100, None))
    elif name == "neuron_cv and cv":  # consistent with each other, not with the spikes
        ds["neuron_cv"] = ds["neuron_cv"] * 2
        ds["cv"] = ds["cv"] * 2
    else:
        ds[name] = ds[name] * (1.1 if name == "rate" else 2.0)
    return ds


EDITS = ["rate_theory", "g", "rate", "synchrony", "cv", "neuron_cv", "neuron_cv and cv", "population_rate", "spikes"]


@pytest.mark.parametrize("suffix", [".npz", ".nc", ".zarr"])
@pytest.mark.parametrize("edit", EDITS)
def test_a_network_file_edited_by_hand_is_refused(small_result, tmp_path, suffix, edit):
    """Members that do not follow from the run (their checksums made again) were loaded as they were: a theory of
    99 Hz where the parameters give 38, a rate that is not the mean of the neurons', 100 spikes missing."""
    import lifsim.network as ln
    from lifsim.network.result import NetworkResult

    if suffix == ".zarr":
        pytest.importorskip("zarr")
    path = NetworkResult(_edited(small_result.dataset, edit)).save(tmp_path / f"edited{suffix}")
    with warnings.catch_warnings(), pytest.raises(ValueError, match=r"damaged .*the file was changed") as caught:
        warnings.simplefilter("ignore")  # zarr's notices about string coordinates
        ln.load(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_an_npz_rehashed_by_hand_is_refused(small_result, tmp_path):
    """The researcher's route: rate_theory rewritten in the .npz and its SHA-256 in lifsim_sha256 made again."""
    import json

    import lifsim.network as ln
    from lifsim.npz_io import digest

    path = small_result.save(tmp_path / "n1.npz")
    arrays = dict(np.load(path, allow_pickle=False))
    arrays["rate_theory"] = np.array(99.0)
    hashes = json.loads(str(arrays["lifsim_sha256"]))
    hashes["rate_theory"] = digest(arrays["rate_theory"])
    arrays["lifsim_sha256"] = np.array(json.dumps(hashes))
    np.savez(tmp_path / "u3.npz", **arrays)
    with pytest.raises(ValueError, match="rate_theory does not follow from the provenance's parameters"):
        ln.load(tmp_path / "u3.npz")


@pytest.mark.parametrize("record", ["all", "50", "I", "none"])
def test_every_network_file_the_code_writes_loads(tmp_path, record):
    import lifsim.network as ln

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ln.network(n_exc=200, t_max=0.1, engine="numpy", record_spikes=record, seed=4)
        for suffix in (".npz", ".nc", ".zarr"):
            back = ln.load(result.save(tmp_path / f"r{suffix}"))
            assert back.dataset.equals(result.dataset)


@pytest.mark.parametrize(("name", "value"), [("g", 1e308), ("g", 1e20), ("j", 1e300)])
def test_huge_g_or_j_is_a_value_error_naming_it(name, value):
    """lifsim.network(g=1e308) raised OverflowError from the theory."""
    shown = f"{value:g}" if name == "g" else "1e+300 V"  # a voltage beyond the prefixes: plain SI
    with pytest.raises(ValueError, match=rf"^{name}: .* must be in .*got {re.escape(shown)}"):
        lifsim.network(n_exc=1000, t_max=0.01, **{name: value})


def test_the_theorys_failure_is_one_line_in_words(monkeypatch):
    from lifsim.network import theory

    def failing(params, nu):
        raise ValueError("siegert_rate: quadrature failed for mu = np.float64(-5e14) V")

    monkeypatch.setattr(theory, "transfer", failing)
    with pytest.raises(ValueError, match=r"^theory: Brunel's mean-field rate cannot be computed for g 5") as caught:
        theory.self_consistent_rate(BrunelParams(n_exc=1000, t_max=0.01))
    assert "np.float64" not in str(caught.value)


def test_an_unknown_keyword_is_named_with_the_accepted_ones():
    """lifsim.network(foo=1) and BrunelParams(foo=1) said Python's bare "BrunelParams.__init__() got an unexpected
    keyword argument 'foo'", where LIFParams(foo=1) names it and lists the accepted names."""
    model = "n_exc, epsilon, j, g, eta, delay, tau, el, vth, vr, t_ref, t_max, dt, seed"
    with pytest.raises(TypeError) as caught:
        lifsim.network(foo=1)
    assert str(caught.value) == (
        f"foo: not a parameter of lifsim.network; accepted: {model}, engine, threads, block, record_spikes"
    )
    with pytest.raises(TypeError, match=r"^etaa: not a parameter of lifsim\.network \(did you mean eta\?\); acc"):
        lifsim.network(BrunelParams(n_exc=400), etaa=1)
    with pytest.raises(TypeError) as caught:
        BrunelParams(foo=1)
    assert str(caught.value) == f"foo: not a parameter of BrunelParams; accepted: {model}"
    with pytest.raises(TypeError, match=r"^tua: not a parameter of BrunelParams \(did you mean tau\?\); accepted"):
        BrunelParams().replace(tua=1)
    with pytest.raises(TypeError, match=r"^BrunelParams: takes at most 14 values \(n_exc, .*\), got 15$"):
        BrunelParams(*range(15))
