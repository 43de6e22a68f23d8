"""Where the bundled specs live: inside the wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def specs_dir() -> Path:
    packaged = _PACKAGE / "_data" / "specs"
    return packaged if packaged.is_dir() else _PACKAGE.parent / "specs"


def schemathesis_config() -> Path:
    """The schemathesis settings the mock is fuzzed with (see ``mockserver schemathesis-config``)."""
    packaged = _PACKAGE / "_data" / "schemathesis.toml"
    return packaged if packaged.is_file() else _PACKAGE.parent / "schemathesis.toml"


def fixtures_dir() -> Path:
    packaged = _PACKAGE / "_data" / "fixtures"
    return packaged if packaged.is_dir() else _PACKAGE.parent / "fixtures"
