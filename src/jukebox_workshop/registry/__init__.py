"""A local Kubeflow Model Registry server (REST API v1alpha3 and v1) on SQLite.

Run it with `python -m jukebox_workshop.registry --database PATH`; the workshop notebooks
talk to it with the real `model_registry` client.
"""

from .app import create_app

__all__ = ["create_app"]
