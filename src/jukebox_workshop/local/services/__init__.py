"""One description per service of the local platform: S3, the registry, MLflow, the model server."""
