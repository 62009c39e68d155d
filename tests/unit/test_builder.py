from __future__ import annotations

from cprofiler.images.build import base_images, image_inputs_hash


def test_base_images_substitutes_args_and_skips_stages_and_scratch():
    text = """\
ARG BASE=python:3.12-alpine
ARG GO=golang:1.22
FROM ${GO} AS build
RUN go build
FROM $BASE
FROM build AS again
FROM --platform=linux/amd64 scratch
COPY --from=build /app /app
"""
    assert base_images(text, {}) == ["golang:1.22", "python:3.12-alpine"]
    assert base_images(text, {"BASE": "musl-python:local"}) == ["golang:1.22", "musl-python:local"]


def test_inputs_hash_changes_with_any_input(tmp_path):
    (tmp_path / "app.py").write_text("print(1)\n")
    h = image_inputs_hash("FROM x\n", {"A": "1"}, tmp_path)
    assert h == image_inputs_hash("FROM x\n", {"A": "1"}, tmp_path)
    assert h != image_inputs_hash("FROM y\n", {"A": "1"}, tmp_path)
    assert h != image_inputs_hash("FROM x\n", {"A": "2"}, tmp_path)
    (tmp_path / "app.py").write_text("print(2)\n")
    assert h != image_inputs_hash("FROM x\n", {"A": "1"}, tmp_path)
