"""Pieces of the HTTP layer shared by every part of the service (middleware, templates, errors)."""
