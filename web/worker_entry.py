"""Imported by each worker process (`compound worker`): installs the modules there as the
app does in its own process, so their triage handlers and undo record kinds are known."""

from __future__ import annotations

from compound.platform.config import get_settings
from compound.web.modules import install_modules

install_modules(get_settings())
