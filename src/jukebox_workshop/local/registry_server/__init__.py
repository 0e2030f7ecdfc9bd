"""A local Kubeflow Model Registry server (REST API v1alpha3 and v1) on SQLite.

Run it with `python -m jukebox_workshop.local.registry_server --database PATH`; the workshop notebooks
talk to it with the real `model_registry` client.
"""

from jukebox_workshop.local.registry_server.app import create_app

__all__ = ["create_app"]
