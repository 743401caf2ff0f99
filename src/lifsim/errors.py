"""lifsim's own exception and warning types.

Bad input raises ``ValueError`` or ``TypeError`` (with a message that names
the bad value and what would be accepted); these add what those two cannot say.
"""

from __future__ import annotations

__all__ = ["MissingDependencyError", "PlausibilityWarning"]


class MissingDependencyError(ImportError):
    """An optional package that a format or feature needs is not installed.

    The message names the package and the pip extra that installs it, e.g.
    ``--data: writing .nwb needs pynwb; pip install 'lifsim[nwb]'``.
    """

    def __init__(self, message: str, *, package: str, extra: str | None = None) -> None:
        super().__init__(message, name=package)
        self.package = package
        self.extra = extra


class PlausibilityWarning(UserWarning):
    """A value that is valid but far outside the physiological range (``--tau 20`` is 20 s),
    or a run whose outcome suggests a unit slip (a rate close to one spike per step)."""
