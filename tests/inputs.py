"""Input files the tests build, shared by the unit and end-to-end tests of hostile input."""

from __future__ import annotations

# A database that knew Amazon Web Services before the seeds gave it the alias AWS (as an older seed did).
OLD_PARTIES = """parties:
  - name: Amazon
    kind: cloud
  - name: Amazon Web Services
    kind: cloud
    parent: Amazon
"""
# A FOCUS billing file whose provider is AWS: OpenAI's usage in March and April 2026, and a tax line.
AWS_FOCUS = """BillingAccountName,BillingCurrency,ChargeCategory,ChargeDescription,ChargePeriodStart,ChargePeriodEnd,EffectiveCost,ProviderName,ServiceName
OpenAI,USD,Usage,EC2 UltraServers,2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,1500000.25,AWS,Amazon Elastic Compute Cloud
OpenAI,USD,Usage,EC2 UltraServers,2026-04-01T00:00:00Z,2026-04-02T00:00:00Z,2500000.50,AWS,Amazon Elastic Compute Cloud
OpenAI,USD,Tax,Sales tax,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,100.00,AWS,Amazon Elastic Compute Cloud
"""


def agreement_yaml(extra: str = "", **fields: str | None) -> str:
    """A YAML file of one good agreement; `fields` replace (None: drop) its keys, `extra` is appended."""
    values: dict[str, str | None] = {
        "agreement_id": "A", "kind": "cloud_commitment", "payer": "OpenAI", "payee": "AWS", "amount": "'1.00'",
        "currency": "USD", "start_date": "2026-01-01", "term_months": "12",
    }  # fmt: skip
    values.update(fields)
    body = "".join(f"  {k}: {v}\n" for k, v in values.items() if v is not None)
    return "agreements:\n- " + body[2:] + extra
