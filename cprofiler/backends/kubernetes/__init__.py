"""``--backend kubernetes``: every run a Pod on a real cluster. ``cluster.py`` is the only module
that imports the ``kubernetes`` client (an optional extra: ``cprofiler[kubernetes]``)."""
