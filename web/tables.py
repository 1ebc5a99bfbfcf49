"""Imports every SQLModel table module so the metadata is complete (for Alembic and tests)."""

from __future__ import annotations

from compound.agents.inbox import models as inbox_models
from compound.agents.runtime import models as runtime_models
from compound.modules.leads import api as leads
from compound.platform.auth import models as auth_models
from compound.platform.email import models as email_models
from compound.platform.llm import models as llm_models
from compound.platform.models import metadata
from compound.platform.queue import models as queue_models
from compound.platform.records import models as record_models

TABLE_MODULES = (
    auth_models,
    queue_models,
    record_models,
    llm_models,
    runtime_models,
    inbox_models,
    email_models,
    leads.TABLE_MODULE,
)

__all__ = ["TABLE_MODULES", "metadata"]
