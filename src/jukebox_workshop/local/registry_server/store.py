"""Registry storage on SQLite with SQLAlchemy Core: every write is one IMMEDIATE transaction.

Entities come in and go out as dicts keyed by their JSON field names; the columns that need
indexes or constraints (name, externalId, state, parent) are real columns, the rest is JSON.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    ColumnElement,
    Connection,
    Row,
    Table,
    create_engine,
    event,
    insert,
    select,
    tuple_,
)
from sqlalchemy import update as sql_update
from sqlalchemy.exc import DBAPIError, IntegrityError

from jukebox_workshop.errors import JukeboxError
from jukebox_workshop.local.registry_server.errors import BadRequest, Conflict, NotFound
from jukebox_workshop.local.registry_server.filtering import property_value
from jukebox_workshop.local.registry_server.paging import Cursor, Page
from jukebox_workshop.local.registry_server.tables import (
    artifacts,
    context_ids,
    metadata,
    model_versions,
    registered_models,
)

BUSY_TIMEOUT_SECONDS = 10
SCHEMA_VERSION = 1
# Fields stored in their own columns; every other field goes to the `attributes` JSON.
COLUMN_FIELDS = {"name": "name", "externalId": "external_id", "state": "state"}


@dataclass(frozen=True)
class Kind:
    table: Table
    label: str
    default_state: str
    parent: Kind | None = None
    parent_column: str | None = None


REGISTERED_MODEL = Kind(registered_models, "registered model", "LIVE")
MODEL_VERSION = Kind(
    model_versions, "model version", "LIVE", REGISTERED_MODEL, "registered_model_id"
)
ARTIFACT = Kind(artifacts, "artifact", "UNKNOWN", MODEL_VERSION, "model_version_id")


class DatabaseOpenError(JukeboxError, RuntimeError):
    """The database file cannot be opened or is not a registry database."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit one is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # With WAL, NORMAL survives a killed process; only an OS crash could lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.create_function("registry_value", 4, property_value, deterministic=True)


def _begin(conn: Connection) -> None:
    # Writers take the write lock up front: a deferred transaction that reads and then writes
    # can fail with "database is locked" at once instead of waiting for the busy timeout.
    immediate = conn.get_execution_options().get("immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    def __init__(self, path: Path) -> None:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(
                URL.create("sqlite", database=str(path)),
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
            )
            event.listen(self.engine, "connect", _configure_connection)
            event.listen(self.engine, "begin", _begin)
            metadata.create_all(self.engine)
            self._check_schema_version(path)
        except (OSError, DBAPIError) as exc:
            detail = exc.orig if isinstance(exc, DBAPIError) else exc
            raise DatabaseOpenError(f"cannot open registry database {path}: {detail}") from None
        self._writer = self.engine.execution_options(immediate=True)

    def _check_schema_version(self, path: Path) -> None:
        # user_version marks the table layout, so a later layout can migrate or refuse old files.
        with self.engine.begin() as conn:
            version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
            if version == 0:
                conn.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                raise DatabaseOpenError(
                    f"registry database {path} has schema version {version}; "
                    f"this server reads version {SCHEMA_VERSION}"
                )

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    # Reads

    def get(self, kind: Kind, entity_id: int, artifact_type: str | None = None) -> Row:
        with self._read() as conn:
            return self._get(conn, kind, entity_id, artifact_type)

    def find(
        self,
        kind: Kind,
        *,
        name: str | None = None,
        external_id: str | None = None,
        parent_id: int | None = None,
        artifact_type: str | None = None,
    ) -> Row:
        """The one entity with this externalId, or this name (in this parent, below models)."""
        if external_id is None and (name is None or (kind.parent and parent_id is None)):
            wanted = "(name and parentResourceId)" if kind.parent else "name"
            raise BadRequest(f"invalid parameters call, supply either {wanted}, or externalId")
        table = kind.table
        conditions = self._filters(kind, name, external_id, parent_id, artifact_type)
        with self._read() as conn:
            rows = conn.execute(select(table).where(*conditions).limit(2)).all()
        label = _type_label(kind, artifact_type)
        criteria = ", ".join(
            f"{field}={value}"
            for field, value in (
                ("name", name),
                ("parentResourceId", parent_id),
                ("externalId", external_id),
            )
            if value is not None
        )
        if not rows:
            raise NotFound(f"no {label}s found for {criteria}")
        if len(rows) > 1:
            raise NotFound(f"multiple {label}s found for {criteria}")
        return rows[0]

    def list(
        self,
        kind: Kind,
        page: Page,
        *,
        parent_id: int | None = None,
        name: str | None = None,
        external_id: str | None = None,
        artifact_type: str | None = None,
        where: ColumnElement[bool] | None = None,
    ) -> tuple[list[Row], str]:
        """One page of entities and the token of the next page ("" after the last one).

        As upstream, `name` and `externalId` narrow the list (name wins when both are given),
        and a parent that does not exist has no children: an empty list, not a 404.
        """
        table = kind.table
        sort_column = {
            "ID": table.c.id,
            "CREATE_TIME": table.c.create_time,
            "LAST_UPDATE_TIME": table.c.update_time,
        }[page.order_by]
        key = tuple_(sort_column, table.c.id)
        if name is not None:
            external_id = None
        statement = select(table).where(
            *self._filters(kind, name, external_id, parent_id, artifact_type)
        )
        if where is not None:
            statement = statement.where(where)
        if page.after is not None:
            after = tuple_(page.after.value, page.after.id)
            statement = statement.where(key > after if page.ascending else key < after)
        order = (
            [sort_column, table.c.id] if page.ascending else [sort_column.desc(), table.c.id.desc()]
        )
        statement = statement.order_by(*order)
        if page.size is not None:
            statement = statement.limit(page.size + 1)
        with self._read() as conn:
            rows = conn.execute(statement).all()
        if page.size is None or len(rows) <= page.size:
            return list(rows), ""
        last = rows[page.size - 1]
        sort_value = {"ID": last.id, "CREATE_TIME": last.create_time}.get(
            page.order_by, last.update_time
        )
        return list(rows[: page.size]), page.token_after(Cursor(sort_value, last.id))

    def snapshot(self) -> tuple[list[Row], list[Row], list[Row]]:
        """Every registered model (by name), version (newest first) and version artifact."""
        with self._read() as conn:
            models = conn.execute(
                select(registered_models).order_by(registered_models.c.name)
            ).all()
            versions = conn.execute(
                select(model_versions).order_by(model_versions.c.id.desc())
            ).all()
            linked = conn.execute(
                select(artifacts)
                .where(artifacts.c.model_version_id.is_not(None))
                .order_by(artifacts.c.id)
            ).all()
        return list(models), list(versions), list(linked)

    # Writes

    def create(
        self,
        kind: Kind,
        fields: dict[str, Any],
        *,
        parent_id: int | None = None,
        artifact_type: str | None = None,
    ) -> Row:
        with self._write() as conn:
            if parent_id is not None:
                assert kind.parent is not None
                self._get(conn, kind.parent, parent_id)
            return self._insert(conn, kind, fields, parent_id, artifact_type)

    def update(
        self, kind: Kind, entity_id: int, changes: dict[str, Any], artifact_type: str | None = None
    ) -> Row:
        with self._write() as conn:
            row = self._get(conn, kind, entity_id, artifact_type)
            return self._update(conn, kind, row, changes)

    def upsert_version_artifact(
        self, version_id: int, artifact_id: int | None, fields: dict[str, Any], artifact_type: str
    ) -> tuple[Row, bool]:
        """Create an artifact in a version, or attach an existing one; True if it was created."""
        with self._write() as conn:
            self._get(conn, MODEL_VERSION, version_id)
            if artifact_id is None:
                return self._insert(conn, ARTIFACT, fields, version_id, artifact_type), True
            row = self._get(conn, ARTIFACT, artifact_id)
            if row.artifact_type != artifact_type:
                raise BadRequest(
                    f"artifact {artifact_id} is a {row.artifact_type}, not a {artifact_type}"
                )
            if row.model_version_id not in (None, version_id):
                raise Conflict(
                    f"artifact {artifact_id} belongs to model version {row.model_version_id}"
                )
            return self._update(
                conn, ARTIFACT, row, fields, {"model_version_id": version_id}
            ), False

    # Helpers (inside a transaction)

    def _filters(
        self,
        kind: Kind,
        name: str | None,
        external_id: str | None,
        parent_id: int | None,
        artifact_type: str | None,
    ) -> list[Any]:
        table = kind.table
        conditions = []
        if name is not None:
            conditions.append(table.c.name == name)
        if external_id is not None:
            conditions.append(table.c.external_id == external_id)
        if parent_id is not None and kind.parent_column:
            conditions.append(table.c[kind.parent_column] == parent_id)
        if artifact_type is not None:
            conditions.append(table.c.artifact_type == artifact_type)
        return conditions

    def _get(
        self, conn: Connection, kind: Kind, entity_id: int, artifact_type: str | None = None
    ) -> Row:
        row = conn.execute(select(kind.table).where(kind.table.c.id == entity_id)).first()
        if row is None or (artifact_type is not None and row.artifact_type != artifact_type):
            raise NotFound(f"{_type_label(kind, artifact_type)} {entity_id} not found")
        return row

    def _insert(
        self,
        conn: Connection,
        kind: Kind,
        fields: dict[str, Any],
        parent_id: int | None,
        artifact_type: str | None,
    ) -> Row:
        now = now_ms()
        values: dict[str, Any] = {
            "name": fields.get("name") or str(uuid.uuid4()),  # artifact names are optional
            "external_id": fields.get("externalId"),
            "state": fields.get("state") or kind.default_state,
            "custom_properties": fields.get("customProperties") or {},
            "attributes": {
                key: value
                for key, value in fields.items()
                if key not in COLUMN_FIELDS and key != "customProperties" and value is not None
            },
            "create_time": now,
            "update_time": now,
        }
        if kind.parent_column:
            values[kind.parent_column] = parent_id
        if kind is ARTIFACT:
            values["artifact_type"] = artifact_type
        else:
            values["id"] = conn.execute(insert(context_ids)).inserted_primary_key[0]
        try:
            new_id = conn.execute(insert(kind.table).values(values)).inserted_primary_key[0]
        except IntegrityError as exc:
            raise Conflict(_conflict_message(kind, values, parent_id, exc)) from None
        return self._get(conn, kind, new_id)

    def _update(
        self,
        conn: Connection,
        kind: Kind,
        row: Row,
        changes: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> Row:
        values: dict[str, Any] = {"update_time": max(now_ms(), row.create_time), **(extra or {})}
        attributes = dict(row.attributes)
        for key, value in changes.items():
            if key == "customProperties":
                values["custom_properties"] = value  # replaces the whole map
            elif key == "name":
                continue  # names cannot change once set
            elif key in COLUMN_FIELDS:
                values[COLUMN_FIELDS[key]] = value
            else:
                attributes[key] = value
        values["attributes"] = attributes
        try:
            conn.execute(sql_update(kind.table).where(kind.table.c.id == row.id).values(values))
        except IntegrityError as exc:
            raise Conflict(
                _conflict_message(kind, {**row._asdict(), **values}, None, exc)
            ) from None
        return self._get(conn, kind, row.id)


def _type_label(kind: Kind, artifact_type: str | None) -> str:
    return "model artifact" if artifact_type == "model-artifact" else kind.label


def _conflict_message(
    kind: Kind, values: dict[str, Any], parent_id: int | None, exc: IntegrityError
) -> str:
    if "external_id" in str(exc.orig):
        return f"a {kind.label} with externalId {values['external_id']!r} already exists"
    scope = ""
    if kind.parent is not None and parent_id is not None:
        scope = f" in {kind.parent.label} {parent_id}"
    return f"a {kind.label} named {values['name']!r} already exists{scope}"
