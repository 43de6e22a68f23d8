"""Vendor profiles, discovered from the modules of this package.

Adding a vendor means adding its spec file under ``specs/`` and one module here that defines a
``Profile`` subclass; nothing else changes.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from mockserver.profiles.base import Call, Profile, Reply, handles

__all__ = ["Call", "Profile", "Reply", "handles", "discover_profiles", "world_schemas"]


def discover_profiles() -> dict[str, type[Profile]]:
    """Every profile class in this package, by vendor name, in name order."""
    found: dict[str, type[Profile]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_") or module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Profile) and cls is not Profile and cls.__module__ == module.__name__ and cls.name:
                found[cls.name] = cls
    return dict(sorted(found.items()))


def world_schemas() -> dict[str, dict[str, Any] | None]:
    """Each vendor's schema of its declared world (None: it takes none), for world.check_world."""
    return {name: cls.world_schema for name, cls in discover_profiles().items()}
