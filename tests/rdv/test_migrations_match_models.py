"""The migrations build exactly the tables the models declare, on both backends.

Each package adds its own Alembic branch; a column added to a model without its migration (or the reverse)
would only show on a deployed database. Types are compared too, so that a String(40) model column is not a
String(20) one in production.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

import rdv.models


def test_a_migrated_database_has_every_table_and_column_of_the_models_and_nothing_else(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, rdv.models.metadata)
    assert differences == []
