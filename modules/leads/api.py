"""The leads module's public interface: the only file other code imports."""

from __future__ import annotations

from compound.modules.leads import models
from compound.modules.leads.demo import DEMO_LIST_TITLE, seed_demo_icp, seed_demo_inbox
from compound.modules.leads.graphql import LeadsMutation, LeadsQuery
from compound.modules.leads.imports import ledger_lines
from compound.modules.leads.pages import PAGE_HANDLERS
from compound.modules.leads.pages import TEMPLATES as PAGE_TEMPLATES
from compound.modules.leads.service import lead_of_company

TABLE_MODULE = models
AGENT_MODULES = ("compound.modules.leads.agents",)
"""Modules that register the leads agents and their tools (workers and the app load them)."""
EVAL_MODULES = ("compound.modules.leads.evaluation",)
"""Modules that register the leads eval suites (only `compound eval` loads them)."""

__all__ = [
    "AGENT_MODULES",
    "DEMO_LIST_TITLE",
    "EVAL_MODULES",
    "PAGE_HANDLERS",
    "PAGE_TEMPLATES",
    "TABLE_MODULE",
    "LeadsMutation",
    "LeadsQuery",
    "lead_of_company",
    "ledger_lines",
    "seed_demo_icp",
    "seed_demo_inbox",
]
