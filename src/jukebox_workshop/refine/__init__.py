"""Notebook 7's plumbing: the search space, the promotion rule, the MLflow connection."""
