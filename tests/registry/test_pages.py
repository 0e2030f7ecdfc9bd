"""The HTML overview at `/`."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
from model_registry import ModelRegistry

API = "/api/model_registry/v1alpha3"


class Tables(HTMLParser):
    """Collects each table's caption and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th") and self.tables:
            self.tables[-1][1][-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.tables[-1][0].append(data)
        elif self.tables and self.tables[-1][1] and self.tables[-1][1][-1]:
            self.tables[-1][1][-1][-1] += data

    def first_version_of(self, model: str) -> list[str]:
        """The cells of the first version (its three rows under the header) in the model's table."""
        tables = [
            rows
            for caption, rows in self.tables
            if "".join(caption).strip() == f"Versions of {model}"
        ]
        assert len(tables) == 1
        return [" ".join(cell.split()) for row in tables[0][1:4] for cell in row]


def test_page_shows_models_versions_metrics_and_uris(
    client: ModelRegistry, http: httpx.Client, unique: str
) -> None:
    client.register_model(
        unique,
        f"s3://models/{unique}/1",
        version="1.0.0",
        model_format_name="onnx",
        model_format_version="1",
        storage_key="models",
        storage_path=f"{unique}/1",
        metadata={"accuracy": 0.981234, "epochs": 12, "framework": "keras"},
    )
    page = Tables()
    page.feed(http.get("/").text)
    cells = page.first_version_of(unique)
    version, state, model_format, storage, location, properties = cells
    assert version.startswith("1.0.0") and state == "LIVE"
    assert "onnx 1" in model_format
    assert "models" in storage and f"{unique}/1" in storage
    assert f"s3://models/{unique}/1" in location
    assert "accuracy0.9812" in properties.replace(" ", "")
    assert "epochs12" in properties.replace(" ", "")


def test_page_escapes_user_data(http: httpx.Client, unique: str) -> None:
    evil = f'<script>alert("{unique}")</script>'
    model = http.post(
        f"{API}/registered_models", json={"name": evil, "description": "<b>bold</b>"}
    ).json()
    properties = {
        "<img src=x onerror=alert(1)>": {
            "metadataType": "MetadataStringValue",
            "string_value": "<i>x</i>",
        }
    }
    version = {"name": "<v1>", "registeredModelId": model["id"], "customProperties": properties}
    assert http.post(f"{API}/model_versions", json=version).status_code == 201

    html = http.get("/").text
    assert (
        "<script>alert" not in html
        and "<b>bold" not in html
        and "<img" not in html
        and "<i>x" not in html
    )
    assert "&lt;script&gt;alert(&#34;" in html and "&lt;v1&gt;" in html
    page = Tables()
    page.feed(html)
    assert "<v1>" in page.first_version_of(evil)[0]
