"""The domain: catalogue, configuration, pricing and orders as plain Python (no HTTP, no SQL)."""
