"""KServe's CRD schemas (tests/schemas/, vendored from kserve/kserve v0.20.0) as validators."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

SCHEMAS = Path(__file__).parents[1] / "schemas"


def _closed(node: object) -> None:
    if isinstance(node, dict):
        if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _closed(value)
    elif isinstance(node, list):
        for value in node:
            _closed(value)


def validator(name: str) -> jsonschema.Draft7Validator:
    """The openAPIV3Schema of `inferenceservice-v1beta1` or `servingruntime-v1alpha1`, strict:
    Kubernetes prunes a field the CRD does not declare (a misspelt one is silently lost), so
    here it is an error."""
    schema = json.loads((SCHEMAS / f"kserve-v0.20.0-{name}.json").read_text())
    _closed(schema)
    return jsonschema.Draft7Validator(schema)
