"""The Agent Inbox: what agents bring back to a person (approvals, questions, exceptions)."""
