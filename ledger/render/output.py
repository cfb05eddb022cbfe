"""Writing schedules and listings as CSV or JSON, and the text a terminal table shows (ledger/render/tables.py
lays them out); money always as exact decimal text.

Safe exports: CSV text cells that a spreadsheet would run as a formula get a leading `'` (unless raw),
and table cells show control characters escaped. JSON is for programs and stays raw.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import IO, Any

import numpy as np
import pandas as pd

from ledger.domain.money import MINOR_DIGITS, format_minor_array, minor_array, to_decimal
from ledger.formulas import formula_like, neutralise_formula

SCHEDULE_CSV_COLUMNS = ["agreement_id", "period", "period_start", "period_end", "amount", "currency"]
CONSOLIDATED_CSV_COLUMNS = ["payer", "payee", "resource", "period", "period_start", "period_end", "amount", "currency"]
ADJUSTMENT_CSV_COLUMNS = [
    "agreement_id", "relation_kind", "related_id", "period", "period_start", "period_end", "amount", "currency",
]  # fmt: skip


# How an amount's qualifier reads beside it, in tables and in the FOCUS export's descriptions.
QUALIFIER_WORDS = {"approximately": "about", "up_to": "up to", "at_least": "at least"}


def amount_text(minor: pd.Series, currency: pd.Series) -> np.ndarray:
    """Minor units -> decimal text with each row's currency digits (no separators, no exponent)."""
    minor_values = minor_array(minor.to_numpy())  # a float here would print rounded cents: refused
    currencies = currency.to_numpy(dtype=object)
    out = np.empty(len(minor_values), dtype=object)
    for code in pd.unique(currencies):
        rows = currencies == code
        out[rows] = format_minor_array(minor_values[rows], MINOR_DIGITS[code]).astype(object)
    return out


def amount_decimal(minor: pd.Series, currency: pd.Series) -> list[Decimal]:
    """Minor units -> exact Decimals (for the Python API's DataFrames)."""
    return [to_decimal(m, c) for m, c in zip(minor.tolist(), currency.tolist(), strict=True)]


def date_text(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype="datetime64[D]").astype(str).astype(object)


def schedule_for_output(frame: pd.DataFrame) -> pd.DataFrame:
    """The schedule as text columns, exactly SCHEDULE_CSV_COLUMNS."""
    return as_text(frame, SCHEDULE_CSV_COLUMNS)


def as_text(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """`columns` of a money frame as text: `amount` from amount_minor and currency, dates as YYYY-MM-DD.

    Money frames carry `amount_minor` and `currency`; `columns` may ask for
    `amount` (or any `<name>` whose `<name>_minor` column exists).
    """
    out = {}
    for column in columns:
        if f"{column}_minor" in frame.columns:
            out[column] = amount_text(frame[f"{column}_minor"], frame["currency"])
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            out[column] = date_text(frame[column])
        else:
            out[column] = frame[column].astype(object).where(frame[column].notna(), None).to_numpy()
    return pd.DataFrame(out, columns=list(columns))


# The columns of the agreement listing (`ledger agreements`).
LISTING_COLUMNS = [
    "agreement_id", "kind", "payer", "payee", "amount", "currency", "amount_qualifier", "start_date", "end_date",
    "term_months", "profile", "basis", "status", "confidence", "resource",
]  # fmt: skip


def agreements_for_output(frame: pd.DataFrame) -> pd.DataFrame:
    """The agreement listing as text columns (LISTING_COLUMNS); undisclosed amounts are empty."""
    disclosed = frame["amount_minor"].notna().to_numpy()
    amount = np.full(len(frame), None, dtype=object)
    amount[disclosed] = amount_text(
        frame.loc[disclosed, "amount_minor"].astype("int64"), frame.loc[disclosed, "currency"]
    )
    shown = frame.assign(
        amount=amount,
        start_date=date_text(frame["start_date"]),
        end_date=date_text(frame["end_date"]),
        term_months=frame["term_months"].astype("Int64").astype(object),
    )
    return shown[LISTING_COLUMNS].astype(object).where(shown[LISTING_COLUMNS].notna(), None)


# The columns that hold what the ledger computes and formats itself: amounts (`-700.00` is a negative
# amount, not a formula), dates, timestamps, counts, shares and flags. They are written as they are; every
# other column is text (ids, names, resources, descriptions, labels) and is neutralised. Decided by column,
# never by what a cell looks like, so a name "-12.50" is quoted and an amount -12.50 is not.
VALUE_COLUMNS = frozenset({
    # schedules, consolidated schedules, adjustments, agreements, findings
    "amount", "difference", "period_start", "period_end", "start_date", "end_date", "term_months",
    # burn positions and periods
    "committed", "expected_to_date", "consumed", "remaining", "utilization", "days_left", "months_left",
    "required_monthly", "trailing_monthly", "projected_consumed", "shortfall", "overage", "met_on",
    "true_up_billed", "required", "gap", "binding",
    # the FOCUS 1.3 Contract Commitment dataset
    "ContractCommitmentCost", "ContractCommitmentQuantity", "ContractCommitmentPeriodStart",
    "ContractCommitmentPeriodEnd", "ContractPeriodStart", "ContractPeriodEnd",
    # cycles
    "length", "bottleneck", "bottleneck_up_to",
})  # fmt: skip


def _text_columns(frame: pd.DataFrame) -> list[Any]:
    """The columns that may hold text a user wrote: all but VALUE_COLUMNS and numeric or date dtypes."""
    return [
        c for c in frame.columns
        if c not in VALUE_COLUMNS
        and not pd.api.types.is_numeric_dtype(frame[c].dtype)
        and not pd.api.types.is_datetime64_any_dtype(frame[c].dtype)
    ]  # fmt: skip


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text column's formula-like cells neutralised; VALUE_COLUMNS untouched."""
    changed = {}
    for column in _text_columns(frame):
        # Once per distinct value: a schedule repeats each id on thousands of lines.
        codes, distinct = pd.factorize(frame[column], use_na_sentinel=True)
        risky = [isinstance(v, str) and formula_like(v) for v in distinct]
        if any(risky):
            safe = np.array([neutralise_formula(v) if r else v for v, r in zip(distinct, risky, strict=True)] + [None])
            changed[column] = safe[codes]  # code -1 (missing) takes the trailing None
    return frame.assign(**changed) if changed else frame


def write_csv(frame: pd.DataFrame, out: IO[str], *, raw: bool = False) -> None:
    """RFC 4180 CSV with a header and \n line ends (the csv module: faster than DataFrame.to_csv here).

    Text cells that a spreadsheet would run as a formula get a leading `'` (spreadsheet_safe) unless
    `raw`, for programs that read the values back.
    """
    shown = frame if raw else spreadsheet_safe(frame)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([str(c) for c in shown.columns])
    rows = zip(*(_cells(shown[c]) for c in shown.columns), strict=True)
    if not _holds_carriage_return(shown):
        writer.writerows(rows)
        return
    # With \n line ends the csv module leaves a lone \r unquoted, and readers end the row there. A
    # writer with \r\n line ends quotes it: its line, with the usual \n, is the same row done right.
    line = io.StringIO()
    quoting = csv.writer(line, lineterminator="\r\n")
    for row in rows:
        if any(isinstance(cell, str) and "\r" in cell for cell in row):
            line.seek(0)
            line.truncate()
            quoting.writerow(row)
            out.write(line.getvalue()[:-2] + "\n")
        else:
            writer.writerow(row)


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    return any(isinstance(v, str) and "\r" in v for c in _text_columns(frame) for v in pd.unique(frame[c].to_numpy()))


def _cells(column: pd.Series) -> list[Any]:
    """A column's values with every missing value as None (written empty): pandas' text columns hold NaN."""
    if column.dtype == object and not column.isna().any():
        return column.tolist()
    return column.astype(object).where(column.notna(), None).tolist()


def write_json(payload: dict[str, Any], out: IO[str]) -> None:
    json.dump(payload, out, indent=2, ensure_ascii=False)
    out.write("\n")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; missing values become null."""
    columns = [str(c) for c in frame.columns]
    return [
        dict(zip(columns, row, strict=True)) for row in zip(*(_cells(frame[c]) for c in frame.columns), strict=True)
    ]


def percent(share: Fraction | None) -> str | None:
    """A share as a percentage with one decimal, rounded half to even on the exact fraction: 1/3 -> '33.3%'."""
    if share is None:
        return None
    tenths = round(share * 1000)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{abs(tenths) // 10}.{abs(tenths) % 10}%"


def ratio(value: Fraction | None) -> str | None:
    """A ratio with two decimals, rounded half to even on the exact fraction: 138/50 -> '2.76'."""
    if value is None:
        return None
    hundredths = round(value * 100)
    sign = "-" if hundredths < 0 else ""
    return f"{sign}{abs(hundredths) // 100}.{abs(hundredths) % 100:02d}"


def grouped_amount(text: str) -> str:
    """'38000000000.00' -> '38,000,000,000.00' for people reading a table."""
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    grouped = f"{int(whole):,}"
    return f"{sign}{grouped}.{frac}" if frac else f"{sign}{grouped}"


# What a terminal would obey rather than show: C0 controls (ESC starts the escape codes), DEL, C1 controls,
# and the bidirectional embeddings, overrides and isolates that reorder what follows them.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def terminal_safe(text: str) -> str:
    """Text as a table shows it: control and bidi-override characters escaped (ESC -> `\\x1b`, RLO -> `\\u202e`)."""
    return _UNPRINTABLE.sub(_escaped, text)
