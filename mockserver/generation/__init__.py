"""Deterministic generation of schema-valid values."""
