"""The compiled engine: threads own neuron blocks and meet once per synaptic delay.

Because a spike takes ``D`` steps (``D = delay / dt``) to arrive, nothing a neuron emits in the
window of steps ``[w, w + D)`` can reach any neuron before ``w + D``.  So each window is one
parallel loop over neuron blocks (:func:`lifsim.network._numba_sim.advance`): a block first
delivers the previous window's spikes of every block to its own neurons (so two threads never
write the same counter), then advances its neurons ``D`` steps, drawing the external input and
integrating exactly as the reference engine (:mod:`lifsim.network.engine_numpy`).  The counts are
integers, so the spikes are the same bits for any thread count and block size.  The spikes of a
window are gathered in step, then neuron, order.
"""

from __future__ import annotations

import numpy as np

from .connectivity import Connectivity
from .model import BrunelParams
from .state import Constants, State

__all__ = ["NumbaRunner"]

#: windows (of D steps) per call into the compiled loop
WINDOWS_PER_CALL = 64


class NumbaRunner:
    """Advances one network's state with the compiled kernel; keeps the spike buffers between calls."""

    def __init__(
        self,
        params: BrunelParams,
        conn: Connectivity,
        k: Constants,
        threads: int | None = None,
        block: int | None = None,
    ) -> None:
        import numba

        most = int(getattr(numba.config, "NUMBA_NUM_THREADS", 1))
        self.threads = max(1, min(int(threads or most), most))
        n = params.n
        if block is None:
            block = -(-n // self.threads)
        if int(block) < 1:
            raise ValueError(f"block: must be a positive number of neurons, got {block!r}")
        self.block = int(block)
        self.bounds = np.minimum(np.arange(0, n + self.block, self.block, dtype=np.int64), n)
        self.bounds = np.unique(self.bounds)
        parts = len(self.bounds) - 1
        per_neuron = params.delay_steps // (params.ref_steps + 1) + 1
        self.cap = int(np.diff(self.bounds).max()) * per_neuron
        self.buf_step = np.zeros((2, parts, self.cap), dtype=np.int32)
        self.buf_idx = np.zeros((2, parts, self.cap), dtype=np.int32)
        self.buf_n = np.zeros((2, parts), dtype=np.int64)
        self.window_cap = n * per_neuron
        self.params, self.conn, self.k = params, conn, k

    def run(self, state: State, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Advance ``state`` from ``start`` (a multiple of D) to ``stop``; spikes' steps and neurons (int32)."""
        import numba

        from ._numba_sim import advance

        p, k = self.params, self.k
        d = p.delay_steps
        if start % d:
            raise ValueError(f"start: the numba engine starts windows at multiples of D = {d} steps, got {start}")
        steps_out, idx_out = [], []
        previous = numba.get_num_threads()
        numba.set_num_threads(self.threads)
        try:
            s = start
            first = True
            while s < stop or first:  # an empty range still loads the compiled kernel (part of the build)
                first = False
                end = min(stop, s + WINDOWS_PER_CALL * d)
                windows = -(-(end - s) // d)
                out_step = np.empty(windows * self.window_cap, dtype=np.int32)
                out_idx = np.empty(windows * self.window_cap, dtype=np.int32)
                count = advance(
                    state.v,
                    state.refractory,
                    state.ring,
                    self.conn.offsets,
                    self.conn.targets,
                    self.bounds,
                    k.padded,
                    k.guide,
                    k.key_ext,
                    s,
                    end,
                    d,
                    k.slots,
                    p.n_exc,
                    p.el,
                    k.decay,
                    k.j_exc,
                    k.j_inh,
                    p.vth,
                    p.vr,
                    p.ref_steps,
                    self.buf_step,
                    self.buf_idx,
                    self.buf_n,
                    out_step,
                    out_idx,
                )
                steps_out.append(out_step[:count].copy())
                idx_out.append(out_idx[:count].copy())
                s = end
        finally:
            numba.set_num_threads(previous)
        if not steps_out:
            return np.zeros(0, np.int32), np.zeros(0, np.int32)
        return np.concatenate(steps_out), np.concatenate(idx_out)
