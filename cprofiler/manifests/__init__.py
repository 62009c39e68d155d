"""Kubernetes resources from measurements: numbers in, manifests out.

Pure logic, no engine and no cluster, reading the typed results model. One module per concern;
this package re-exports nothing, so import from the module that owns a name:

* :mod:`~cprofiler.manifests.quantities`: exact arithmetic and canonical quantities (``96Mi``, ``250m``);
* :mod:`~cprofiler.manifests.names`: RFC 1123 names;
* :mod:`~cprofiler.manifests.options`: what the user chose (:class:`~cprofiler.manifests.options.K8sOptions`),
  the provenance (:class:`~cprofiler.manifests.options.Source`) and the rules' constants;
* :mod:`~cprofiler.manifests.basis`, :mod:`~cprofiler.manifests.rates`, :mod:`~cprofiler.manifests.probes`,
  :mod:`~cprofiler.manifests.security`, :mod:`~cprofiler.manifests.autoscale`: what each figure is sized from;
* :mod:`~cprofiler.manifests.recommend`: the rules, one function per figure; :mod:`~cprofiler.manifests.sizing`: their
  result (:class:`~cprofiler.manifests.sizing.Sizing`; the base-image choice is ``recommend.decide.Recommendation``);
* :mod:`~cprofiler.manifests.render`: every image of a measurement in one format, with its header;
* :mod:`~cprofiler.manifests.escape`: text quoted from a results file, made safe for a YAML comment;
* :mod:`~cprofiler.manifests.formats`: one module per ``--format``, behind the registry in
  :mod:`cprofiler.manifests.formats.registry`.
"""
