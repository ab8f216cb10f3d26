"""Whitespace of text taken from HTML."""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")


def clean_space(text: str | None) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) and strip the ends."""
    return _WS.sub(" ", text or "").strip()
