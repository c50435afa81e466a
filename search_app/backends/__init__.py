"""Search backends other than the embedded Whoosh index (Typesense), and helpers to run them locally."""
