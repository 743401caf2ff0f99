"""Run configuration files: `lifsim init`, `lifsim simulate --config`, read_config's checks."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pytest
from cli_helpers import PNG_MAGIC, assert_one_line_error, in_tmp, run_cli, run_ok  # noqa: F401 (in_tmp: autouse fixture)

import lifsim
from lifsim.cli import build_parser, main
from lifsim.cli.config import config_keys, read_config, template

TEMPLATE = template()
CONFIG_KEYS = config_keys()

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def npz(path):
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def assert_same_npz(a, b):
    """Every array bit for bit; meta equal except what names how the run was asked for."""
    assert set(a) == set(b)
    for name in a:
        if name in ("meta", "lifsim_sha256"):  # the checksums name the meta's too
            continue
        assert a[name].dtype == b[name].dtype, name
        assert a[name].shape == b[name].shape, name
        assert a[name].tobytes() == b[name].tobytes(), name
    import json

    meta_a, meta_b = json.loads(str(a["meta"])), json.loads(str(b["meta"]))
    for meta in (meta_a, meta_b):
        for key in ("command", "config", "created"):
            meta.pop(key)
    assert meta_a == meta_b


def write(path, text):
    path.write_text(text)
    return str(path)


def simulate_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices["simulate"]
    raise AssertionError("no simulate subcommand")


# ------------------------------------------------------------------ init


def test_init_writes_the_template(capsys, tmp_path):
    out = run_ok(capsys, ["init", "run.toml"])
    assert (tmp_path / "run.toml").read_text() == TEMPLATE
    assert "run.toml" in out
    assert [p.name for p in tmp_path.iterdir()] == ["run.toml"]


@pytest.mark.parametrize("command", ["simulate", "fi", "sweep", "network"])
def test_init_names_its_file_and_every_commented_example_is_valid(tmp_path, command):
    """`lifsim init x.toml` said `--config run.toml` in its header, and its `# device = "..."` and
    `# workers = "..."` were refused once uncommented: each commented example is now a value its key takes."""
    from cli_helpers import run_script

    done = run_script(["init", "my run.toml", "--for", command], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"run 'lifsim {command} --config 'my run.toml''" in done.stdout
    lines = (tmp_path / "my run.toml").read_text().splitlines()
    assert lines[0] == f"# lifsim run configuration: `lifsim {command} --config 'my run.toml'`"
    examples = [line[2:] for line in lines if line.startswith("# ") and " = " in line and not line.startswith("#  ")]
    assert examples and all('"..."' not in line for line in examples), examples
    for line in examples:
        (tmp_path / "one.toml").write_text(line + "\n")
        read_config(tmp_path / "one.toml", command)  # a value this key takes, not an error once uncommented


def test_init_refuses_to_overwrite_without_force(capsys, tmp_path):
    (tmp_path / "run.toml").write_text("n = 3\n")
    rc, out, err = run_cli(capsys, ["init", "run.toml"])
    assert_one_line_error(rc, err, "run.toml", "--force")
    assert (tmp_path / "run.toml").read_text() == "n = 3\n"
    run_ok(capsys, ["init", "run.toml", "--force"])
    assert (tmp_path / "run.toml").read_text() == TEMPLATE


def test_init_bad_paths(capsys, tmp_path):
    rc, _out, err = run_cli(capsys, ["init", "run.txt"])
    assert_one_line_error(rc, err, "run.txt")
    rc, _out, err = run_cli(capsys, ["init", "nope/run.toml"])
    assert_one_line_error(rc, err, "nope")
    assert list(tmp_path.iterdir()) == []


def test_template_is_commented_and_parses():
    assert TEMPLATE.lstrip().startswith("#")
    assert sum(line.lstrip().startswith("#") for line in TEMPLATE.splitlines()) >= 10
    raw = tomllib.loads(TEMPLATE)
    assert raw["n"] == 1000 and raw["input"] == "uniform"


def test_template_reads_and_runs(capsys, tmp_path):
    run_ok(capsys, ["init", "run.toml"])
    config = read_config("run.toml")  # as the command below reads it, from this folder
    assert set(config) <= set(CONFIG_KEYS)
    assert config["lags"] == [1, 5, 10] and config["spiking"] is False and config["record_v"] == "0:10"
    (tmp_path / "out").mkdir()
    out = run_ok(
        capsys, ["simulate", "--config", "run.toml", "--n", "20", "--data", "out/run.npz", "--plot", "out/run.png"]
    )
    assert "20 neuron(s)" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["run.npz", "run.png"]
    assert (tmp_path / "out" / "run.png").read_bytes().startswith(PNG_MAGIC)
    assert not (tmp_path / "run.nc").exists() and not (tmp_path / "run.png").exists()
    result = lifsim.load(tmp_path / "out" / "run.npz")
    assert result.n == 20 and result.steps == 150 and result.lags == (1, 5, 10)
    assert result.v.shape == (10, 150) and result.meta["seed"] == 0 and not result.meta["spiking"]
    assert result.meta["config"] == config


# ------------------------------------------------------------------ config runs equal CLI runs

CONFIG = """\
n = 12
seed = 4
t_max = "40 ms"
dt = "0.5 ms"
tau = "15 ms"
el = "-65 mV"
vr = "-72 mV"
vth = "-52 mV"
r = "90 MOhm"
i_mean = "300 pA"
v0 = "-60 mV"
t_ref = "1 ms"
t_ref_std = "0.5 ms"
input = "sine+uniform"
amplitude = 0.8
period = "8 ms"
spiking = true
method = "exact"
engine = "numpy"
record_v = [0, 3, 7]
record_spikes = true
lags = [1, 4]
snapshots = ["10 ms", "20 ms"]
quiet = true
"""

CLI = [
    "--n",
    "12",
    "--seed",
    "4",
    "--t-max",
    "40ms",
    "--dt",
    "0.5ms",
    "--tau",
    "15ms",
    "--el",
    "-65mV",
    "--vr",
    "-72mV",
    "--vth",
    "-52mV",
    "--r",
    "90MOhm",
    "--i-mean",
    "300pA",
    "--v0",
    "-60mV",
    "--t-ref",
    "1ms",
    "--t-ref-std",
    "0.5ms",
    "--input",
    "sine+uniform",
    "--amplitude",
    "0.8",
    "--period",
    "8ms",
    "--spiking",
    "--method",
    "exact",
    "--engine",
    "numpy",
    "--record-v",
    "0,3,7",
    "--record-spikes",
    "--lags",
    "1,4",
    "--snapshots",
    "10ms,20ms",
    "--quiet",
]


def test_config_run_equals_cli_run(capsys, tmp_path):
    write(tmp_path / "run.toml", CONFIG)
    assert run_ok(capsys, ["simulate", "--config", "run.toml", "--data", "config.npz"]) == ""
    assert run_ok(capsys, ["simulate", *CLI, "--data", "cli.npz"]) == ""
    a, b = npz(tmp_path / "config.npz"), npz(tmp_path / "cli.npz")
    assert a["t"].size == 80 and a["v"].shape == (3, 80) and a["spike_t"].size > 0
    assert_same_npz(a, b)
    result = lifsim.load(tmp_path / "config.npz")
    assert result.meta["config"] == read_config(tmp_path / "run.toml")
    assert result.meta["command"] == "lifsim simulate --config run.toml --data config.npz"
    assert result.meta["engine"] == "numpy" and result.meta["method"] == "exact"


def test_config_with_dashed_keys_and_si_numbers(capsys, tmp_path):
    write(
        tmp_path / "a.toml",
        "n = 5\nt-max = 0.03\ni-mean = 3e-10\nrecord-v = true\nrecord-spikes = false\nquiet = true\n",
    )
    run_ok(capsys, ["simulate", "--config", "a.toml", "--data", "a.npz"])
    run_ok(
        capsys,
        [
            "simulate",
            "--n",
            "5",
            "--t-max",
            "30ms",
            "--i-mean",
            "300pA",
            "--record-v",
            "--no-record-spikes",
            "--quiet",
            "--data",
            "b.npz",
        ],
    )
    a, b = npz(tmp_path / "a.npz"), npz(tmp_path / "b.npz")
    assert "spike_t" not in a and a["v"].shape == (5, 30)
    assert_same_npz(a, b)


def test_simulate_table(capsys, tmp_path):
    write(tmp_path / "t.toml", '# a run\n[simulate]\nn = 4\nt_max = "20 ms"\nseed = 9\ndata = "t.npz"\nquiet = true\n')
    # a relative path in a config is taken from the config's folder
    expected = {"n": 4, "t_max": "20 ms", "seed": 9, "data": str(tmp_path / "t.npz"), "quiet": True}
    assert read_config(tmp_path / "t.toml") == expected
    assert run_ok(capsys, ["simulate", "--config", "t.toml"]) == ""
    result = lifsim.load(tmp_path / "t.npz")
    assert result.n == 4 and result.steps == 20 and result.meta["seed"] == 9


# ------------------------------------------------------------------ flags override the file


def test_cli_flags_override_config(capsys, tmp_path):
    write(
        tmp_path / "run.toml",
        'n = 10\nseed = 1\nt_max = "20 ms"\nspiking = false\nengine = "numba"\n'
        'record_v = "0:2"\nlags = [1]\ndata = "from_config.npz"\nquiet = true\n',
    )
    out = run_ok(
        capsys,
        [
            "simulate",
            "--config",
            "run.toml",
            "--n",
            "6",
            "--seed",
            "3",
            "--t-max",
            "30ms",
            "--spiking",
            "--engine",
            "numpy",
            "--record-v",
            "all",
            "--lags",
            "2,3",
            "--data",
            "flags.npz",
            "--quiet",
        ],
    )
    assert out == ""
    assert not (tmp_path / "from_config.npz").exists()
    result = lifsim.load(tmp_path / "flags.npz")
    assert result.n == 6 and result.meta["seed"] == 3 and result.steps == 30
    assert result.meta["spiking"] is True and result.meta["engine"] == "numpy"
    assert result.v.shape == (6, 30) and result.lags == (2, 3)


def test_cli_flag_turns_a_config_switch_off(capsys, tmp_path):
    write(tmp_path / "run.toml", 'n = 3\nt_max = "20 ms"\nspiking = true\nrecord_spikes = true\nquiet = true\n')
    run_ok(capsys, ["simulate", "--config", "run.toml", "--no-spiking", "--no-record-spikes", "--data", "x.npz"])
    result = lifsim.load(tmp_path / "x.npz")
    assert result.meta["spiking"] is False and result.meta["run"]["record_spikes"] is False


def test_config_without_quiet_prints_summary(capsys, tmp_path):
    write(tmp_path / "run.toml", 'n = 3\nt_max = "20 ms"\n')
    assert "3 neuron(s)" in run_ok(capsys, ["simulate", "--config=run.toml"])


# ------------------------------------------------------------------ bad files


def test_unknown_key(capsys, tmp_path):
    write(tmp_path / "run.toml", "n = 3\nneurons = 5\n")
    rc, out, err = run_cli(capsys, ["simulate", "--config", "run.toml"])
    assert_one_line_error(rc, err, "'neurons'", "run.toml", "unknown key")
    assert out == ""
    with pytest.raises(ValueError, match="unknown key 'neurons'"):
        read_config(tmp_path / "run.toml")


def test_a_misspelled_key_is_given_its_closest_key_first(tmp_path):
    """``tua = "20 ms"`` listed all the known keys, and the user had to find ``tau`` among them: the closest key
    comes first (difflib), before the list, which a one-line message may cut."""
    from cli_helpers import run_script

    write(tmp_path / "run.toml", 'tua = "20 ms"\n')
    done = run_script(["simulate", "--config", "run.toml"], cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert "unknown key 'tua' for lifsim simulate; did you mean tau? (known keys: amplitude," in done.stderr
    with pytest.raises(ValueError, match=r"unknown key 'tua' for lifsim simulate; did you mean tau\? \(known keys"):
        read_config(tmp_path / "run.toml")
    write(tmp_path / "far.toml", "neurons = 5\n")  # nothing close: the list alone
    with pytest.raises(ValueError, match=r"unknown key 'neurons' for lifsim simulate \(known keys: amplitude,"):
        read_config(tmp_path / "far.toml")


def test_unknown_key_in_simulate_table(capsys, tmp_path):
    write(tmp_path / "run.toml", '[simulate]\nn = 3\ntmax = "20 ms"\n')
    rc, _out, err = run_cli(capsys, ["simulate", "--config", "run.toml"])
    assert_one_line_error(rc, err, "'tmax'")


def test_unknown_table(capsys, tmp_path):
    write(tmp_path / "run.toml", 'n = 3\n[plotting]\ncolor = "red"\n')
    rc, _out, err = run_cli(capsys, ["simulate", "--config", "run.toml"])
    assert_one_line_error(rc, err, "'plotting'")


@pytest.mark.parametrize(
    "line, key, expected",
    [
        ('n = "ten"', "'n'", "a whole number"),
        ("n = 2.5", "'n'", "a whole number"),
        ("n = true", "'n'", "a whole number"),
        ('spiking = "yes"', "'spiking'", "true or false"),
        ("spiking = 1", "'spiking'", "true or false"),
        ('lags = [1, "x"]', "'lags'", "a list of whole numbers"),
        ('t_max = "20 mV"', "'t_max'", "mV"),
        ('snapshots = ["10 ms", "1 V"]', "'snapshots'", "a list of times"),
        ("lags = [1, 2.5]", "'lags'", "a list of whole numbers"),
        ("lags = 3", "'lags'", "a list of whole numbers"),
        ("t_max = true", "'t_max'", "a time"),
        ("t_max = [1]", "'t_max'", "a time"),
        ('seed = "one"', "'seed'", "a whole number"),
        ("record_v = [0, 1.5]", "'record_v'", "neuron indices"),
        ("record_v = 3", "'record_v'", "neuron indices"),
        ("snapshots = [true]", "'snapshots'", "a list of times"),
        ("method = 1", "'method'", '"euler" or "exact"'),
        ("data = 5", "'data'", "an output path"),
        ("i-mean = false", "'i-mean'", "a current"),
        ("t_max = 1979-05-27", "'t_max'", "a time"),
    ],
)
def test_wrong_type(capsys, tmp_path, line, key, expected):
    write(tmp_path / "run.toml", f"{line}\n")
    rc, out, err = run_cli(capsys, ["simulate", "--config", "run.toml", "--data", "x.npz"])
    assert_one_line_error(rc, err, key, expected, "run.toml")
    assert out == "" and not (tmp_path / "x.npz").exists()
    with pytest.raises(ValueError) as info:
        read_config(tmp_path / "run.toml")
    assert key in str(info.value) and expected in str(info.value)


@pytest.mark.parametrize("text", ["n = \n", "n = 3\nn = 4\n", "[simulate\nn = 3\n", 'input = "uniform\n'])
def test_invalid_toml(capsys, tmp_path, text):
    write(tmp_path / "broken.toml", text)
    rc, _out, err = run_cli(capsys, ["simulate", "--config", "broken.toml"])
    assert_one_line_error(rc, err, "broken.toml", "TOML")
    with pytest.raises(ValueError, match="broken.toml"):
        read_config(tmp_path / "broken.toml")


def test_missing_folder_and_binary_config(capsys, tmp_path):
    rc, _out, err = run_cli(capsys, ["simulate", "--config", "none.toml"])
    assert_one_line_error(rc, err, "none.toml")
    (tmp_path / "dir.toml").mkdir()
    rc, _out, err = run_cli(capsys, ["simulate", "--config", "dir.toml"])
    assert_one_line_error(rc, err, "dir.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00n = 3")
    rc, _out, err = run_cli(capsys, ["simulate", "--config", "bin.toml"])
    assert_one_line_error(rc, err, "bin.toml")


def test_reading_a_config_runs_no_code(tmp_path):
    marker = tmp_path / "ran"
    write(tmp_path / "evil.toml", f"input = \"__import__('os').mkdir('{marker}')\"\n")
    assert read_config(tmp_path / "evil.toml") == {"input": f"__import__('os').mkdir('{marker}')"}
    assert main(["simulate", "--config", str(tmp_path / "evil.toml")]) == 2
    assert not marker.exists()


def test_bad_value_of_right_type_is_named(capsys, tmp_path):
    write(tmp_path / "run.toml", "n = 0\n")
    rc, _out, err = run_cli(capsys, ["simulate", "--config", "run.toml"])
    assert_one_line_error(rc, err, "run.toml", "'n'", ">= 1")  # the key the user wrote, not a flag never typed
    write(tmp_path / "run.toml", 'method = "rk4"\n')
    rc, _out, err = run_cli(capsys, ["simulate", "--config", "run.toml"])
    assert_one_line_error(rc, err, "rk4")


# ------------------------------------------------------------------ keys and options: one table


def test_every_simulate_option_is_a_config_key_and_back():
    """'takes every CLI option': both directions, derived from the one option table."""
    dests = {action.dest for action in simulate_parser()._actions if action.option_strings}
    dests -= {"help", "config"}
    assert dests == set(CONFIG_KEYS)


def test_template_values_equal_the_cli_defaults_or_say_why():
    """Each key the template sets equals the default, or its comment says 'set here ... (default)'."""
    from lifsim.cli.options import BY_NAME

    lines = TEMPLATE.splitlines()
    for key, value in tomllib.loads(TEMPLATE).items():
        option = BY_NAME[key]
        parsed = option.parse(value, key)
        default = option.default_for("simulate")
        comment = lines[lines.index(next(line for line in lines if line.startswith(f"{key} ="))) + 1]
        if parsed != default and not (isinstance(default, tuple) and tuple(parsed or ()) == default):
            assert f"(default {option.show(default)}; set here: " in comment, (key, comment)


def test_template_covers_every_key():
    for key in CONFIG_KEYS:
        assert f"{key} =" in TEMPLATE, key


def test_config_key_types_match_the_template():
    for key, value in tomllib.loads(TEMPLATE).items():
        assert isinstance(value, CONFIG_KEYS[key].toml_types()), key


def test_fi_template_reads_and_runs(capsys, tmp_path):
    run_ok(capsys, ["init", "fi.toml", "--for", "fi"])
    text = (tmp_path / "fi.toml").read_text()
    assert 't_max = "1 s"' in text and 'dt = "0.1 ms"' in text and "n = 100" in text
    assert "i_mean =" not in text
    text = text.replace('t_max = "1 s"', 't_max = "300 ms"').replace("n = 100", "n = 5")
    text = text.replace("points = 9", "points = 3").replace("quiet = false", "quiet = true")
    (tmp_path / "fi.toml").write_text(text)
    assert run_ok(capsys, ["fi", "--config", "fi.toml", "--no-plot", "--no-data"]) == ""


def test_each_template_saves_where_the_others_do_not(tmp_path):
    """`lifsim init --for fi` wrote data = "run.nc", which `lifsim fi` refuses (a table is .npz/.csv/.zarr), and the
    sweep's template the simulate template's names: three templates in one folder now run one after the other."""
    from cli_helpers import run_script

    small = {"simulate": "n = 20", "fi": "n = 5", "sweep": "n = 5", "network": "n = 5"}
    for command in ("simulate", "fi", "sweep", "network"):  # network: --config and init --for network are new
        assert run_script(["init", f"{command}.toml", "--for", command], cwd=tmp_path).returncode == 0
        text = (tmp_path / f"{command}.toml").read_text()
        text = text.replace('t_max = "1 s"', 't_max = "100 ms"').replace('t_max = "150 ms"', 't_max = "100 ms"')
        text = text.replace("n = 1000", small[command]).replace("n = 100", small[command])
        text = text.replace('"i_mean=50:350pA:7", "tau=10ms,20ms"', '"i_mean=100pA,300pA"').replace(
            "points = 9", "points = 2"
        )
        text = text.replace("n_exc = 10000", "n_exc = 400").replace('t_max = "1.2 s"', 't_max = "100 ms"')
        (tmp_path / f"{command}.toml").write_text(text.replace('transient = "100 ms"', 'transient = "20 ms"'))
        done = run_script([command, "--config", f"{command}.toml", "--quiet"], cwd=tmp_path)
        assert done.returncode == 0, (command, done.stderr)
    assert sorted(path.name for path in tmp_path.iterdir() if path.suffix != ".toml") == [
        "fi.csv",
        "fi.png",
        "network.nc",
        "network.png",
        "run.nc",
        "run.png",
        "sweep.nc",
        "sweep.png",
    ]


def test_sweep_template_reads_and_runs_its_example_grid(tmp_path):
    from cli_helpers import run_script

    assert run_script(["init", "sweep.toml", "--for", "sweep"], cwd=tmp_path).returncode == 0
    text = (tmp_path / "sweep.toml").read_text()
    assert 'grid = ["i_mean=50:350pA:7", "tau=10ms,20ms"]' in text
    text = text.replace('t_max = "1 s"', 't_max = "200 ms"').replace("n = 100", "n = 5")
    (tmp_path / "sweep.toml").write_text(text)
    done = run_script(["sweep", "--config", "sweep.toml", "--no-plot", "--no-data"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) >= 15  # the table of its 14 points


def test_config_paths_are_relative_to_the_config(capsys, tmp_path):
    (tmp_path / "cfg").mkdir()
    write(tmp_path / "cfg" / "run.toml", 'n = 3\nt_max = "20 ms"\ndata = "out.npz"\nplot = "out.png"\nquiet = true\n')
    (tmp_path / "elsewhere").mkdir()
    import os

    os.chdir(tmp_path / "elsewhere")
    run_ok(capsys, ["simulate", "--config", "../cfg/run.toml"])
    assert (tmp_path / "cfg" / "out.npz").exists() and (tmp_path / "cfg" / "out.png").exists()
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_flags_turn_off_what_a_config_sets(capsys, tmp_path):
    write(tmp_path / "run.toml", 'n = 3\nt_max = "20 ms"\ndata = "x.npz"\nplot = "x.png"\nquiet = true\nxkcd = true\n')
    out = run_ok(capsys, ["simulate", "--config", "run.toml", "--no-data", "--no-plot", "--no-quiet", "--no-xkcd"])
    assert "3 neuron(s)" in out and "wrote" not in out
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "x.png").exists()


def test_config_errors_name_the_file_and_key(capsys, tmp_path):
    write(tmp_path / "run.toml", 'tau = "-5 ms"\n')
    rc, _out, err = run_cli(capsys, ["simulate", "--config", "run.toml"])
    assert_one_line_error(rc, err, "--config: 'run.toml': key 'tau': must be > 0 ms", "> 0")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("n = 0", "--config: 'run.toml': key 'n': expected a whole number >= 1, got 0"),  # read_config's check
        ('tau = "-5 ms"', "--config: 'run.toml': key 'tau': must be > 0 ms, got -5 ms"),  # the parameters' check
        (
            'vr = "-40 mV"',
            "--config: 'run.toml': key 'vr': the reset potential -40 mV must be below the threshold vth = -50 mV "
            "(change vr or vth)",
        ),
        ("n = ", "--config: 'run.toml': not valid TOML ("),
    ],
)
def test_every_config_error_names_the_file_and_key_in_one_form(tmp_path, text, line):
    """A bad value the file's reading refused said ``--config: 'bad.toml': key 'tau': ...``, one the run's checks
    refused ``bad.toml: vr: ...``: every message about a config file now says it one way."""
    from cli_helpers import run_script

    write(tmp_path / "run.toml", text + "\n")
    done = run_script(["simulate", "--config", "run.toml"], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith(f"lifsim: error: {line}"), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


def test_a_warning_about_a_config_value_names_it_in_the_same_form(tmp_path):
    from cli_helpers import run_script

    write(tmp_path / "run.toml", 'tau = 20\nn = 2\nt_max = "20 ms"\nquiet = true\n')
    done = run_script(["simulate", "--config", "run.toml"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("lifsim: warning: --config: 'run.toml': key 'tau': 20 s is far outside"), done.stderr
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(ValueError, match=r"^--config: '.*dir.toml': a folder, expected a .toml file$"):
        read_config(tmp_path / "dir.toml")


def test_a_count_as_text_reads_as_on_the_command_line(capsys, tmp_path):
    """`n = "1e3"` was refused ("got str") while `n = 1e3` and `--n 1e3` were read: a count's text is read as the
    command line reads it."""
    write(tmp_path / "run.toml", 'n = "1e1"\nseed = "7"\nt_max = "20 ms"\n')
    assert read_config(tmp_path / "run.toml")["n"] == "1e1"
    rc, out, err = run_cli(capsys, ["simulate", "--config", "run.toml", "--data", "x.npz", "--quiet"])
    assert rc == 0, err
    run = lifsim.load(tmp_path / "x.npz")
    assert run.n == 10 and run.meta["seed"] == 7
