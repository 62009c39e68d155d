"""Kubernetes resources from measurements: numbers in, manifests out.

Pure logic, no engine and no cluster, reading the typed results model. One module per concern;
this package re-exports nothing, so import from the module that owns a name:

* :mod:`~cprofiler.k8s.quantities`: exact arithmetic and canonical quantities (``96Mi``, ``250m``);
* :mod:`~cprofiler.k8s.names`: RFC 1123 names;
* :mod:`~cprofiler.k8s.options`: what the user chose (:class:`~cprofiler.k8s.options.K8sOptions`),
  the provenance (:class:`~cprofiler.k8s.options.Source`) and the rules' constants;
* :mod:`~cprofiler.k8s.basis`, :mod:`~cprofiler.k8s.rates`, :mod:`~cprofiler.k8s.probes`,
  :mod:`~cprofiler.k8s.security`, :mod:`~cprofiler.k8s.autoscale`: what each figure is sized from;
* :mod:`~cprofiler.k8s.recommend`: the rules; :mod:`~cprofiler.k8s.recommendation`: their result;
* :mod:`~cprofiler.k8s.render`: every image of a measurement in one format, with its header;
* :mod:`~cprofiler.k8s.escape`: text quoted from a results file, made safe for a YAML comment;
* :mod:`~cprofiler.k8s.formats`: one module per ``--format``, behind the registry in
  :mod:`cprofiler.k8s.formats.registry`.
"""
