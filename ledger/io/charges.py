"""Billing files (FOCUS cost-and-usage, or the ledger's simple charge CSV), streamed and summed to months.

A file is read in chunks of rows (constant memory whatever its size); each
chunk is validated on whole columns and summed by payer, payee, month,
category, resource, named agreement and currency, in exact integer units
(whole minor units plus the sub-minor rest in pico units, see
`ledger.domain.spend`). Nothing is written here: a file with one bad row is
refused whole by the caller, because the first problem raises InputError
naming file, line, column, value and what was expected.

Values repeat heavily in billing files (a few hundred timestamps, providers,
currencies and descriptions per million rows), so dates, names and the
true-up rule are parsed once per distinct value and mapped back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ledger.domain.money import MINOR_DIGITS
from ledger.domain.spend import (
    COST_EXPECTED,
    MAX_WHOLE_DIGITS,
    PICO_DIGITS,
    ChargeCategory,
    CountingRule,
    parse_cost,
)
from ledger.errors import InputError, InputProblem
from ledger.progress import Progress, silent

CHUNK_ROWS = 200_000
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
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_US = re.compile(r"^\d{1,2}/\d{1,2}/(\d{2}|\d{4})$")
_PLAIN = rf"^-?\d{{1,{MAX_WHOLE_DIGITS}}}(\.\d{{0,{PICO_DIGITS}}})?$"


@dataclass(frozen=True)
class ChargeOptions:
    """How to read a billing file: its format, who pays and is paid when the file does not say, what counts."""

    format: str = "focus"  # "focus" or "csv"
    payer: str | None = None
    payee: str | None = None
    rule: CountingRule = field(default_factory=CountingRule)
    chunk_rows: int = CHUNK_ROWS


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
    sha = file_sha256(path)
    parts: list[pd.DataFrame] = []
    rows = 0
    advance = progress(f"reading {path.name}", path.stat().st_size)
    with path.open("rb") as handle:
        position = 0
        for chunk in _chunks(handle, name, options):
            parts.append(_month_sums(chunk, name, options))
            rows += len(chunk)
            now = handle.tell()
            advance(now - position)
            position = now
    months = _combine(parts) if parts else pd.DataFrame(columns=AGGREGATE_COLUMNS)
    return ChargeFile(name, sha, rows, months)


def _chunks(handle: object, name: str, options: ChargeOptions) -> Iterator[pd.DataFrame]:
    try:
        header = pd.read_csv(handle, nrows=0, dtype=str).columns.tolist()  # type: ignore[call-overload]
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InputError.single(name, 1, "(header)", None, f"a CSV header line ({error})") from None
    handle.seek(0)  # type: ignore[attr-defined]
    wanted = _check_header(name, header, options)
    reader = pd.read_csv(
        handle,  # type: ignore[call-overload]
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        usecols=wanted,
        chunksize=options.chunk_rows,
        skip_blank_lines=False,
        encoding="utf-8-sig",
    )
    try:
        for chunk in reader:
            blank = (chunk == "").all(axis=1)
            yield chunk[~blank] if blank.any() else chunk
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise InputError.single(name, 0, "(file)", None, f"well-formed CSV ({str(error).strip()})") from None


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


class _Chunk:
    """A chunk's cells with their file lines, collecting problems as columns are checked."""

    def __init__(self, frame: pd.DataFrame, name: str) -> None:
        self.frame = frame
        self.name = name
        self.lines = frame.index.to_numpy(dtype=np.int64) + 2  # header is line 1
        self.problems: list[InputProblem] = []

    def text(self, column: str) -> pd.Series:
        if column not in self.frame:
            return pd.Series("", index=self.frame.index, dtype=object)
        values = self.frame[column].str.strip()
        return values.mask(values == NULL, "")

    def refuse(self, bad: np.ndarray, column: str, values: pd.Series, expected: str) -> None:
        for i in np.flatnonzero(bad)[:MAX_REPORTED]:
            self.problems.append(InputProblem(self.name, int(self.lines[i]), column, values.iloc[i], expected))

    def refuse_row(self, i: int, column: str, value: object, expected: str) -> None:
        self.problems.append(InputProblem(self.name, int(self.lines[i]), column, value, expected))

    def raise_problems(self) -> None:
        if self.problems:
            self.problems.sort(key=lambda p: (p.line, p.column))
            raise InputError(self.problems[:MAX_REPORTED])


def _month_sums(frame: pd.DataFrame, name: str, options: ChargeOptions) -> pd.DataFrame:
    chunk = _Chunk(frame, name)
    focus = options.format == "focus"
    currency = chunk.text("BillingCurrency" if focus else "currency").str.upper()
    chunk.refuse(~currency.isin(MINOR_DIGITS).to_numpy(), "BillingCurrency" if focus else "currency", currency,
                 "an ISO 4217 currency code the ledger knows, like USD")  # fmt: skip
    start_column, end_column = ("ChargePeriodStart", "ChargePeriodEnd") if focus else _CSV_PERIOD
    start, end = _timestamps(chunk, start_column), _timestamps(chunk, end_column)
    later = (end > start).to_numpy() | start.isna().to_numpy() | end.isna().to_numpy()
    chunk.refuse(~later, end_column, chunk.text(end_column), f"a {end_column} after {start_column} (it is exclusive)")
    payer, payee = _parties(chunk, options)
    category, counts = _categories(chunk, options)
    amount_column = options.rule.cost.value if focus else "amount"
    minor, sub = _amounts(chunk, amount_column, currency)
    agreement = chunk.text("agreement_id") if not focus else pd.Series("", index=frame.index, dtype=object)
    chunk.raise_problems()
    months = start.to_numpy(dtype="datetime64[s]").astype("datetime64[M]").astype("datetime64[D]")
    resource = chunk.text("ServiceName" if focus else "resource")
    out = pd.DataFrame(
        {
            "payer": payer, "payee": payee, "month": months, "category": category, "counts": counts,
            "resource": resource.mask(resource == "", None), "agreement": agreement.mask(agreement == "", None),
            "currency": currency, "charges": 1, "minor": minor, "sub": sub,
        }
    )  # fmt: skip
    return _group(out)


_CSV_PERIOD = ("charge_period_start", "charge_period_end")


def _timestamps(chunk: _Chunk, column: str) -> pd.Series:
    """Every value as a timestamp in UTC (NaT where refused), parsing each distinct text once."""
    values = chunk.text(column)
    codes, uniques = pd.factorize(values)
    parsed = pd.to_datetime(pd.Series([_timestamp(str(u)) for u in uniques], dtype=object)).to_numpy("datetime64[s]")
    result = pd.Series(parsed[codes] if len(uniques) else np.array([], dtype="datetime64[s]"), index=values.index)
    chunk.refuse(result.isna().to_numpy(), column, values, DATE_EXPECTED)
    return result


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


def _parties(chunk: _Chunk, options: ChargeOptions) -> tuple[pd.Series, pd.Series]:
    index = chunk.frame.index
    if options.format == "csv":
        payer, payee = chunk.text("payer"), chunk.text("payee")
        payer_col, payee_col = "payer", "payee"
    else:
        provider = chunk.text("ProviderName")
        payee = provider.mask(provider == "", chunk.text("InvoiceIssuerName"))
        account = chunk.text("BillingAccountName")
        payer = account.mask(account == "", chunk.text("BillingAccountId"))
        payer_col, payee_col = "BillingAccountName", "ProviderName"
    if options.payer is not None:
        payer = pd.Series(options.payer, index=index, dtype=object)
    if options.payee is not None:
        payee = pd.Series(options.payee, index=index, dtype=object)
    chunk.refuse(
        (payer == "").to_numpy(), payer_col, payer, "a payer name" + ("" if options.format == "csv" else ", or --payer")
    )
    chunk.refuse(
        (payee == "").to_numpy(),
        payee_col,
        payee,
        "a payee name" + ("" if options.format == "csv" else " (ProviderName or InvoiceIssuerName), or --payee"),
    )
    chunk.refuse(((payer == payee) & (payer != "")).to_numpy(), payee_col, payee, "a payee different from the payer")
    return payer, payee


def _categories(chunk: _Chunk, options: ChargeOptions) -> tuple[pd.Series, pd.Series]:
    focus = options.format == "focus"
    column = "ChargeCategory" if focus else "category"
    given = chunk.text(column).str.lower()
    if not focus:
        given = given.mask(given == "", "usage")
    category = given.map(FOCUS_CATEGORIES)
    chunk.refuse(category.isna().to_numpy(), column, chunk.text(column),
                 "one of Usage, Purchase, Tax, Credit, Adjustment (any case)")  # fmt: skip
    description = chunk.text("ChargeDescription" if focus else "description")
    codes, uniques = pd.factorize(description)
    pattern = re.compile(options.rule.true_up_pattern, re.IGNORECASE)
    true_up = np.array([bool(pattern.search(u)) for u in uniques], dtype=bool)
    is_true_up = true_up[codes] if len(uniques) else np.zeros(len(description), dtype=bool)
    category = category.where(~is_true_up, ChargeCategory.TRUE_UP)
    counted = {c for c in ChargeCategory if options.rule.counts(c)}
    counts = category.isin(counted).astype(np.int64)
    return category.map(lambda c: c.value if isinstance(c, ChargeCategory) else c), counts


def _amounts(chunk: _Chunk, column: str, currency: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Exact amounts as (whole minor units, sub-minor pico rest >= 0), per row's currency."""
    text = chunk.text(column)
    plain = text.str.match(_PLAIN).to_numpy(dtype=bool)
    pico_whole = np.zeros(len(text), dtype=np.int64)  # whole major units
    pico_frac = np.zeros(len(text), dtype=np.int64)  # 12-digit fraction
    negative = text.str.startswith("-").to_numpy(dtype=bool)
    if plain.any():
        body = text[plain].str.lstrip("-")
        split = body.str.partition(".")
        pico_whole[plain] = pd.to_numeric(split[0]).to_numpy(dtype=np.int64)
        pico_frac[plain] = pd.to_numeric(split[2].str.ljust(PICO_DIGITS, "0")).to_numpy(dtype=np.int64)
    for i in np.flatnonzero(~plain):
        try:
            value = parse_cost(text.iloc[i])
        except ValueError:
            chunk.refuse_row(int(i), column, text.iloc[i], COST_EXPECTED)
            continue
        negative[i] = value < 0
        pico_whole[i], pico_frac[i] = divmod(abs(value), 10**PICO_DIGITS)
    digits = currency.map(MINOR_DIGITS).fillna(2).to_numpy(dtype=np.int64)
    per_minor = 10 ** (PICO_DIGITS - digits)
    minor = pico_whole * 10**digits + pico_frac // per_minor
    sub = pico_frac % per_minor
    # a negative amount -(m + s) is -(m + 1) + (1 - s): keep 0 <= sub < one minor unit
    borrow = negative & (sub > 0)
    minor = np.where(negative, -minor - borrow, minor)
    sub = np.where(borrow, per_minor - sub, sub)
    return minor, sub


# -- sums --------------------------------------------------------------------------------------------------


def _group(frame: pd.DataFrame) -> pd.DataFrame:
    summed = frame.groupby(GROUP_KEYS, dropna=False, sort=False)[["charges", "minor", "sub"]].sum().reset_index()
    return _carry(summed)


def _carry(frame: pd.DataFrame) -> pd.DataFrame:
    """Move whole minor units out of `sub` (sums of many sub-minor rests), per currency."""
    digits = frame["currency"].map(MINOR_DIGITS).to_numpy(dtype=np.int64)
    per_minor = 10 ** (PICO_DIGITS - digits)
    sub = frame["sub"].to_numpy(dtype=np.int64)
    return frame.assign(minor=frame["minor"].to_numpy(dtype=np.int64) + sub // per_minor, sub=sub % per_minor)


def _combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    combined = _group(pd.concat(parts, ignore_index=True)) if len(parts) > 1 else parts[0]
    return combined.sort_values(["payer", "payee", "month", "category"], kind="stable").reset_index(drop=True)
