"""Routers, grouped by resource. Each app (trading_api, later dashboard_api and admin_api) picks its own."""
