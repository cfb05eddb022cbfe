"""How many examples the property tests try: a budget for every run (the README's test command, CI), and a
thorough one for a nightly run (`LEDGER_THOROUGH=1 pytest`), ten times or more the default."""

from __future__ import annotations

import os

THOROUGH = os.environ.get("LEDGER_THOROUGH", "").strip() == "1"


def examples(default: int, thorough: int | None = None) -> int:
    """`default` examples, or `thorough` (else ten times as many) when LEDGER_THOROUGH=1."""
    return (thorough or 10 * default) if THOROUGH else default
