"""Leads: deal-flow emails become researched companies and leads a person supervises."""
