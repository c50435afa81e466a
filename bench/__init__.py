"""Benchmark of the search service against SQLite FTS5 on a Reuters-21578 derived corpus."""
