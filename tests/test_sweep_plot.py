"""The figure of a sweep (issue 16, finding 12): the title names only fixed values, a sweep over three names
draws a row per slice, and geometric grids get log axes with cells bounded at geometric midpoints.

The figures are checked through their matplotlib objects; the datasets are made here (the figure reads
only the dataset), so no simulation runs."""

from __future__ import annotations

import itertools
import json

import matplotlib
import numpy as np
import pytest
import xarray as xr

from lifsim.plot import SWEEP_ROWS, cell_edges, is_geometric, plot_sweep, save_figure
from lifsim.sweeps import OUTPUTS

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PARAMS = {"t_max": 1.0, "dt": 1e-4, "tau": 0.02, "el": -0.06, "vr": -0.07, "vth": -0.05, "r": 1e8,
          "i_mean": 2.5e-10, "v0": -0.06, "t_ref": 0.0, "t_ref_std": 0.0}  # fmt: skip


def fake_sweep(coords: dict[str, list[float]], input: str = "white", sigma: float | None = 0.005) -> xr.Dataset:  # noqa: A002
    """A dataset shaped as :func:`lifsim.sweep` returns, its rates a smooth function of the grid."""
    names = list(coords)
    shape = tuple(len(v) for v in coords.values())
    grids = np.meshgrid(*[np.arange(n, dtype=float) for n in shape], indexing="ij")
    base = 10.0 + sum((k + 1) * g for k, g in enumerate(grids))
    data = {name: (names, base * (0.1 if name in ("cv", "fano") else 1.0)) for name in OUTPUTS}
    spec = {"params": PARAMS, "grid": coords, "input": input, "sigma": sigma, "amplitude": None, "n": 100,
            "seed": 0, "method": "euler", "transient": 0.1}  # fmt: skip
    ds = xr.Dataset(data, coords={name: np.asarray(v, dtype=float) for name, v in coords.items()})
    ds.attrs["lifsim_meta"] = json.dumps({"kind": "sweep", "sweep": spec})
    return ds


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def heat_maps(fig):
    return [ax for ax in fig.axes if ax.collections and type(ax.collections[0]).__name__ == "QuadMesh"]


def mesh_edges(ax):
    """The cell edges (x, y) of the heat map in ``ax``, in display units."""
    coords = ax.collections[0].get_coordinates()
    return coords[0, :, 0], coords[:, 0, 1]


# ---------------------------------------------------------------- the title


def test_title_leaves_out_the_swept_sigma():
    fig = plot_sweep(fake_sweep({"i_mean": [1e-10, 2e-10, 3e-10], "sigma": [0.002, 0.005, 0.008]}))
    title = fig._suptitle.get_text()
    assert "sigma" in title.split("\n")[0]  # "lifsim sweep over i_mean, sigma"
    facts = title.split("\n")[1]
    assert r"$\sigma$" not in facts and "5 mV" not in facts, facts
    assert "$I_{mean}$" not in facts  # swept too
    assert r"$\tau_m$ = 20 ms" in facts  # fixed: named


def test_title_names_a_fixed_sigma_and_current():
    fig = plot_sweep(fake_sweep({"tau": [0.01, 0.02, 0.04]}))
    facts = fig._suptitle.get_text().split("\n")[1]
    assert r"$\sigma$ = 5 mV" in facts and "$I_{mean}$ = 250 pA" in facts
    assert r"$\tau_m$" not in facts


# ---------------------------------------------------------------- three names: small multiples


def test_three_names_draw_a_row_per_slice():
    t_refs = [0.0, 0.002, 0.005]
    fig = plot_sweep(fake_sweep({"i_mean": [1e-10, 2e-10, 3e-10, 4e-10], "tau": [0.01, 0.02], "t_ref": t_refs}))
    maps = heat_maps(fig)
    assert len(maps) == 2 * len(t_refs)  # rate and CV, for every value of t_ref
    titles = [ax.get_title() for ax in maps]
    for value in ("0 ms", "2 ms", "5 ms"):
        assert sum(f"$t_{{ref}}$ = {value}:" in t for t in titles) == 2, titles
    assert "a row per slice of t_ref" in fig._suptitle.get_text()
    # each row's heat map shows its own slice of the data
    rates = [np.asarray(ax.collections[0].get_array()).reshape(2, 4) for ax in maps[::2]]
    assert len({float(r.mean()) for r in rates}) == len(t_refs)
    # one colour scale and one rate axis for every row, so that the slices compare
    assert len({ax.collections[0].get_clim() for ax in maps[::2]}) == 1
    rate_axes = [ax for ax in fig.axes if ax.get_title().endswith("stationary rate")]
    assert len(rate_axes) == 3 and len({ax.get_ylim() for ax in rate_axes}) == 1


def test_many_slices_are_thinned_and_the_title_says_so():
    fig = plot_sweep(
        fake_sweep({"i_mean": [1e-10, 2e-10], "tau": [0.01, 0.02], "t_ref": [k * 1e-3 for k in range(10)]})
    )
    assert len(heat_maps(fig)) == 2 * SWEEP_ROWS
    assert f"rows: {SWEEP_ROWS} of the 10 slices of t_ref" in fig._suptitle.get_text()


def test_four_names_label_both_slice_values():
    fig = plot_sweep(fake_sweep({"i_mean": [1e-10, 2e-10], "tau": [0.01, 0.02], "t_ref": [0.0, 0.001],
                                 "sigma": [0.002, 0.004]}))  # fmt: skip
    titles = [ax.get_title() for ax in heat_maps(fig)]
    assert len(titles) == 8
    assert any("$t_{ref}$ = 1 ms" in t and r"$\sigma$ = 4 mV" in t for t in titles), titles


# ---------------------------------------------------------------- axes and cells


def test_geometric_grid_gets_a_log_axis_and_geometric_cell_edges():
    fig = plot_sweep(fake_sweep({"i_mean": [0.0, 1e-10, 2e-10, 3e-10, 4e-10], "tau": [0.01, 0.02, 0.04]}))
    rate_map = heat_maps(fig)[0]
    assert rate_map.get_yscale() == "log" and rate_map.get_xscale() == "linear"
    x_edges, y_edges = mesh_edges(rate_map)
    np.testing.assert_allclose(y_edges, [10 / np.sqrt(2), np.sqrt(200), np.sqrt(800), 40 * np.sqrt(2)])
    assert np.all(y_edges > 0)
    np.testing.assert_allclose(x_edges, [-50, 50, 150, 250, 350, 450])  # pA, linear midpoints
    assert rate_map.get_ylabel() == r"$\tau_m$ (ms)" and rate_map.get_xlabel() == "$I_{mean}$ (pA)"
    assert rate_map.get_ylim() == pytest.approx((10 / np.sqrt(2), 40 * np.sqrt(2)))
    curves = [ax for ax in fig.axes if ax.get_title().startswith("stationary rate")]
    assert curves and curves[0].get_xscale() == "linear"


def test_geometric_first_name_gets_log_x_on_curves_and_map():
    fig = plot_sweep(fake_sweep({"tau": [0.005, 0.01, 0.02, 0.04], "i_mean": [1e-10, 3e-10]}))
    assert heat_maps(fig)[0].get_xscale() == "log"
    assert all(ax.get_xscale() == "log" for ax in fig.axes if "rate" in ax.get_title() and not ax.collections)


def test_cells_of_a_non_negative_name_stop_at_zero():
    fig = plot_sweep(fake_sweep({"i_mean": [1e-10, 2e-10], "sigma": [0.0, 0.001, 0.002, 0.003]}))
    _x, y_edges = mesh_edges(heat_maps(fig)[0])
    assert y_edges[0] == 0.0 and y_edges[1] == pytest.approx(0.5)


def test_unsorted_grid_is_drawn_sorted():
    fig = plot_sweep(fake_sweep({"i_mean": [3e-10, 1e-10, 2e-10], "tau": [0.04, 0.01, 0.02]}))
    x_edges, y_edges = mesh_edges(heat_maps(fig)[0])
    assert np.all(np.diff(x_edges) > 0) and np.all(np.diff(y_edges) > 0)


@pytest.mark.parametrize(
    "values, geometric",
    [([10, 20, 40], True), ([1, 10, 100, 1000], True), ([-1, -2, -4], True), ([10, 20], False),
     ([10, 20, 30], False), ([0, 1, 2], False), ([1, 2, 5], False), ([-1, 1, 2], False)],
)  # fmt: skip
def test_is_geometric(values, geometric):
    assert is_geometric(np.array(values, dtype=float)) is geometric


def test_cell_edges_cover_the_values():
    for values, geometric in itertools.product(([1.0, 3.0, 9.0], [2.0], [0.5, 1.0, 2.0, 4.0]), (False, True)):
        edges = cell_edges(np.array(values), geometric)
        assert len(edges) == len(values) + 1
        assert np.all(edges[:-1] < values) and np.all(np.array(values) < edges[1:])


# ---------------------------------------------------------------- the files


@pytest.mark.parametrize(
    "coords",
    [
        {"i_mean": [1e-10, 2e-10, 3e-10]},
        {"i_mean": [1e-10, 2e-10, 3e-10], "tau": [0.01, 0.02, 0.04]},
        {"i_mean": [1e-10, 2e-10, 3e-10], "tau": [0.01, 0.02], "t_ref": [0.0, 0.002]},
    ],
    ids=["1d", "2d", "3d"],
)
def test_sweep_figures_save(tmp_path, coords):
    save_figure(plot_sweep(fake_sweep(coords)), tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").read_bytes().startswith(PNG_MAGIC)


def test_the_fano_panel_has_the_legend_of_its_curves():
    """The Fano panel of a two-name sweep had no legend: its colours could only be read from the other panels."""
    fig = plot_sweep(fake_sweep({"i_mean": [1e-10, 2e-10, 3e-10], "tau": [0.01, 0.02]}))
    (fano,) = [ax for ax in fig.axes if ax.get_title().endswith("Fano factor of the spike counts")]
    (cv,) = [ax for ax in fig.axes if ax.get_title().endswith("irregularity (CV of the ISIs)")]
    labels = [text.get_text() for text in fano.get_legend().get_texts()]
    assert labels == [text.get_text() for text in cv.get_legend().get_texts()] and len(labels) == 2


def data_under(ax, box) -> list[tuple[float, float]]:
    """The data points (display coordinates) of ``ax``'s lines and error bars that fall inside ``box``."""
    inside = []
    for line in ax.get_lines():
        x, y = line.get_xdata(), line.get_ydata()
        if len(x) == 0:
            continue
        points = ax.transData.transform(np.column_stack([x, y]).astype(float))
        # a line between its points too: sampled along each segment
        fine = np.concatenate([np.linspace(a, b, 20) for a, b in zip(points[:-1], points[1:])] or [points])
        inside += [tuple(p) for p in fine if box.contains(*p)]
    return inside


@pytest.mark.parametrize("style", [{}, {"font.size": 14, "axes.titlesize": 13, "legend.fontsize": 11}],
                         ids=["lifsim-sweep", "gallery"])  # fmt: skip
def test_the_rate_panels_legend_covers_no_curve(style):
    """The gallery's sweep (six currents, tau = 10, 20 and 40 ms, drawn with larger text): the rate panel's legend
    (six entries, placed "best" inside) sat on the tau = 10 ms curve at about 150-250 pA. It now lies off the
    data, whole inside the figure, one entry a curve."""
    i_mean = np.linspace(50e-12, 400e-12, 6)
    tau = np.array([0.01, 0.02, 0.04])
    ds = fake_sweep({"i_mean": list(i_mean), "tau": list(tau)})
    slope = np.array([0.36, 0.21, 0.115]) * 1e12  # Hz per A: the gallery's rates, 15-140, 8-81 and 4-45 Hz
    rate = i_mean[:, None] * slope[None, :]
    for name in ("rate", "rate_theory", "rate_theory_continuous"):
        ds[name] = (("i_mean", "tau"), rate)
    ds["rate_sem"] = (("i_mean", "tau"), 0.02 * rate)
    with plt.rc_context(style):
        fig = plot_sweep(ds)
        fig.canvas.draw()
    (ax,) = [ax for ax in fig.axes if "stationary rate" in ax.get_title()]
    legend = ax.get_legend()
    box = legend.get_window_extent()
    assert data_under(ax, box) == [], "the rate panel's legend covers its curves"
    assert [text.get_text() for text in legend.get_texts()] == [f"$\\tau_m$ = {v} ms" for v in (10, 20, 40)]
    whole = fig.bbox
    assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and whole.y0 <= box.y0, (box, whole)  # not cut off
