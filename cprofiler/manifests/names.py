"""Kubernetes object names: RFC 1123 labels and subdomains, and making one from an image name."""

from __future__ import annotations

import re

from cprofiler.errors import CprofilerError

_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def is_dns_label(name: str) -> bool:
    """True when ``name`` is an RFC 1123 label (container names, label values, Service names)."""
    return bool(_DNS_LABEL_RE.match(name))


def is_dns_subdomain(name: str) -> bool:
    """True when ``name`` is an RFC 1123 subdomain (Deployment names)."""
    return len(name) <= 253 and bool(_DNS_SUBDOMAIN_RE.match(name))


def dns_label(name: str) -> str:
    """``name`` made an RFC 1123 label: lowercase, runs of other characters as ``-``, 63 at most.

    ``Go_Server.v2`` → ``go-server-v2``. Raise CprofilerError when nothing usable is left.
    """
    label = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].rstrip("-")
    if not label:
        raise CprofilerError(f"image name {name!r} has no letter or digit to make a Kubernetes name from")
    return label
