"""A module that lives outside Compound (tests/plugins/README.md)."""
