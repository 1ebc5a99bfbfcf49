"""Users, roles, API tokens and the Actor every write is attributed to."""
