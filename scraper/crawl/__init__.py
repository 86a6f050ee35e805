"""Crawl sites end to end: discover, plan the sources, lease the site, run records into the archive.

The package imports nothing itself: a crawl's head start (head_start.py) must come before the
archive's modules, and with them SQLAlchemy, are imported."""
