"""Billing files (FOCUS cost-and-usage, or the ledger's simple charge CSV), streamed and summed to months.

A file is read in chunks of rows (constant memory whatever its size); each
chunk is validated on whole columns and summed by payer, payee, month,
category, resource, named agreement and currency, in exact integer units
(whole minor units plus the sub-minor rest in pico units, see
`ledger.domain.money`). Nothing is written here: a file with one bad row is
refused whole by the caller, because the first problem raises InputError
naming file, line, column, value and what was expected.

Values repeat heavily in billing files (a few hundred timestamps, providers,
currencies and descriptions per million rows), so dates, names and the
true-up rule are parsed once per distinct value and mapped back.
"""

from __future__ import annotations

import csv
import hashlib
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledger.domain.dates import FIRST_DAY, LAST_DAY, ONE_DAY
from ledger.domain.money import (
    COST_EXPECTED,
    MINOR_DIGITS,
    Costs,
    IntArray,
    carry_pico,
    parse_costs,
    split_costs,
    sum_money,
    total_limit_text,
)
from ledger.domain.spend import ChargeCategory, CountingRule
from ledger.errors import InputError, InputProblem, LimitError
from ledger.io.limits import LABEL, NAME, TextRule
from ledger.progress import Progress, silent

CHUNK_ROWS = 200_000
MB = 1_000_000
MAX_REPORTED = 20
NULL = "NULL"  # FOCUS exports write missing values as the literal NULL

FOCUS_CATEGORIES = {
    "usage": ChargeCategory.USAGE,
    "purchase": ChargeCategory.PURCHASE,
    "tax": ChargeCategory.TAX,
    "credit": ChargeCategory.CREDIT,
    "adjustment": ChargeCategory.ADJUSTMENT,
}
CSV_REQUIRED = ("payer", "payee", "charge_period_start", "charge_period_end", "amount", "currency")
CSV_OPTIONAL = ("resource", "invoice_id", "agreement_id", "category", "description")
FOCUS_REQUIRED = ("BillingCurrency", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory")
FOCUS_OPTIONAL = (
    "ChargeDescription", "ProviderName", "InvoiceIssuerName", "BillingAccountName", "BillingAccountId", "ServiceName",
)  # fmt: skip
GROUP_KEYS = ["payer", "payee", "month", "category", "counts", "resource", "agreement", "currency"]
AGGREGATE_COLUMNS = [*GROUP_KEYS, "charges", "minor", "sub"]

DATE_EXPECTED = "a date or timestamp like 2025-04-01, 2025-04-01T00:00:00Z or 4/1/25"
# Charges lie in the ledger's supported range (ledger.domain.dates): a period may end at the
# midnight that closes LAST_DAY (ends are exclusive).
FIRST_STAMP, END_STAMP = np.datetime64(FIRST_DAY, "s"), np.datetime64(LAST_DAY + ONE_DAY, "s")
RANGE_EXPECTED = (
    f"a date or timestamp from {FIRST_DAY} to {LAST_DAY + ONE_DAY}T00:00:00Z (the ledger's supported range)"
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_US = re.compile(r"^\d{1,2}/\d{1,2}/(\d{2}|\d{4})$")


@dataclass(frozen=True)
class ChargeOptions:
    """How to read a billing file: its format, who pays and is paid when the file does not say, what counts."""

    format: str = "focus"  # "focus" or "csv"
    payer: str | None = None
    payee: str | None = None
    rule: CountingRule = field(default_factory=CountingRule)
    chunk_rows: int = CHUNK_ROWS
    agreements: frozenset[str] | None = None  # the ledger's agreement ids: a charge may name only these


@dataclass
class ChargeFile:
    """A billing file summed to months: AGGREGATE_COLUMNS, `month` the first day, amounts exact."""

    name: str
    sha256: str
    rows: int
    months: pd.DataFrame


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_charges(path: Path | str, options: ChargeOptions, progress: Progress = silent) -> ChargeFile:
    """Stream `path`, validate every row and sum it to months (raises InputError on the first bad chunk)."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError.single(name, 0, "(file)", None, "an existing, readable billing file")
    if options.format not in ("focus", "csv"):
        raise ValueError(f"unknown billing format {options.format!r}")
    for option, given in (("--payer", options.payer), ("--payee", options.payee)):
        problem = None if given is None else NAME.problem(given.strip())
        if problem is not None:
            raise InputError.single(name, 0, option, given, problem)
    sha = file_sha256(path)
    parts: list[pd.DataFrame] = []
    rows = 0
    size_mb = -(-path.stat().st_size // MB)
    advance = progress(f"reading {path.name} (MB)", size_mb)
    with path.open("rb") as handle:
        position = 0
        chunks = _chunks(handle, name, options)
        for chunk in chunks:
            try:
                parts.append(_month_sums(chunk, name, options))
            except InputError as error:
                raise _counted_so_far(error, chunks) from None
            rows += len(chunk)
            now = handle.tell() // MB
            advance(now - position)
            position = now
    advance(size_mb - position)
    months = _combine(parts, name) if parts else pd.DataFrame(columns=AGGREGATE_COLUMNS)
    return ChargeFile(name, sha, rows, months)


def _chunks(handle: object, name: str, options: ChargeOptions) -> Iterator[pd.DataFrame]:
    try:
        header = pd.read_csv(handle, nrows=0, dtype=str).columns.tolist()  # type: ignore[call-overload]
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InputError.single(name, 1, "(header)", None, f"a CSV header line ({error})") from None
    handle.seek(0)  # type: ignore[attr-defined]
    wanted = _check_header(name, header, options)
    # Every column is read (no usecols): pandas then refuses a row with more fields than the header,
    # where usecols would silently take shifted values.
    reader = pd.read_csv(
        handle,  # type: ignore[call-overload]
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        index_col=False,
        chunksize=options.chunk_rows,
        skip_blank_lines=False,
        encoding="utf-8-sig",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # pandas only warns of some ragged rows
            for chunk in reader:
                chunk = chunk[wanted]
                blank = (chunk == "").all(axis=1)
                yield chunk[~blank] if blank.any() else chunk
    except (pd.errors.ParserError, pd.errors.ParserWarning) as error:
        raise _ragged_row(name, str(error), len(header)) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise InputError.single(name, 0, "(file)", None, f"well-formed UTF-8 CSV ({str(error).strip()})") from None


def _counted_so_far(error: InputError, chunks: Iterator[pd.DataFrame]) -> InputError:
    """A bad chunk ends the reading: its problems were all counted, but rows may follow with more."""
    try:
        more = next(chunks, None) is not None
    except InputError:
        more = True
    return InputError(error.problems, total=error.total, complete=not more)


_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _ragged_row(name: str, message: str, columns: int) -> InputError:
    """The first row whose number of fields differs from the header's (found again with the csv module)."""
    found = _FIELDS.search(message)
    if found is not None:
        line, saw = int(found[2]), int(found[3])
        return InputError.single(name, line, "(row)", f"{saw} fields", f"{columns} fields, as in the header")
    with open(name, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            if row and len(row) != columns:
                return InputError.single(
                    name, reader.line_num, "(row)", f"{len(row)} fields", f"{columns} fields, as in the header"
                )
    return InputError.single(name, 0, "(file)", None, f"well-formed CSV ({message.strip()})")


def _check_header(name: str, header: list[str], options: ChargeOptions) -> list[str]:
    if options.format == "csv":
        required, optional = list(CSV_REQUIRED), list(CSV_OPTIONAL)
    else:
        required, optional = [*FOCUS_REQUIRED, options.rule.cost.value], list(FOCUS_OPTIONAL)
    problems = [
        InputProblem(name, 1, c, None, "this required column in the header") for c in required if c not in header
    ]
    if options.format == "focus":
        if options.payee is None and not {"ProviderName", "InvoiceIssuerName"} & set(header):
            problems.append(
                InputProblem(name, 1, "ProviderName", None, "ProviderName or InvoiceIssuerName, or --payee")
            )
        if options.payer is None and not {"BillingAccountName", "BillingAccountId"} & set(header):
            problems.append(
                InputProblem(name, 1, "BillingAccountName", None, "BillingAccountName or BillingAccountId, or --payer")
            )
    if problems:
        raise InputError(problems)
    return [c for c in (*required, *optional) if c in header]


# -- one chunk -------------------------------------------------------------------------------------------------

CATEGORY_ORDER = list(ChargeCategory)  # category codes: positions in this list


@dataclass
class _Factor:
    """A column as codes into its distinct values (cleaned: stripped, literal NULL as empty)."""

    codes: npt.NDArray[np.intp]
    uniques: npt.NDArray[np.object_]

    @classmethod
    def of(cls, values: object) -> _Factor:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        cleaned = np.array([_clean(u) for u in uniques], dtype=object)
        return cls(codes, cleaned)

    def values(self) -> npt.NDArray[np.object_]:
        return self.uniques[self.codes]

    def rows(self, per_unique: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Per-row values from one value per distinct text."""
        return per_unique[self.codes]


def _clean(value: object) -> str:
    text = str(value).strip()
    return "" if text == NULL else text


class _Chunk:
    """A chunk's columns with their file lines, collecting problems as columns are checked."""

    def __init__(self, frame: pd.DataFrame, name: str) -> None:
        self.frame = frame
        self.name = name
        self.lines = frame.index.to_numpy(dtype=np.int64) + 2  # header is line 1
        self.problems: list[InputProblem] = []
        self.total = 0  # problems found, of which the first MAX_REPORTED of each check are kept

    def factor(self, column: str) -> _Factor:
        if column not in self.frame:
            return _Factor(np.zeros(len(self.frame), dtype=np.intp), np.array([""], dtype=object))
        return _Factor.of(self.frame[column].to_numpy(dtype=object))

    def refuse(self, bad: npt.NDArray[np.bool_], column: str, values: _Factor, expected: str) -> None:
        rows = np.flatnonzero(bad)
        self.total += len(rows)
        for i in rows[:MAX_REPORTED]:
            self.refuse_row(int(i), column, values.uniques[values.codes[i]], expected)

    def refuse_text(self, column: str, values: _Factor, rule: TextRule) -> None:
        """Refuse the rows whose value (as stored: stripped) breaks `rule`, each with what is wrong with it."""
        wrong = [rule.problem(u) for u in values.uniques]
        bad = values.rows(np.array([w is not None for w in wrong], dtype=bool))
        rows = np.flatnonzero(bad)
        self.total += len(rows)
        for i in rows[:MAX_REPORTED]:
            code = values.codes[i]
            self.refuse_row(int(i), column, values.uniques[code], str(wrong[code]))

    def refuse_row(self, i: int, column: str, value: object, expected: str) -> None:
        self.problems.append(InputProblem(self.name, int(self.lines[i]), column, value, expected))

    def raise_problems(self) -> None:
        if self.problems:
            self.problems.sort(key=lambda p: (p.line, p.column))
            raise InputError(self.problems[:MAX_REPORTED], total=self.total)


def _month_sums(frame: pd.DataFrame, name: str, options: ChargeOptions) -> pd.DataFrame:
    """Validate a chunk on whole columns and sum it by GROUP_KEYS (grouping on integer codes)."""
    chunk = _Chunk(frame, name)
    focus = options.format == "focus"
    currency_column = "BillingCurrency" if focus else "currency"
    currency = chunk.factor(currency_column)
    currency.uniques = np.array([u.upper() for u in currency.uniques], dtype=object)
    known = np.array([u in MINOR_DIGITS for u in currency.uniques], dtype=bool)
    chunk.refuse(
        ~currency.rows(known), currency_column, currency, "an ISO 4217 currency code the ledger knows, like USD"
    )
    start_column, end_column = ("ChargePeriodStart", "ChargePeriodEnd") if focus else _CSV_PERIOD
    start, end = _timestamps(chunk, start_column), _timestamps(chunk, end_column)
    later = (end > start) | np.isnat(start) | np.isnat(end)
    chunk.refuse(~later, end_column, chunk.factor(end_column), f"a {end_column} after {start_column} (it is exclusive)")
    payer, payee = _parties(chunk, options)
    category = _categories(chunk, options)
    digits = currency.rows(np.array([MINOR_DIGITS.get(u, 2) for u in currency.uniques], dtype=np.int64))
    minor, sub = _amounts(chunk, options.rule.cost.value if focus else "amount", digits)
    agreement = chunk.factor("agreement_id")
    if options.agreements is not None:
        unknown = np.array([u != "" and u not in options.agreements for u in agreement.uniques], dtype=bool)
        chunk.refuse(agreement.rows(unknown), "agreement_id", agreement, "an agreement the ledger holds")
    resource_column = "ServiceName" if focus else "resource"
    resource = chunk.factor(resource_column)
    chunk.refuse_text(resource_column, resource, LABEL)
    chunk.raise_problems()
    counted = np.array([options.rule.counts(c) for c in CATEGORY_ORDER], dtype=np.int64)
    codes = pd.DataFrame(
        {
            "payer": payer.codes, "payee": payee.codes, "month": start.astype("datetime64[M]").astype(np.int64),
            "category": category, "resource": resource.codes, "agreement": agreement.codes,
            "currency": currency.codes, "charges": 1, "minor": minor, "sub": sub,
        }
    )  # fmt: skip
    keys = ["payer", "payee", "month", "category", "resource", "agreement", "currency"]
    summed, over = sum_money(codes, keys, ["charges", "minor", "sub"])
    category_codes = summed["category"].to_numpy()
    resource_text = resource.uniques[summed["resource"].to_numpy()]
    agreement_text = agreement.uniques[summed["agreement"].to_numpy()]
    out = pd.DataFrame(
        {
            "payer": payer.uniques[summed["payer"].to_numpy()],
            "payee": payee.uniques[summed["payee"].to_numpy()],
            "month": summed["month"].to_numpy().astype("datetime64[M]").astype("datetime64[D]"),
            "category": np.array([CATEGORY_ORDER[c].value for c in category_codes], dtype=object),
            "counts": counted[category_codes],
            "resource": np.where(resource_text == "", None, resource_text),
            "agreement": np.where(agreement_text == "", None, agreement_text),
            "currency": currency.uniques[summed["currency"].to_numpy()],
            "charges": summed["charges"].to_numpy(),
            "minor": summed["minor"].to_numpy(),
            "sub": summed["sub"].to_numpy(),
        }
    )
    _refuse_over_limit(out, over, name)
    return _carry(out)


_CSV_PERIOD = ("charge_period_start", "charge_period_end")


def _timestamps(chunk: _Chunk, column: str) -> npt.NDArray[np.datetime64]:
    """Every value as a timestamp in UTC (NaT where refused), parsing each distinct text once."""
    values = chunk.factor(column)
    parsed = pd.to_datetime(pd.Series([_timestamp(u) for u in values.uniques], dtype=object))
    stamps = values.rows(parsed.to_numpy(dtype="datetime64[s]"))
    chunk.refuse(np.isnat(stamps), column, values, DATE_EXPECTED)
    outside = ~np.isnat(stamps) & ((stamps < FIRST_STAMP) | (stamps > END_STAMP))
    chunk.refuse(outside, column, values, RANGE_EXPECTED)
    return np.where(outside, np.datetime64("NaT", "s"), stamps)


def _timestamp(text: str) -> pd.Timestamp | None:
    """ISO dates and timestamps (any offset, converted to UTC), and the spec examples' M/D/YY dates."""
    try:
        if _ISO.match(text):
            stamp = pd.Timestamp(text)
            return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp
        if _US.match(text):
            month, day, year = (int(p) for p in text.split("/"))
            return pd.Timestamp(year=year + (2000 if year < 100 else 0), month=month, day=day)
    except ValueError:
        pass
    return None


def _parties(chunk: _Chunk, options: ChargeOptions) -> tuple[_Factor, _Factor]:
    n = len(chunk.frame)
    if options.format == "csv":
        payer, payee = chunk.factor("payer"), chunk.factor("payee")
        payer_column, payee_column, hint_payer, hint_payee = "payer", "payee", "", ""
    else:
        payer = _first_given(chunk.factor("BillingAccountName"), chunk.factor("BillingAccountId"))
        payee = _first_given(chunk.factor("ProviderName"), chunk.factor("InvoiceIssuerName"))
        payer_column, payee_column = "BillingAccountName", "ProviderName"
        hint_payer, hint_payee = " (or BillingAccountId), or --payer", " (or InvoiceIssuerName), or --payee"
    if options.payer is not None:
        payer = _Factor(np.zeros(n, dtype=np.intp), np.array([options.payer], dtype=object))
    if options.payee is not None:
        payee = _Factor(np.zeros(n, dtype=np.intp), np.array([options.payee], dtype=object))
    if options.payer is None:
        chunk.refuse_text(payer_column, payer, NAME)
    if options.payee is None:
        chunk.refuse_text(payee_column, payee, NAME)
    payer_text, payee_text = payer.values(), payee.values()
    chunk.refuse(payer_text == "", payer_column, payer, "a payer name" + hint_payer)
    chunk.refuse(payee_text == "", payee_column, payee, "a payee name" + hint_payee)
    chunk.refuse((payer_text == payee_text) & (payer_text != ""), payee_column, payee, "a payee other than the payer")
    return payer, payee


def _first_given(first: _Factor, second: _Factor) -> _Factor:
    """Per row, the first column's value, or the second's where the first is empty."""
    if not (first.uniques == "").any():
        return first
    values = first.values()
    return _Factor.of(np.where(values == "", second.values(), values))


def _categories(chunk: _Chunk, options: ChargeOptions) -> npt.NDArray[np.int64]:
    """Category codes (positions in CATEGORY_ORDER); true-ups by description."""
    focus = options.format == "focus"
    column = "ChargeCategory" if focus else "category"
    given = chunk.factor(column)
    lookup = {k: CATEGORY_ORDER.index(v) for k, v in FOCUS_CATEGORIES.items()}
    if not focus:
        lookup[""] = CATEGORY_ORDER.index(ChargeCategory.USAGE)
    per_unique = np.array([lookup.get(u.lower(), -1) for u in given.uniques], dtype=np.int64)
    category = given.rows(per_unique)
    chunk.refuse(category < 0, column, given, "one of Usage, Purchase, Tax, Credit, Adjustment (any case)")
    description = chunk.factor("ChargeDescription" if focus else "description")
    pattern = re.compile(options.rule.true_up_pattern, re.IGNORECASE)
    true_up = description.rows(np.array([bool(pattern.search(u)) for u in description.uniques], dtype=bool))
    return np.where(true_up, CATEGORY_ORDER.index(ChargeCategory.TRUE_UP), category)


def _amounts(chunk: _Chunk, column: str, digits: npt.NDArray[np.int64]) -> tuple[IntArray, IntArray]:
    """Exact amounts as (whole minor units, sub-minor pico rest >= 0), per row's currency digits."""
    text = chunk.factor(column)
    costs = parse_costs(text.uniques)
    chunk.refuse(text.rows(costs.bad), column, text, COST_EXPECTED)
    per_row = Costs(text.rows(costs.bad), text.rows(costs.negative), text.rows(costs.whole), text.rows(costs.fraction))
    return split_costs(per_row, digits)


# -- sums --------------------------------------------------------------------------------------------------


def _group(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    summed, over = sum_money(frame, GROUP_KEYS, ["charges", "minor", "sub"], dropna=False)
    _refuse_over_limit(summed, over, name)
    return _carry(summed)


def _refuse_over_limit(months: pd.DataFrame, over: npt.NDArray[np.bool_], name: str) -> None:
    """A month's charges of one payer, payee and currency past MAX_TOTAL_MINOR: the whole file is refused."""
    if not over.any():
        return
    first = months[over].iloc[0]
    month = pd.Timestamp(first["month"]).strftime("%Y-%m")
    raise LimitError(
        f"{name}: the charges of {first['payer']} to {first['payee']} in {month} sum to more than "
        f"{total_limit_text(str(first['currency']))}, the ledger's limit for one sum; nothing was written"
    )


def _carry(frame: pd.DataFrame) -> pd.DataFrame:
    """Move whole minor units out of `sub` (sums of many sub-minor rests), per currency."""
    digits: IntArray = np.asarray(frame["currency"].map(MINOR_DIGITS).to_numpy(), dtype=np.int64)
    minor, sub = carry_pico(frame["minor"].to_numpy(dtype=np.int64), frame["sub"].to_numpy(dtype=np.int64), digits)
    return frame.assign(minor=minor, sub=sub)


def _combine(parts: list[pd.DataFrame], name: str) -> pd.DataFrame:
    combined = _group(pd.concat(parts, ignore_index=True), name) if len(parts) > 1 else parts[0]
    return combined.sort_values(["payer", "payee", "month", "category"], kind="stable").reset_index(drop=True)
