"""Article files to clean records: finding and reading files, decoding, web pages, extraction, dates, sources, cities."""
