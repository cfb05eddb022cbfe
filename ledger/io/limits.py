"""What an input file may hold: the size of each field, the characters of names and text, YAML's bounds.

One rule per kind of field, used by every reader through the kinds of field
(ledger.io.fields: the agreement rule table and the party and valuation
records) and by the billing-file reader (ledger.io.charges), so that CSV, YAML
and billing files refuse the same values with the same words. The README's
"Input limits" lists them.

Characters are checked on the value as written (before surrounding
whitespace is stripped), lengths on the stripped value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

MAX_ID_CHARS = 100  # agreement, valuation and round ids (ledger.io.fields.KEY_PATTERN)
MAX_NAME_CHARS = 200  # party names and aliases, payers and payees
MAX_LABEL_CHARS = 1_000  # one-line labels: resource, unit, chip family, source titles, fiscal calendar
MAX_TEXT_CHARS = 10_000  # free text: notes, assumptions, participants; list cells (tranche amounts, weights)
MAX_URL_CHARS = 2_000
MAX_DECIMAL_CHARS = 40  # an amount or quantity written out
# A CSV cell holding a JSON array (relations, sources, tranches): room for a dated tranche per month of the
# longest term (1,200 of them, about 90,000 characters) or some 300 sources of the longest url and title.
MAX_JSON_CHARS = 1_000_000

MAX_YAML_BYTES = 16 * 1024 * 1024  # a YAML file; larger sets of agreements belong in CSV
MAX_YAML_NODES = 500_000  # scalars, lists and mappings in one YAML file (~20,000 agreements)
MAX_YAML_DEPTH = 32  # lists and mappings inside one another (the formats need 5)
MAX_COUNTED = 10_000  # problems a reader counts before it stops reading a refused file

# C0 controls but tab, LF and CR; DEL and the C1 controls (some terminals run U+009B as an escape);
# lone surrogates (a YAML escape can write one; no database can store it).
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
# Also refused in names, ids and labels: tab and line breaks, and the invisible characters that change
# how text reads or compares (bidirectional marks, overrides and isolates; a byte-order mark).
_LINE_ONLY = "\t\n\r\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff"


@dataclass(frozen=True)
class TextRule:
    """What one kind of text field may hold: at most `limit` characters, and no forbidden character."""

    what: str  # how messages name the field's value: "a name", "text"
    limit: int
    multiline: bool = False  # free text: tabs and line breaks allowed
    forbidden: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        banned = _CONTROL if self.multiline else _CONTROL + _LINE_ONLY
        object.__setattr__(self, "forbidden", re.compile(f"[{banned}]"))

    @property
    def length_expected(self) -> str:
        return f"{self.what} of at most {self.limit:,} characters"

    def char_expected(self, found: str, at: int) -> str:
        allowed = (
            "control characters other than tab and line breaks"
            if self.multiline
            else ("control characters, tabs, line breaks or invisible bidirectional marks")
        )
        return f"{self.what} without {allowed} (it has U+{ord(found):04X} at character {at + 1})"

    def problem(self, value: str) -> str | None:
        """What is wrong with `value` (as written), or None when it may be stored."""
        found = self.forbidden.search(value)
        if found is not None:
            return self.char_expected(found.group(), found.start())
        if len(value) > self.limit and len(value.strip()) > self.limit:
            return self.length_expected
        return None

    def check(self, value: object) -> object:
        """A pydantic before-validator: refuse a string that breaks the rule; other values pass on."""
        if isinstance(value, str):
            problem = self.problem(value)
            if problem is not None:
                raise ValueError(problem)
        return value

    def accepts(self, cells: Iterable[str]) -> npt.NDArray[np.bool_]:
        """Which cells (as written) the rule accepts, for whole columns."""
        search, limit = self.forbidden.search, self.limit
        return np.array(
            [search(cell) is None and (len(cell) <= limit or len(cell.strip()) <= limit) for cell in cells],
            dtype=bool,
        )


NAME = TextRule("a name", MAX_NAME_CHARS)
LABEL = TextRule("text", MAX_LABEL_CHARS)
TEXT = TextRule("text", MAX_TEXT_CHARS, multiline=True)
LIST = TextRule("a list", MAX_TEXT_CHARS)
URL = TextRule("a web address", MAX_URL_CHARS)
# JSON may be laid out over lines; the text inside it is checked field by field once it is read.
JSON_ARRAY = TextRule("a JSON array", MAX_JSON_CHARS, multiline=True)
