"""The fast path for CSV files of agreements: every check on whole columns at once, no per-row objects.

It takes the rows it can check completely (straight-line agreements whose
every cell passes) and leaves all others to the row-by-row validator, which
then accepts them or words each problem. So errors always read the same, and
the fast path may be stricter than the row-by-row one but never more lenient:
a differential test keeps the two equal on every row the fast path takes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ledger.domain.agreements import (
    KINDS_PAID_AT_ONCE,
    Basis,
    Confidence,
    Kind,
    Profile,
    Qualifier,
    RelationKind,
    Status,
    linear_ramp_weights,
)
from ledger.domain.dates import LAST_DAY, add_months_array, months_before
from ledger.domain.money import MAX_MINOR, MINOR_DIGITS, split_by_weights
from ledger.io.batch import (
    BATCH_COLUMNS,
    CAPACITY_COLUMNS,
    RELATION_COLUMNS,
    SLICE_COLUMNS,
    SOURCE_COLUMNS,
    AgreementBatch,
    normalized,
)
from ledger.io.limits import LABEL, LIST, MAX_DECIMAL_CHARS, NAME, TEXT, URL, TextRule
from ledger.io.records import KEY_PATTERN

_DATE = r"(19|20|21)\d\d-\d\d-\d\d"  # the supported years 1900-2199 (ledger.domain.dates); others go row by row
# The text columns the fast path stores, under the rules of ledger.io.limits (payer and payee are required).
_TEXT_RULES: dict[str, TextRule] = {
    "resource": LABEL, "participants": TEXT, "notes": TEXT, "assumptions": TEXT, "source_url": URL,
    "source_title": LABEL, "chip_family": LABEL, "unit": LABEL, "tranche_amounts": LIST, "ramp_weights": LIST,
}  # fmt: skip
# YAML structures (a CSV cell cannot hold them), and minimums, which the row-by-row path checks
_ROW_ONLY = ("tranches", "relations", "sources", "minimum_amount", "minimum_period")


def split_rows(frame: pd.DataFrame) -> np.ndarray:
    """Which rows the fast path takes (True) and which go row by row (False)."""
    return _Checks(frame).passed()


def read_fast(frame: pd.DataFrame, lines: np.ndarray) -> tuple[AgreementBatch | None, np.ndarray]:
    """The batch of the rows the fast path takes, and which rows those are (cells as read: text, '' if empty)."""
    checks = _Checks(frame)
    taken = checks.passed()
    if not taken.any():
        return None, taken
    return _batch(checks.subset(taken), lines[taken]), taken


def _batch(c: _Checks, lines: np.ndarray) -> AgreementBatch:
    start = c.dates["start_date"]
    months = pd.to_numeric(c.text("term_months").where(c.given("term_months")), errors="coerce")
    last = _last_days(start, months, c.dates["end_date"])
    amount = c.amount_minor()
    qualifier = c.lower("amount_qualifier").where(
        c.given("amount_qualifier"), np.where(amount.notna(), "exact", "undisclosed")
    )
    agreements = pd.DataFrame(
        {
            "agreement_id": c.text("agreement_id"),
            "kind": c.lower("kind"),
            "payer": c.text("payer"),
            "payee": c.text("payee"),
            "resource": c.optional("resource"),
            "amount_minor": amount,
            "currency": c.upper_currency(),
            "amount_qualifier": qualifier,
            "start_date": start,
            "end_date": last,
            "term_months": months,
            "profile": c.lower("profile").where(c.given("profile"), Profile.STRAIGHT_LINE.value),
            "basis": c.lower("basis").where(c.given("basis"), Basis.MONTHLY.value),
            "status": c.lower("status").where(c.given("status"), Status.ANNOUNCED.value),
            "confidence": c.lower("confidence").where(c.given("confidence"), None),
            "announced_on": c.dates["announced_on"],
            "participants": c.optional("participants"),
            "notes": c.optional("notes"),
            "assumptions": c.optional("assumptions"),
        },
        columns=BATCH_COLUMNS,
    ).assign(line=lines)
    key = agreements["agreement_id"]
    related = c.given("relation_to")
    relations = pd.DataFrame(
        {
            "agreement_id": key[related],
            "kind": c.lower("relation_kind")[related],
            "related_id": c.text("relation_to")[related],
            "line": lines[related.to_numpy()],
        },
        columns=RELATION_COLUMNS,
    )
    sourced = c.given("source_url")
    sources = pd.DataFrame(
        {
            "agreement_id": key[sourced],
            "url": c.text("source_url")[sourced],
            "title": c.optional("source_title")[sourced],
            "published_on": c.dates["source_date"][sourced],
        },
        columns=SOURCE_COLUMNS,
    )
    sized = c.given("quantity") | c.given("unit") | c.given("chip_family")
    capacities = pd.DataFrame(
        {
            "agreement_id": key[sized],
            "chip_family": c.optional("chip_family")[sized],
            "quantity": c.optional("quantity")[sized],
            "unit": c.optional("unit")[sized],
        },
        columns=CAPACITY_COLUMNS,
    )
    return AgreementBatch(
        normalized(agreements, BATCH_COLUMNS).assign(line=lines),
        normalized(c.slices()[1][SLICE_COLUMNS], SLICE_COLUMNS),
        relations.reset_index(drop=True),
        normalized(sources, SOURCE_COLUMNS).reset_index(drop=True),
        normalized(capacities, CAPACITY_COLUMNS).reset_index(drop=True),
    )


_AMOUNT = re.compile(r"(\d{1,17})(?:\.(\d+))?")


def _minor(text: str, currency: str) -> int | None:
    """One amount's minor units, or None when it is not a plain decimal the currency can hold."""
    match = _AMOUNT.fullmatch(text)
    digits = MINOR_DIGITS.get(currency)
    fraction = (match.group(2) or "").rstrip("0") if match else ""
    if match is None or digits is None or len(fraction) > digits:
        return None
    value = int(match.group(1)) * 10**digits + int(fraction.ljust(digits, "0") or "0")
    return value if value <= MAX_MINOR else None


def _last_days(start: pd.Series, months: pd.Series, end: pd.Series) -> pd.Series:
    """Inclusive last day: start + term_months - 1 day, else the given end_date, else the start (paid at once)."""
    days = start.to_numpy(dtype="datetime64[D]")
    by_months = add_months_array(days, np.nan_to_num(months.to_numpy(dtype=float), nan=0).astype(np.int64))
    last = np.where(months.notna().to_numpy(), by_months - np.timedelta64(1, "D"), end.to_numpy(dtype="datetime64[D]"))
    last = np.where(np.isnat(last), days, last)
    return pd.Series(last.astype("datetime64[s]"), index=start.index)


class _Checks:
    """Column-wise versions of the row-by-row rules; a row passes when every one of them holds."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._text: dict[str, pd.Series] = {}
        self._lower: dict[str, pd.Series] = {}
        self._given: dict[str, pd.Series] = {}
        self._amount: pd.Series | None = None
        self._upper: dict[str, pd.Series] = {}
        self._slices: tuple[pd.Series, pd.DataFrame] | None = None
        self.dates = {name: self._date(name) for name in ("start_date", "end_date", "announced_on", "source_date")}

    def subset(self, rows: np.ndarray) -> _Checks:
        """The same checks over some rows, reusing what was computed."""
        part = _Checks.__new__(_Checks)
        part.frame = self.frame[rows]
        part._text = {k: v[rows] for k, v in self._text.items()}
        part._lower = {k: v[rows] for k, v in self._lower.items()}
        part._given = {k: v[rows] for k, v in self._given.items()}
        part._upper = {k: v[rows] for k, v in self._upper.items()}
        part._amount = None if self._amount is None else self._amount[rows]
        part._slices = None
        if self._slices is not None:
            ok, slices = self._slices
            kept = np.flatnonzero(rows)
            mine = slices[slices["row"].isin(kept)]
            part._slices = (ok[rows], mine.assign(row=np.searchsorted(kept, mine["row"].to_numpy())))
        part.dates = {k: v[rows] for k, v in self.dates.items()}
        return part

    def text(self, column: str) -> pd.Series:
        """The column's cells stripped ('' for a column the file does not have); computed once."""
        if column not in self._text:
            if column in self.frame.columns:
                self._text[column] = pd.Series(
                    [cell.strip() for cell in self.frame[column].tolist()], index=self.frame.index, dtype=object
                )
            else:
                self._text[column] = pd.Series("", index=self.frame.index, dtype=object)
        return self._text[column]

    def lower(self, column: str) -> pd.Series:
        if column not in self._lower:
            self._lower[column] = pd.Series(
                [cell.lower() for cell in self.text(column).tolist()], index=self.frame.index, dtype=object
            )
        return self._lower[column]

    def given(self, column: str) -> pd.Series:
        if column not in self._given:
            self._given[column] = self.text(column) != ""
        return self._given[column]

    def optional(self, column: str) -> pd.Series:
        text = self.text(column)
        return text.where(text != "", None)

    def matches(self, column: str, pattern: str) -> pd.Series:
        match = re.compile(pattern).fullmatch
        return pd.Series([match(cell) is not None for cell in self.text(column).tolist()], index=self.frame.index)

    def accepts(self, column: str, rule: TextRule) -> pd.Series:
        """The rows whose cell (as written) `rule` accepts; all of them when the file has no such column."""
        if column not in self.frame.columns:
            return pd.Series(True, index=self.frame.index)
        return pd.Series(rule.accepts(self.frame[column].tolist()), index=self.frame.index)

    def short(self, column: str, limit: int) -> pd.Series:
        return self.text(column).str.len() <= limit

    def one_of(self, column: str, values: Sequence[str], *, required: bool = False) -> pd.Series:
        inside = self.lower(column).isin(list(values))
        return inside if required else inside | ~self.given(column)

    def _date(self, column: str) -> pd.Series:
        text = self.text(column)
        well_formed = self.matches(column, _DATE)
        return pd.to_datetime(text.where(well_formed), format="%Y-%m-%d", errors="coerce")

    def valid_date(self, column: str, *, required: bool = False) -> pd.Series:
        ok = self.dates[column].notna()
        return ok if required else ok | ~self.given(column)

    def amount_minor(self) -> pd.Series:
        """Minor units of well-formed amounts, NA elsewhere (Python integers: no float ever holds one)."""
        if self._amount is None:
            self._amount = self._amount_minor()
        return self._amount

    def upper_currency(self) -> pd.Series:
        if "currency" not in self._upper:
            self._upper["currency"] = self.text("currency").str.upper()
        return self._upper["currency"]

    def _amount_minor(self) -> pd.Series:
        currencies = self.upper_currency().tolist()
        minor = [
            _minor(text, currency) for text, currency in zip(self.text("amount").tolist(), currencies, strict=True)
        ]
        return pd.Series(pd.array(minor, dtype="Int64"), index=self.frame.index)

    def slices(self) -> tuple[pd.Series, pd.DataFrame]:
        """Contract-year slices of the tranches and ramp rows: (which rows' slices are valid, the slices)."""
        if self._slices is None:
            self._slices = self._contract_slices()
        return self._slices

    def _contract_slices(self) -> tuple[pd.Series, pd.DataFrame]:
        profile = self.lower("profile")
        sliced = (profile == Profile.TRANCHES.value) | (profile == Profile.RAMP.value)
        ok = pd.Series(False, index=self.frame.index)
        rows = np.flatnonzero(sliced.to_numpy() & self.dates["start_date"].notna().to_numpy())
        empty = pd.DataFrame(columns=[*SLICE_COLUMNS, "row"])
        if not len(rows):
            return ok, empty
        start = self.dates["start_date"].to_numpy(dtype="datetime64[D]")[rows]
        months = pd.to_numeric(self.text("term_months").where(self.given("term_months")), errors="coerce")
        end = _last_days(self.dates["start_date"], months, self.dates["end_date"]).to_numpy(dtype="datetime64[D]")[rows]
        end = end + np.timedelta64(1, "D")
        years = (months_before(start, end) + 11) // 12
        amounts = self.amount_minor().to_numpy(dtype=object)[rows]
        parts = self._slice_amounts(rows, profile.to_numpy(dtype=object)[rows], years, amounts)
        good = np.array([p is not None for p in parts], dtype=bool)
        ok.iloc[rows[good]] = True
        keep = np.flatnonzero(good)
        counts = years[keep]
        owner = np.repeat(keep, counts)
        j = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        begin = add_months_array(start[owner], 12 * j)
        finish = np.minimum(add_months_array(start[owner], 12 * (j + 1)), end[owner]) - np.timedelta64(1, "D")
        flat = [slice_ for i in keep for slice_ in parts[i]]  # type: ignore[union-attr]
        slices = pd.DataFrame(
            {
                "agreement_id": self.text("agreement_id").to_numpy(dtype=object)[rows[owner]],
                "seq": j + 1,
                "start_date": begin.astype("datetime64[s]"),
                "end_date": finish.astype("datetime64[s]"),
                "amount_minor": [amount for amount, _ in flat],
                "weight": [weight for _, weight in flat],
                "row": rows[owner],
            },
            columns=[*SLICE_COLUMNS, "row"],
        )
        return ok, slices

    def _slice_amounts(
        self, rows: np.ndarray, profiles: np.ndarray, years: np.ndarray, totals: np.ndarray
    ) -> list[list[tuple[int, int | None]] | None]:
        """(amount, weight) per contract year of each row, or None where the row breaks a rule."""
        tranche_cells = self.text("tranche_amounts").to_numpy(dtype=object)[rows]
        weight_cells = self.text("ramp_weights").to_numpy(dtype=object)[rows]
        currencies = self.upper_currency().to_numpy(dtype=object)[rows]
        weight = re.compile(r"0|[1-9]\d{0,8}")
        out: list[list[tuple[int, int | None]] | None] = []
        for profile, n, total, tranches, weights, currency in zip(
            profiles, years.tolist(), totals, tranche_cells, weight_cells, currencies, strict=True
        ):
            if total is None or total is pd.NA:
                out.append(None)
            elif profile == Profile.RAMP.value:
                given = [w.strip() for w in weights.split(";") if w.strip()]
                if tranches or not all(weight.fullmatch(w) for w in given):
                    out.append(None)
                    continue
                chosen = [int(w) for w in given] if weights else linear_ramp_weights(n)
                ok = len(chosen) == n and sum(chosen) > 0
                out.append(list(zip(split_by_weights(int(total), chosen), chosen, strict=True)) if ok else None)
            else:
                values = [_minor(a.strip(), currency) for a in tranches.split(";") if a.strip()]
                ok = bool(tranches) and not weights and len(values) == n and None not in values
                out.append([(int(v), None) for v in values if v is not None] if ok and sum(values) == total else None)  # type: ignore[arg-type]
        return out

    def passed(self) -> np.ndarray:
        given = self.given
        amount = self.amount_minor()
        amount_ok = (amount.notna() & self.short("amount", MAX_DECIMAL_CHARS)) | ~given("amount")
        qualifier = self.lower("amount_qualifier")
        months_ok = self.matches("term_months", r"[1-9]\d{0,3}") & (
            pd.to_numeric(self.text("term_months").where(given("term_months")), errors="coerce") <= 1200
        )
        start, end = self.dates["start_date"], self.dates["end_date"]
        months = pd.to_numeric(self.text("term_months").where(months_ok), errors="coerce")
        last = _last_days(start.fillna(pd.Timestamp("2000-01-01")), months, end)
        consistent = ~(given("term_months") & given("end_date")) | (last == end)
        ends_in_range = ~given("term_months") | (last <= pd.Timestamp(LAST_DAY))
        paid_at_once = self.lower("kind").isin([k.value for k in KINDS_PAID_AT_ONCE])
        sliced = self.lower("profile").isin([Profile.TRANCHES.value, Profile.RAMP.value])
        checks = [
            self.matches("agreement_id", KEY_PATTERN),
            self.one_of("kind", [k.value for k in Kind], required=True),
            given("payer") & self.accepts("payer", NAME),
            given("payee") & self.accepts("payee", NAME),
            self.text("payer") != self.text("payee"),
            self.upper_currency().isin(list(MINOR_DIGITS)),
            amount_ok,
            self.one_of("amount_qualifier", [q.value for q in Qualifier]),
            ~given("amount") | (qualifier != Qualifier.UNDISCLOSED.value),
            given("amount") | (qualifier == Qualifier.UNDISCLOSED.value),  # a blank amount must say so
            self.valid_date("start_date", required=True),
            months_ok | ~given("term_months"),
            self.valid_date("end_date") & (end.isna() | (end >= start)),
            consistent,
            ends_in_range,
            given("term_months") | given("end_date") | paid_at_once,
            self.one_of("profile", [p.value for p in Profile]),
            ~(given("tranche_amounts") | given("ramp_weights")) | sliced,
            self.slices()[0] | ~sliced,
            self.one_of("basis", [b.value for b in Basis]),
            self.one_of("status", [s.value for s in Status]),
            self.one_of("confidence", [c.value for c in Confidence]),
            self.valid_date("announced_on"),
            self.valid_date("source_date"),
            given("relation_to") == given("relation_kind"),
            self.matches("relation_to", KEY_PATTERN) | ~given("relation_to"),
            self.one_of("relation_kind", [r.value for r in RelationKind]),
            self.text("relation_to") != self.text("agreement_id"),
            self.matches("source_url", r"https?://\S+") | ~given("source_url"),
            (self.matches("quantity", r"\d+(\.\d+)?") & self.short("quantity", MAX_DECIMAL_CHARS)) | ~given("quantity"),
            given("quantity") == given("unit"),
            *(self.accepts(column, rule) for column, rule in _TEXT_RULES.items()),
            *(~given(column) for column in _ROW_ONLY),
        ]
        passed = np.ones(len(self.frame), dtype=bool)
        for check in checks:
            passed &= check.to_numpy(dtype=bool)
        return passed
