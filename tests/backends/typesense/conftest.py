"""The Typesense fixtures (ts_cluster, ts_backend, seed_articles, backend) live in tests/conftest.py.

Every test that starts the cluster runs after the others (tests/conftest.py says why).
"""
