"""wparchive's scraper: discovers a WordPress site, fetches it through the best open source, parses it."""
