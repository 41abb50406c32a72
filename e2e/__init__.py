"""Browser tests (Playwright with Debian's chromium) and the servers they run against."""
