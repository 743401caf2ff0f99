"""The fuzzing harness: hostile inputs for every entry point, and how each case ended.

Each ``*_case`` function runs one input through lifsim and classifies the
outcome as one of :data:`OUTCOMES`:

* ``accepted``: it ran (a CLI exit status 0, a value returned, a file read
  back with the arrays it was written with);
* ``clean error``: one line ``lifsim: error: ...`` and exit status 2 (the API:
  ``ValueError``, ``TypeError`` or ``MissingDependencyError`` with a short message);
* ``traceback``: anything else escaping (another exception type, a traceback
  on stderr, an unexpected exit status, a message of many lines);
* ``wrong result``: it "ran" but produced NaN or inf statistics, or a damaged
  file loaded with other numbers than were written;
* ``data loss``: a file that existed before is changed or gone, or temporary
  files are left behind.

``tests/test_fuzz.py`` drives these with hypothesis (fast profile in CI;
``pytest -m fuzz --hypothesis-profile=long`` for the long one), and asserts
that only the first two outcomes occur.  With the environment variable
``LIFSIM_FUZZ_LOG=PATH`` every case appends ``group outcome`` to PATH;
``python tests/fuzzing.py PATH`` prints the table of outcomes per group.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

OUTCOMES = ("accepted", "clean error", "traceback", "wrong result", "data loss")
GOOD = ("accepted", "clean error")
MAX_MESSAGE = 400


def record(group: str, outcome: str, detail: str = "") -> str:
    """Append the outcome to the log named by LIFSIM_FUZZ_LOG (if set); return it."""
    log = os.environ.get("LIFSIM_FUZZ_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(f"{group}\t{outcome}\t{detail[:200]!r}\n")
    return outcome


@contextlib.contextmanager
def in_folder(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@contextlib.contextmanager
def unraisable() -> Iterator[list[str]]:
    """Collect exceptions raised where nothing can catch them (finalisers): they print tracebacks too."""
    import gc

    seen: list[str] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda info: seen.append(f"{info.exc_type.__name__} in {info.object!r}")
    try:
        yield seen
    finally:
        gc.collect(1)  # the young generations hold what the case just dropped; a full collection is slow
        sys.unraisablehook = previous


def _snapshot(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(folder))] = path.read_bytes()
    return out


def cli_case(argv: list[str], group: str = "cli") -> tuple[str, str]:
    """Run ``lifsim argv`` in-process in an empty folder holding one earlier result; classify the outcome."""
    from lifsim.cli import main

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        keep = folder / "earlier_result.npz"
        np.savez(keep, t=np.arange(3.0))
        before = keep.read_bytes()
        out, err = io.StringIO(), io.StringIO()
        try:
            with unraisable() as ignored, in_folder(folder):
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    status = main(argv)
        except BaseException as error:  # noqa: BLE001 - any escape is the finding
            if isinstance(error, KeyboardInterrupt):
                raise
            return record(group, "traceback", f"{argv}: {type(error).__name__}: {error}"), str(error)
        if ignored:
            return record(group, "traceback", f"{argv}: {ignored}"), str(ignored)
        text = err.getvalue()
        lines = text.splitlines()
        errors = [line for line in lines if line.startswith("lifsim: error:")]
        others = [line for line in lines if not line.startswith(("lifsim: error:", "lifsim: warning:"))]
        if "Traceback" in text or others or status not in (0, 2, 3):  # 1: internal error
            return record(group, "traceback", f"{argv}: status {status}: {text}"), text
        if not keep.exists() or keep.read_bytes() != before:
            return record(group, "data loss", f"{argv}: an earlier file changed"), text
        litter = [p.name for p in folder.iterdir() if p.name.startswith(".")]
        if litter:
            return record(group, "data loss", f"{argv}: left {litter}"), text
        if status == 2:
            if len(errors) != 1 or len(errors[0]) > MAX_MESSAGE + 20:
                return record(group, "traceback", f"{argv}: {text}"), text
            return record(group, "clean error", errors[0]), text
        if status == 3:  # rerun: a difference is reported on one line
            return record(group, "wrong result", f"{argv}: {text}"), text
        printed = out.getvalue()
        if re.search(r"(?<![\w.])[-+]?(nan|inf)(?![\w.])", printed + text, re.IGNORECASE):
            return record(group, "wrong result", f"{argv}: {printed}"), printed
        return record(group, "accepted", ""), printed


def api_case(call: Callable[[], Any], group: str = "api", describe: str = "") -> tuple[str, str]:
    """Run one API call; classify: accepted, clean error (ValueError/TypeError/ImportError), or traceback."""
    import gc

    from lifsim.errors import MissingDependencyError
    from lifsim.result import Result

    ignored: list[str] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda info: ignored.append(f"{info.exc_type.__name__} in {info.object!r}")
    value: Any = None
    failure: BaseException | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = call()
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - classified below
        failure = error
    finally:
        kind, message = (type(failure), str(failure)) if failure is not None else (None, "")
        failure = None  # drop the traceback, so what it held is finalised now, under the hook
        gc.collect(1)
        sys.unraisablehook = previous
    if ignored:
        return record(group, "traceback", f"{describe}: {ignored}"), str(ignored)
    if kind is not None:
        if not issubclass(kind, (ValueError, TypeError, MissingDependencyError)):
            return record(group, "traceback", f"{describe}: {kind.__name__}: {message}"), message
        if not message or "\n" in message or len(message) > 2 * MAX_MESSAGE:
            return record(group, "traceback", f"{describe}: unreadable message {message[:300]!r}"), message
        return record(group, "clean error", message), message
    if isinstance(value, Result) and not (np.isfinite(value.v_mean).all() and np.isfinite(value.v_m2).all()):
        return record(group, "wrong result", f"{describe}: non-finite statistics"), ""
    return record(group, "accepted", ""), ""


def load_case(path: Path, reference: Any, group: str) -> tuple[str, str]:
    """Load a (possibly damaged) file; classify: accepted with the reference's arrays, clean error, or not."""
    import lifsim
    from lifsim.provenance import compare

    def load() -> Any:
        result = lifsim.load(path)
        if result.has_traces:
            result.traces()  # lazily kept traces are read too: damage there must surface as well
        return result

    outcome, message = api_case(load, group, str(path))
    if outcome != "accepted":
        return outcome, message
    result = lifsim.load(path)
    if compare(reference, result) or result.meta != reference.meta:
        return record(group, "wrong result", f"{path.name}: loaded with other numbers"), ""
    return outcome, message


def table(log: Path) -> str:
    """The markdown table of outcomes per group from a LIFSIM_FUZZ_LOG file."""
    counts: dict[str, Counter] = {}
    for line in log.read_text().splitlines():
        group, outcome = line.split("\t")[:2]
        counts.setdefault(group, Counter())[outcome] += 1
    rows = ["| group | tried | " + " | ".join(OUTCOMES) + " |", "|---" * (len(OUTCOMES) + 2) + "|"]
    for group in sorted(counts):
        tally = counts[group]
        rows.append(f"| {group} | {sum(tally.values())} | " + " | ".join(str(tally[o]) for o in OUTCOMES) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(Path(sys.argv[1])))
