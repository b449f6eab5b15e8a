"""Lambda layer recipes and the script that builds them (see build.py)."""
