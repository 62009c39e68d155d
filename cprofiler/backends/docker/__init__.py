"""``--backend docker`` (the default): every run a container on the local engine."""
