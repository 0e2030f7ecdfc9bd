"""The SQLite schema: one table per entity, typed fields that vary by entity kept as JSON.

Registered models and model versions take their ids from one shared sequence (`context_ids`),
as in the real registry; artifacts have their own. AUTOINCREMENT keeps ids growing across
restarts. The UNIQUE constraints, not application checks, decide who wins concurrent creates.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
)

metadata = MetaData()


def _common_columns() -> list[Column]:
    return [
        Column("name", String, nullable=False),
        Column("external_id", String, unique=True),
        Column("state", String, nullable=False),
        Column("custom_properties", JSON, nullable=False),
        # Every other field of the entity's schema, keyed by its JSON name.
        Column("attributes", JSON, nullable=False),
        Column("create_time", BigInteger, nullable=False),
        Column("update_time", BigInteger, nullable=False),
    ]


context_ids = Table(
    "context_ids",
    metadata,
    Column("id", Integer, primary_key=True),
    sqlite_autoincrement=True,
)

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    *_common_columns(),
    UniqueConstraint("name", name="uq_registered_model_name"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("registered_model_id", Integer, ForeignKey("registered_models.id"), nullable=False),
    *_common_columns(),
    UniqueConstraint("registered_model_id", "name", name="uq_model_version_name"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("artifact_type", String, nullable=False),
    Column("model_version_id", Integer, ForeignKey("model_versions.id"), index=True),
    *_common_columns(),
    sqlite_autoincrement=True,
)

# Artifact names are unique within their model version (standalone artifacts share scope 0).
Index(
    "uq_artifact_name",
    func.coalesce(artifacts.c.model_version_id, 0),
    artifacts.c.name,
    unique=True,
)
