"""The spike list: chunk pieces merged into (step, neuron) order, grown in place, turned into times in place."""

import numpy as np
import pytest

import lifsim
from lifsim import inputs
from lifsim.engine import spike_list
from lifsim.engine.output import time_ordered
from lifsim.engine.spike_list import SpikeList, steps_to_times


def _pieces(rng, blocks, block, k0, k1):
    k_parts, j_parts, j0s = [], [], []
    for b in range(blocks):
        count = int(rng.integers(0, 40))
        k = np.sort(rng.integers(k0, k1, count)).astype(np.int32)
        j = rng.integers(0, block, count).astype(np.int32)
        order = np.lexsort((j, k))  # within a block: time order, neuron order within a step
        k_parts.append(k[order])
        j_parts.append(j[order])
        j0s.append(b * block)
    return k_parts, j_parts, j0s


def _rows(parts, cap=48):
    """The pieces as a chunk's buffers: a row per block, its first entries the piece, the rest garbage."""
    rows = np.full((len(parts), cap), -7, dtype=np.int32)
    for p, part in enumerate(parts):
        rows[p, : part.size] = part
    return rows


@pytest.mark.parametrize(("cells", "fewest"), [(4_000_000, 0), (0, 0), (4_000_000, spike_list.PARALLEL_MIN_SPIKES)])
def test_chunks_merge_into_step_then_neuron_order(monkeypatch, cells, fewest):
    # cells 0: every chunk too large for the parallel table: the serial merge orders it; so it does chunks of
    # fewer spikes than the parallel ordering takes (these are small)
    monkeypatch.setattr(spike_list, "CHUNK_CELLS", cells)
    monkeypatch.setattr(spike_list, "PARALLEL_MIN_SPIKES", fewest)
    rng = np.random.default_rng(3)
    spikes = SpikeList(capacity=4)  # grows many times
    all_k, all_j = [], []
    for k0, k1 in ((0, 5), (5, 64), (64, 65), (65, 300)):
        k_parts, j_parts, j0s = _pieces(rng, 9, 64, k0, k1)
        lengths = np.array([k.size for k in k_parts])
        spikes.add(_rows(k_parts), _rows(j_parts), lengths, np.array(j0s), k0, k1, expect=int(lengths.sum()) * 3)
        all_k += [k.astype(np.int64) for k in k_parts]
        all_j += [j + j0 for j, j0 in zip(j_parts, j0s)]
    step, neuron = spikes.arrays()
    expected_k, expected_j = time_ordered(all_k, all_j)
    assert step.dtype == np.int64 and neuron.dtype == np.int64
    assert np.array_equal(step, expected_k) and np.array_equal(neuron, expected_j)
    assert np.all(np.diff(step) >= 0)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dt", [1e-4, 2.5e-5, 0.1, 1 / 3])
def test_steps_become_times_in_place_with_the_same_bits(dt, compiled, monkeypatch):
    """On all threads where the CPU engine loaded numba's ordering, by numpy blocks elsewhere: the same bits."""
    import sys

    import lifsim.engine.numba_spikes  # noqa: F401  (what a CPU engine's run has loaded)

    if not compiled:  # a process that never loaded it (the CUDA engine, a Dask client)
        monkeypatch.delitem(sys.modules, "lifsim.engine.numba_spikes")
    steps = np.concatenate([np.arange(0, 3_000_000, 7), [2**40 + 1, 2**53 - 1]]).astype(np.int64)
    expected = steps * dt
    times = steps_to_times(steps, dt)
    assert np.shares_memory(times, steps) and times.dtype == np.float64
    assert times.tobytes() == expected.tobytes()
    view = np.arange(10, dtype=np.int64)[::2]  # not contiguous: a new array, the same values
    assert steps_to_times(view, dt).tobytes() == (view * dt).tobytes()


def test_synchronous_bursts_overflow_the_buffers_and_keep_the_reference_bits():
    # a strong constant current makes every neuron fire at the same steps: far more spikes per block and step
    # than the first guess, so the buffers overflow and blocks are run again; the list must not change
    params = lifsim.LIFParams(t_max=0.03, dt=1e-4)
    kwargs = dict(n=5000, seed=2, record_v=None)
    ref = lifsim.simulate(params, inputs.constant("2 nA"), engine="numpy", **kwargs)
    run = lifsim.simulate(params, inputs.constant("2 nA"), engine="numba", **kwargs)
    assert ref.total_spikes > 5000
    assert run.spike_t.tobytes() == ref.spike_t.tobytes()
    assert run.spike_i.tobytes() == ref.spike_i.tobytes()


def _vm_flags(array: np.ndarray) -> set[str]:
    """The kernel's flags of the memory mapping that holds ``array``'s first whole page (Linux)."""
    address = array.__array_interface__["data"][0] + 4096
    flags, inside = None, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            head = line.split()[0]
            if "-" in head and not head.endswith(":"):
                lo, hi = (int(x, 16) for x in head.split("-"))
                inside = lo <= address < hi
            elif inside and head == "VmFlags:":
                flags = set(line.split()[1:])
                break
    assert flags is not None, "no mapping holds the array"
    return flags


@pytest.mark.skipif(not spike_list.sys.platform.startswith("linux"), reason="/proc/self/smaps is Linux's")
def test_a_recorded_spike_list_lives_on_small_pages():
    # new memory every run: on huge pages a VM host that takes free memory back makes each run pay to supply it
    # again (lifsim.engine.pages); the advice must reach the arrays the user gets
    plain = np.empty(1 << 20, dtype=np.int64)  # 8 MB: numpy itself advises huge pages ("hg") where it can
    from lifsim.engine.pages import small_pages

    advised = small_pages(np.empty(1 << 20, dtype=np.int64))
    assert "nh" in _vm_flags(advised) and "hg" not in _vm_flags(advised)
    assert "nh" not in _vm_flags(plain)
    p = lifsim.LIFParams(t_max=0.5, dt=1e-4)
    result = lifsim.simulate(p, inputs.uniform_noise(p.i_mean, 1.2247), n=20_000, seed=1, engine="numba")
    assert result.spike_t.nbytes > 4 << 20  # large enough for numpy's huge-page advice
    assert "nh" in _vm_flags(result.spike_t) and "nh" in _vm_flags(result.spike_i)
    assert np.all(np.diff(result.spike_t) >= 0)
