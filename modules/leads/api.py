"""The leads module's public interface: the only file other code imports."""

from __future__ import annotations

from compound.modules.leads import models
from compound.modules.leads.graphql import LeadsMutation, LeadsQuery

TABLE_MODULE = models

__all__ = ["TABLE_MODULE", "LeadsMutation", "LeadsQuery"]
