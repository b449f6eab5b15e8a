"""stub"""
from __future__ import annotations
from dataclasses import dataclass
FLOWS: list = []
@dataclass(frozen=True)
class Flow:
    name: str
