"""Offline stand-in bases: images built from a Debian mirror where no container registry is reached.

A scenario may name a real base (``python:3.12-alpine``) with a stand-in beside it; when the real
one cannot be pulled, cprofiler builds the stand-in from a recipe here and marks every result that
used it. Each recipe is a class in ``recipes/<name>/recipe.py`` beside the files it builds from;
its image is tagged ``cprofiler-base/<name>:<hash>``, the hash covering the recipe's files, the
mirror and the recipes it builds FROM, so it is built once per machine and reused.

- ``registry``: what a recipe is and what its build gets; the registry of recipes.
- ``catalog``: the shipped recipes, registered (``recipes/debian_python``, ``musl_python``, ``go_builder``).
- ``inputs``: a recipe's inputs hash and its stand-in's tag.
- ``build``: recipes bound to an engine and a mirror; the build, parents first, side by side, locked.
- ``dockerfile``: recipes that are a Dockerfile; ``probing``: what a built stand-in holds.
- ``hostfs``: a debootstrap tree on the host; ``mirror``: the Debian mirror; ``checks``: what the machine needs.
"""
