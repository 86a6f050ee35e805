"""Exports of the archive: the format registry (formats.py) and the dataset writer (dataset.py).

Empty on purpose: `wparchive --help` reads the registry without loading SQLAlchemy or a writer."""
