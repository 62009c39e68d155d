"""Charts of a results file (``cprofiler plot``) and the one-file HTML report.

One chart per module under ``charts/``, each registered in :data:`~cprofiler.plot.registry.CHARTS`;
``render`` checks that matplotlib (the ``plot`` extra) is there, draws and writes them; ``html``
puts the table, the charts and the notes into one self-contained page.
"""
