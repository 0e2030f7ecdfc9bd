"""What a cluster runs or applies: the pipeline and its steps, the Katib trial, the manifests."""
