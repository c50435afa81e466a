"""The Typesense fixtures (ts_cluster, ts_backend, seed_articles, backend) live in tests/conftest.py.

Every test that starts the cluster is in this folder, which pytest runs after the others (see there).
"""
