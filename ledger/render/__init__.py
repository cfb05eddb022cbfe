"""Renderers of results: tables, CSV, JSON, Graphviz, pictures, the FOCUS commitment export, and output
files written whole or not at all. Data flows files -> ledger.io (readers) -> services -> ledger.render."""
