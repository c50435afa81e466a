"""The embedded engine: a Whoosh index in generations, flat posting files, exact BM25F ranking."""
