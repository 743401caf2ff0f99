"""LIF Neuron Part II's solution code, transcribed for the tests (as tutorial_solutions.py is for Part I).

Written the way the tutorial writes it (the global ``np.random`` stream, the
loops, the dictionary of spike lists, the functions and the class), from the
description of each solution in ``spec/lif-neuron-part-2.md``; the replay
(``lifsim.tutorial_part2``) must give these numbers bit for bit.  Each
function returns the arrays the exercise computes.
"""

from __future__ import annotations

import numpy as np

# the helper cell's parameters (volts, seconds, ohms, amperes)
t_max = 150e-3
dt = 1e-3
tau = 20e-3
el = -60e-3
vr = -70e-3
vth = -50e-3
r = 100e6
i_mean = 25e-11
t_range = np.arange(0, t_max, dt)
step_end = len(t_range)


def _current(n):
    np.random.seed(2020)
    return i_mean * (1 + 0.1 * (t_max / dt) ** 0.5 * (2 * np.random.random([n, step_end]) - 1))


def exercise1():
    n = 10000
    nbins = 50
    i = _current(n)
    v_n = el * np.ones([n, step_end])
    for step, _t in enumerate(t_range):
        if step == 0:
            continue
        v_n[:, step] = v_n[:, step - 1] + (dt / tau) * (el - v_n[:, step - 1] + r * i[:, step])
    counts_a, edges_a = np.histogram(v_n[:, int(step_end / 10)], nbins)
    counts_b, edges_b = np.histogram(v_n[:, -1], nbins)
    return {"i": i, "v": v_n, "counts_a": counts_a, "edges_a": edges_a, "counts_b": counts_b, "edges_b": edges_b}


def exercise2():
    n = 500
    i = _current(n)
    v_n = el * np.ones([n, step_end])
    spikes = {j: [] for j in range(n)}
    spikes_n = np.zeros([step_end])
    for step, t in enumerate(t_range):
        if step == 0:
            continue
        v_n[:, step] = v_n[:, step - 1] + (dt / tau) * (el - v_n[:, step - 1] + r * i[:, step])
        for j in range(n):
            if v_n[j, step] >= vth:
                v_n[j, step] = vr
                spikes[j] += [t]
                spikes_n[step] += 1
    v_mean = np.mean(v_n, axis=0)
    spikes_mean = spikes_n / n
    return {"i": i, "v": v_n, "spikes": spikes, "v_mean": v_mean, "spikes_mean": spikes_mean}


def exercise3():
    n = 500
    i = _current(n)
    v_n = el * np.ones([n, step_end])
    spikes = {j: [] for j in range(n)}
    spikes_n = np.zeros([step_end])
    for step, t in enumerate(t_range):
        if step == 0:
            continue
        v_n[:, step] = v_n[:, step - 1] + (dt / tau) * (el - v_n[:, step - 1] + r * i[:, step])
        spiked = v_n[:, step] >= vth
        v_n[spiked, step] = vr
        for j in np.where(spiked)[0]:
            spikes[j] += [t]
            spikes_n[step] += 1
    spikes_mean = spikes_n / n
    return {"i": i, "v": v_n, "spikes": spikes, "spikes_mean": spikes_mean}


def exercise4():
    n = 500
    i = _current(n)
    v_n = el * np.ones([n, step_end])
    raster = np.zeros([n, step_end])
    for step, _t in enumerate(t_range):
        if step == 0:
            continue
        v_n[:, step] = v_n[:, step - 1] + (dt / tau) * (el - v_n[:, step - 1] + r * i[:, step])
        spiked = v_n[:, step] >= vth
        v_n[spiked, step] = vr
        raster[spiked, step] = 1.0
    return {"i": i, "v": v_n, "raster": raster, "spikes_mean": np.mean(raster, axis=0)}


def _refractory_loop(i, t_ref, n):
    v_n = el * np.ones([n, step_end])
    raster = np.zeros([n, step_end])
    last_spike = -t_ref * np.ones([n])
    for step, t in enumerate(t_range):
        if step == 0:
            continue
        v_n[:, step] = v_n[:, step - 1] + (dt / tau) * (el - v_n[:, step - 1] + r * i[:, step])
        spiked = v_n[:, step] >= vth
        v_n[spiked, step] = vr
        raster[spiked, step] = 1.0
        clamped = last_spike + t_ref > t
        v_n[clamped, step] = vr
        last_spike[spiked] = t
    return v_n, raster, last_spike


def exercise5():
    n = 500
    i = _current(n)
    t_ref = 0.01
    v_n, raster, last_spike = _refractory_loop(i, t_ref, n)
    return {"i": i, "v": v_n, "raster": raster, "last_spike": last_spike}


def demo(mu, sigma):
    n = 500
    syn = _current(n)
    t_ref = mu + sigma * np.random.normal(size=n)
    t_ref[t_ref < 0] = 0
    v_n, raster, last_spike = _refractory_loop(syn, t_ref, n)
    return {"i": syn, "v": v_n, "raster": raster, "last_spike": last_spike, "t_ref": t_ref}


def exercise6():
    n = 500
    i = _current(n)
    raster = np.zeros([n, step_end])
    mu = 0.01
    sigma = 0.007
    t_ref = mu + sigma * np.random.normal(size=n)
    t_ref[t_ref < 0] = 0
    last_spike = -t_ref * np.ones([n])

    def ode_step(v, i, dt):
        return v + dt / tau * (el - v + r * i)

    def spike_clamp(v, delta_spike):
        spiked = v >= vth
        v[spiked] = vr
        clamped = t_ref > delta_spike
        v[clamped] = vr
        return v, spiked

    v_n = el * np.ones([n, step_end])
    for step, t in enumerate(t_range):
        if step == 0:
            continue
        v_n[:, step] = ode_step(v_n[:, step - 1], i[:, step], dt)
        v_n[:, step], spiked = spike_clamp(v_n[:, step], t - last_spike)
        raster[spiked, step] = 1.0
        last_spike[spiked] = t
    return {"i": i, "v": v_n, "raster": raster, "last_spike": last_spike, "t_ref": t_ref}


class LIFNeurons:
    """Exercise 7's class, as the tutorial writes it."""

    def __init__(self, n, t_ref_mu=0.01, t_ref_sigma=0.002, tau=tau, el=el, vr=vr, vth=vth, r=r):
        self.n = n
        self.t_ref_mu = t_ref_mu
        self.t_ref_sigma = t_ref_sigma
        self.tau = tau
        self.el = el
        self.vr = vr
        self.vth = vth
        self.r = r
        self.t_ref = self.t_ref_mu + self.t_ref_sigma * np.random.normal(size=self.n)
        self.t_ref[self.t_ref < 0] = 0
        self.v = self.el * np.ones(self.n)
        self.spiked = self.v >= self.vth
        self.last_spike = -self.t_ref * np.ones([self.n])
        self.t = 0.0
        self.steps = 0

    def ode_step(self, dt, i):
        self.t += dt
        self.steps += 1
        self.v = self.v + dt / self.tau * (self.el - self.v + self.r * i)
        self.spiked = self.v >= self.vth
        self.v[self.spiked] = self.vr
        self.last_spike[self.spiked] = self.t
        clamped = self.t_ref > self.t - self.last_spike
        self.v[clamped] = self.vr
        self.last_spike[self.spiked] = self.t


def exercise7():
    n = 500
    i = _current(n)
    raster = np.zeros([n, step_end])
    v_n = el * np.ones([n, step_end])
    neurons = LIFNeurons(n)
    clock = []
    for step, _t in enumerate(t_range):
        neurons.ode_step(dt, i[:, step])
        v_n[:, step] = neurons.v
        raster[neurons.spiked, step] = 1.0
        clock.append(neurons.t)
    printed = f"Ran for {neurons.t:.3}s in {neurons.steps} steps."
    return {
        "i": i,
        "v": v_n,
        "raster": raster,
        "last_spike": neurons.last_spike,
        "t_ref": neurons.t_ref,
        "clock": np.array(clock),
        "printed": printed,
    }
