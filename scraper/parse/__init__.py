"""Parsers: take content (HTML, JSON), never URLs to fetch; never raise on malformed input."""
