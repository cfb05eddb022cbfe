"""The use cases. Each runs in one unit of work: it commits once at the end, or writes nothing.

The CLI and the Python API (`ledger.open`) are two doors to these functions.
"""

from ledger.db.uow import UnitOfWorkFactory
from ledger.services.importing import (
    ImportSummary,
    fingerprint,
    founding_example_keys,
    import_files,
    init_schema,
    refresh_derived,
    seed,
    seed_dir,
    seed_files,
)
from ledger.services.reconciliation import (
    ConsolidatedRequest,
    adjustments,
    consolidated_schedule,
    findings_frame,
    reconcile,
)
from ledger.services.schedules import FiscalChoice, ScheduleRequest, agreement_records, agreements, schedule

__all__ = [
    "ConsolidatedRequest",
    "FiscalChoice",
    "ImportSummary",
    "ScheduleRequest",
    "UnitOfWorkFactory",
    "adjustments",
    "agreement_records",
    "agreements",
    "consolidated_schedule",
    "findings_frame",
    "fingerprint",
    "founding_example_keys",
    "import_files",
    "init_schema",
    "reconcile",
    "refresh_derived",
    "schedule",
    "seed",
    "seed_dir",
    "seed_files",
]
