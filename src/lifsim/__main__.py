"""``python -m lifsim``: the same as the ``lifsim`` command."""

from ._console import main

main()
