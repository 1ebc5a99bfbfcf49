"""The leads module's public interface: its manifest, and the only file other code imports."""

from __future__ import annotations

from compound.modules.leads import models
from compound.modules.leads.agents import handle_deal_flow
from compound.modules.leads.demo import DEMO_LIST_TITLE, queue_demo_work, seed_demo_icp
from compound.modules.leads.graphql import LeadsMutation, LeadsQuery
from compound.modules.leads.imports import ledger_lines
from compound.modules.leads.pages import PAGE_HANDLERS
from compound.modules.leads.service import LEAD_RECORDS, LeadSummary, lead_summary_of_company
from compound.modules.leads.settings import LeadsSettings
from compound.platform.modules import CompanyPanel, Demo, Module, NavEntry

MODULE = Module(
    name="leads",
    title="Leads",
    package="compound.modules.leads",
    graphql_query=LeadsQuery,
    graphql_mutation=LeadsMutation,
    pages=PAGE_HANDLERS,
    navigation=(
        NavEntry(key="leads", label="Leads", href="/leads"),
        NavEntry(key="imports", label="Imports", href="/imports"),
        NavEntry(key="icp", label="Ideal customer profile", href="/settings/icp", settings=True),
    ),
    tables=(models,),
    agent_modules=("compound.modules.leads.agents",),
    eval_modules=("compound.modules.leads.evaluation",),
    settings=LeadsSettings,
    triage_handlers={"deal_flow": handle_deal_flow},
    record_kinds=(LEAD_RECORDS,),
    company_panels=(
        CompanyPanel(template="leads/company_panel.html", load=lead_summary_of_company),
    ),
    run_summaries=ledger_lines,
    demo=Demo(seed=seed_demo_icp, work=queue_demo_work),
)

__all__ = ["DEMO_LIST_TITLE", "MODULE", "LeadSummary"]
