"""Domain models and rules: pure Python, no AWS, no HTTP."""
