"""Path and query parameters of the endpoints: ids, list options and their dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import ColumnElement

from jukebox_workshop.local.registry_server import filtering
from jukebox_workshop.local.registry_server.errors import BadRequest
from jukebox_workshop.local.registry_server.paging import Page
from jukebox_workshop.local.registry_server.schemas import ARTIFACT_TYPES, INT32, INTEGER
from jukebox_workshop.local.registry_server.store import Kind, Store


def parse_id(value: str, what: str) -> int:
    """An entity id: a 32-bit integer, as upstream (which answers 404 for 0 or -1)."""
    if not INTEGER.fullmatch(value) or not INT32[0] <= int(value) <= INT32[1]:
        raise BadRequest(f"invalid {what} id {value!r}: ids are 32-bit integers")
    return int(value)


def optional_id(value: str | None, what: str) -> int | None:
    return None if value is None or value == "" else parse_id(value, what)


@dataclass(frozen=True)
class Listing:
    """The options of a list request: its page and its parsed filterQuery."""

    page: Page
    expression: filtering.Expression | None

    def where(self, kind: Kind, entity: str) -> ColumnElement[bool] | None:
        if self.expression is None:
            return None
        return filtering.condition(self.expression, kind.table, entity)


def listing(
    page_size: Annotated[str | None, Query(alias="pageSize")] = None,
    order_by: Annotated[str | None, Query(alias="orderBy")] = None,
    sort_order: Annotated[str | None, Query(alias="sortOrder")] = None,
    next_page_token: Annotated[str | None, Query(alias="nextPageToken")] = None,
    filter_query: Annotated[str | None, Query(alias="filterQuery")] = None,
) -> Listing:
    page = Page.from_query(page_size, order_by, sort_order, next_page_token)
    return Listing(page, filtering.parse(filter_query or ""))


def artifact_type_filter(
    artifact_type: Annotated[str | None, Query(alias="artifactType")] = None,
) -> str | None:
    if artifact_type and artifact_type not in ARTIFACT_TYPES:
        raise BadRequest(
            f"invalid artifactType {artifact_type!r}: one of {', '.join(ARTIFACT_TYPES)}"
        )
    return artifact_type or None


def get_store(request: Request) -> Store:
    return request.app.state.store


Lists = Annotated[Listing, Depends(listing)]
StoreDep = Annotated[Store, Depends(get_store)]
Name = Annotated[str | None, Query()]
ExternalId = Annotated[str | None, Query(alias="externalId")]
ParentId = Annotated[str | None, Query(alias="parentResourceId")]
ArtifactTypeFilter = Annotated[str | None, Depends(artifact_type_filter)]
