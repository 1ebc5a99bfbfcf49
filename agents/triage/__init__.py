"""The inbound-email triage agent: what kind of mail is this, and what is its ask."""
