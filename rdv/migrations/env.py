"""Alembic environment: runs on the connection rdv.db hands over; every package's tables share one metadata."""

from alembic import context

import rdv.models  # noqa: F401  (registers every table)
from config.orm import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through rdv.db.upgrade(), which passes the connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
