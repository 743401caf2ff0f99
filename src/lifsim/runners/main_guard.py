"""A script that starts local worker processes must keep its run under ``if __name__ == "__main__":``.

Dask's ``LocalCluster`` starts its workers with the ``spawn`` method: each worker imports the script that
started it again (as ``__mp_main__``), and a ``lifsim.simulate(..., runner=2)`` at the script's top level then
runs again in every worker, which tries to start workers of its own.  Python refuses that deep in the worker's
start, and the user saw pages of tracebacks from every worker ("An attempt has been made to start a new process
before the current process has finished its bootstrapping phase", "Nanny failed to start").

:func:`check_main_guard` finds that case before any worker starts: the frame of the main script's top-level code
that led to the call, and whether that line stands inside an ``if __name__ == "__main__":`` block of the
script's source.  It follows :mod:`multiprocessing.spawn`'s own rules for when the main module is imported
again: a script run by path or a module run with ``python -m`` (but not a package's ``__main__``, nor an
interactive session or a notebook, which have no file to import).
"""

from __future__ import annotations

import ast
import sys
from types import FrameType

__all__ = ["check_main_guard"]


def _reimported_main() -> tuple[object, str] | None:
    """The main module and its source path when spawned workers import it again, else None."""
    main = sys.modules.get("__main__")
    if main is None:
        return None
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return None  # multiprocessing does not run a package's __main__ again
    path = getattr(main, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return None
    return main, path


def _top_level_frame(main: object) -> FrameType | None:
    """The innermost frame of the main module's own top-level code on the current stack."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is getattr(main, "__dict__", None):
            return frame
        frame = frame.f_back
    return None


def _is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and texts == ["__main__"]


def _guarded(source: str, line: int) -> bool:
    """True when ``line`` of ``source`` lies inside the body of an ``if __name__ == "__main__":`` block."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.body:
            first, last = node.body[0].lineno, max(getattr(n, "end_lineno", n.lineno) or n.lineno for n in node.body)
            if first <= line <= last:
                return True
    return False


def check_main_guard(workers: int) -> None:
    """Refuse (``ValueError``) to start ``workers`` local worker processes from a script's top-level code that is
    not under ``if __name__ == "__main__":`` (each worker would run it again); anything undecidable passes."""
    found = _reimported_main()
    if found is None:
        return
    main, path = found
    frame = _top_level_frame(main)
    if frame is None:
        return
    line = frame.f_lineno
    try:
        with open(path, encoding="utf-8") as handle:
            guarded = _guarded(handle.read(), line)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return
    if not guarded:
        raise ValueError(
            f"runner={workers}: the worker processes import {path} again and would run its line {line} once more "
            '(each starting workers of its own); put the run under `if __name__ == "__main__":` (Python\'s rule for '
            "scripts that start processes)"
        )
