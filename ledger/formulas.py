"""CSV cells a spreadsheet would run as formulas, and the one quote that keeps them text.

The CSV writers (ledger.render.output) put a `'` before such a cell; the import reader (ledger.io.readers)
takes it off again, so a spreadsheet-safe export of agreements imports as the values it was written from.
"""

from __future__ import annotations

import re

# OWASP's rule for CSV injection: a cell beginning with one of these is a formula to a spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")


def formula_like(text: str) -> bool:
    """Whether a writer quotes `text`: it begins with a trigger, or with quotes before one (`'=x` was
    perhaps quoted already, so it gets one more quote and reads back as itself)."""
    return text.lstrip("'").startswith(FORMULA_TRIGGERS)


def neutralise_formula(text: str) -> str:
    """`=HYPERLINK(...)` -> `'=HYPERLINK(...)`: a spreadsheet shows the text instead of running it."""
    return "'" + text if formula_like(text) else text


def unneutralise_formula(cell: str) -> str:
    """A cell as `neutralise_formula` was given it: one quote off a cell of quotes and a trigger."""
    return cell[1:] if cell.startswith("'") and _QUOTED.match(cell) else cell
