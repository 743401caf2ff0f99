"""Where W1's time goes on one thread: the lane kernel's loop taken apart, each part timed alone.

The uniform-noise (W1) update of the numba engine's lane-order kernel
(:func:`lifsim.engine.numba_lanes._lanes_uniform`) runs, for each lane ``i`` of
a block, one vectorised loop over the block's groups.  This script times that
loop on one block (2,048 neurons, so everything stays in the L1 cache) with
more of its work switched on at each row, and the kernel's own statistics and
spike-mask passes beside it:

1. the SplitMix64 number alone, converted and stored;
2. with the Euler update of V;
3. with threshold and reset;
4. with the spike count (the W1 kernel's loop);
5. the kernel's ``_lanes_uniform`` itself (mode 1, W1; mode 2, W1s's spike masks), which
   runs rows 1 and 4 as two passes over the block (all draws first, then the update);
6. W1s's kernel loop followed by the spike list's scan of the masks (``_record``: each spike's time point and
   neuron appended to the block's buffer);
7. the canonical statistics of the step (lane moments, group merges).

Rows 1-4 are written out here with the kernel's arithmetic in its order;
rows 5-7 call the engine's functions.  Each row's figure is the best of
``--rounds`` runs taken in turn (interleaved), in ns per neuron-step.

Usage::

    python benchmarks/bench_lane_parts.py              # 20,000 steps, 6 rounds
    python benchmarks/bench_lane_parts.py --steps 200 --rounds 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine  # noqa: E402

from lifsim.engine import numba_lanes  # noqa: E402  (first: numba's settings)
from lifsim.engine.numba_random import _GAMMA, _STRIDE, _mix  # noqa: E402
from lifsim.engine.numba_stats import _lane_moments, _merge_groups, _merge_weights  # noqa: E402
from lifsim.engine.plan import Model, Outputs  # noqa: E402

#: the block: 64 groups of 32 lanes
NEURONS = 2048
GROUPS = NEURONS // 32
#: the tutorial's neuron (W1): dt 0.1 ms, tau 20 ms
MODEL = Model(
    a=1e-4 / 0.02,
    decay=float(np.exp(-0.005)),
    el=-0.06,
    r=1e8,
    vr=-0.07,
    vth=-0.05,
    v0=-0.06,
    exact=False,
    spiking=True,
    ref_steps=0,
    per_neuron_ref=False,
    lag_shift=-0.06,
    normals=3,
)
MEAN, PRE, AMP, KEY = 2.5e-10, 1.0, 1.2247, np.uint64(12345)


def _part(upto: int):  # type: ignore[no-untyped-def]
    """The W1 loop with its work up to part ``upto`` (1 number, 2 update, 3 threshold, 4 spike count)."""
    from numba import njit

    stride32 = numba_lanes._STRIDE32

    @njit(error_model="numpy")
    def run(model, x, counts, groups, steps, out):  # type: ignore[no-untyped-def]
        a, el, r, vr, vth, spiking = model.a, model.el, model.r, model.vr, model.vth, model.spiking
        scaled = AMP * 2.0**-63
        for kk in range(steps):
            z0 = KEY + np.uint64(kk + 1) * _GAMMA
            for i in range(32):
                counter = z0 + np.uint64(i) * _STRIDE
                row = i * groups
                for q in range(groups):
                    z = _mix(counter)
                    counter += stride32
                    t = float(np.int64((z & numba_lanes._HIGH53) ^ numba_lanes._SIGN))  # the kernel's (2U - 1) 2**63
                    if upto == 1:
                        x[row + q] = t
                        continue
                    current = MEAN * (PRE + scaled * t)  # A 2**-63 t: A (2U - 1), the same double
                    v = x[row + q]
                    y = v + a * (el - v + r * current)
                    if upto == 2:
                        x[row + q] = y
                        continue
                    f = (y > vth) & spiking
                    x[row + q] = vr if f else y
                    if upto == 4:
                        counts[row + q] += f

    return run


def _kernel(mode: int):  # type: ignore[no-untyped-def]
    """The kernel's W1 loop (``mode`` 1), W1s's (2: spike masks), or W1s's followed by the spike scan (3)."""
    from numba import njit

    @njit(error_model="numpy")
    def run(model, x, counts, groups, steps, out):  # type: ignore[no-untyped-def]
        masks = np.zeros(groups, np.int64)
        two_u = np.empty(groups * 32)  # the kernel's scratch: the step's draws, made in a first pass
        for kk in range(steps):
            numba_lanes._lanes_uniform(model, x, counts, masks, groups, 0, kk, MEAN, PRE, AMP, KEY, min(mode, 2), two_u)
            if mode == 3:
                out.spike_n[0] = 0  # the buffer's first entries, every step: its writes stay in cache
                numba_lanes._record(out, 0, kk + 1, masks, counts, True, groups, groups * 32)
            else:
                masks[:] = 0

    return run


def _statistics():  # type: ignore[no-untyped-def]
    from numba import njit

    @njit(error_model="numpy")
    def run(model, x, counts, groups, steps, out):  # type: ignore[no-untyped-def]
        gmean, gm2 = np.empty(groups), np.empty(groups)
        w1, w2 = _merge_weights(groups * 32)
        total = 0.0
        for kk in range(steps):
            _lane_moments(x, groups, gmean, gm2)
            mean, m2 = _merge_groups(gmean, gm2, groups, w1, w2)
            total += mean + m2
            x[kk % x.size] += 1e-12  # a new step's V: nothing is hoisted out of the loop
        return total

    return run


ROWS = (
    ("the number alone (draw, convert, store)", _part, 1),
    ("+ Euler update", _part, 2),
    ("+ threshold and reset", _part, 3),
    ("+ spike count (W1's loop)", _part, 4),
    ("the kernel's loop, W1 (mode 1)", _kernel, 1),
    ("the kernel's loop, W1s (mode 2: spike masks)", _kernel, 2),
    ("+ the spike scan (W1s's _record)", _kernel, 3),
    ("the statistics of a step (moments, merges)", None, 0),
)


def measure(steps: int, rounds: int) -> list[tuple[str, float]]:
    """Each row's best ns per neuron-step over ``rounds`` interleaved runs of ``steps`` steps."""
    runs = [factory(arg) if factory is not None else _statistics() for _label, factory, arg in ROWS]
    x = np.full(NEURONS, MODEL.el)
    counts = np.zeros(NEURONS, np.int32)
    cap = NEURONS  # room for one step's spikes of the block
    out = Outputs(
        mean=np.empty((1, 1)),
        m2=np.empty((1, 1)),
        lag=np.zeros((1, 0, 1)),
        spike_k=np.zeros((1, cap), np.int32),
        spike_j=np.zeros((1, cap), np.int32),
        spike_n=np.zeros(1, np.int64),
        trace=np.empty((0, 1)),
    )
    for run in runs:  # compile
        run(MODEL, x, counts, GROUPS, 2, out)
    best = [float("inf")] * len(runs)
    for _round in range(rounds):
        for index, run in enumerate(runs):
            started = time.perf_counter()
            run(MODEL, x, counts, GROUPS, steps, out)
            best[index] = min(best[index], (time.perf_counter() - started) / (NEURONS * steps) * 1e9)
    return [(label, ns) for (label, _factory, _arg), ns in zip(ROWS, best)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000, help="steps per run (default 20,000)")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved runs per row (best; default 6)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.rounds < 1:
        parser.error("--steps and --rounds: expected whole numbers >= 1")
    from numba import set_num_threads

    set_num_threads(1)
    print(f"W1's lane loop taken apart on {machine()}: one thread, a block of {NEURONS} neurons, {args.steps} steps")
    print(f"{'part':<48} {'ns/neuron-step':>15}")
    for label, ns in measure(args.steps, args.rounds):
        print(f"{label:<48} {ns:>15.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
