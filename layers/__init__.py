"""Lambda layer recipes (recipes.py) and the script that builds them (build.py)."""
