"""Stacks: data (stateful, retained in prod) and service (functions, auth, API)."""
