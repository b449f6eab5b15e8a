"""Ports: what the logic needs from the outside world, as Protocols. Adapters implement them."""
