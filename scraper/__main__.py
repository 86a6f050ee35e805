"""`python -m scraper` runs the wparchive command."""

from scraper.cli import app

app(prog_name="wparchive")
