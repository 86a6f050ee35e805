"""wparchive's archive: schema, storage, crawl state and exports; knows nothing of HTTP or HTML."""
