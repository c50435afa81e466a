"""search_app: full-text search over news articles about the cities of Shanxi."""

__version__ = "0.1.0"
