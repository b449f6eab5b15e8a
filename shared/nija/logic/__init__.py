"""Business logic: pure functions and use cases over ports. No Lambda events, no HTTP."""
