"""The model gateway: the only code that talks to OpenAI-compatible endpoints."""
