"""Storage: tables (SQLAlchemy Core), queries per aggregate, and Alembic migrations."""
