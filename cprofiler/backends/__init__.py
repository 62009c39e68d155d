"""The measuring backends: where a run's container starts (``docker``, ``kubernetes``)."""
