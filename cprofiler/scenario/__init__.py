"""The scenario file: its typed model and its hardened YAML loader."""
