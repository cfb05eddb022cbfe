"""Readers of input files: agreement CSV and YAML, billing files, the decimal kernel and the input limits.

Data flows files -> ledger.io (readers) -> services -> ledger.render (renderers)."""
