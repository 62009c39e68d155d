"""The command line's choices, copied in ``cli_choices`` so that ``--help`` imports no plug-in,
are the names (and help lines) of the registries that hold the plug-ins."""

from __future__ import annotations

from cprofiler import cli_choices, compare, report
from cprofiler.manifests.formats.registry import FORMATS as K8S_FORMATS
from cprofiler.manifests.formats.registry import formats_help
from cprofiler.manifests.summary.registry import SUMMARIES
from cprofiler.recommend.criteria import CRITERIA


def test_the_format_names_are_the_registered_formats():
    assert list(cli_choices.REPORT_FORMATS) == report.names()
    assert list(cli_choices.COMPARE_FORMATS) == compare.names()


def test_the_kubernetes_formats_and_their_help_are_the_registered_ones():
    assert {name: f.summary for name, f in K8S_FORMATS.items()} == cli_choices.K8S_FORMATS
    assert list(cli_choices.K8S_FORMATS) == K8S_FORMATS.names()  # the help's order
    assert cli_choices.k8s_formats_help() == formats_help()


def test_the_summaries_and_criteria_are_the_registered_ones():
    assert list(cli_choices.K8S_SUMMARIES) == SUMMARIES.names()
    assert list(cli_choices.CRITERIA) == CRITERIA.names()
