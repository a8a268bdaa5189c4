"""Find an APCO 2.103.2 incident type while the caller is still talking.

Call-takers type either the code they know ("FSTRU") or a word the caller said ("fire",
"chest"), so both are searched and ranked: an exact code first, then codes that start with
the query, then descriptions with a word that starts with it, then anything containing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.codes import INCIDENT_TYPES

DEFAULT_LIMIT = 8

_EXACT_CODE, _CODE_PREFIX, _WORD_PREFIX, _CODE_PART, _TEXT_PART = range(5)
_NO_MATCH = None


@dataclass(frozen=True, slots=True)
class TypeOption:
    code: str
    description: str

    @property
    def label(self) -> str:
        return f"{self.code} · {self.description}"


def search_incident_types(query: str, limit: int = DEFAULT_LIMIT) -> list[TypeOption]:
    """The best ``limit`` types for ``query``; every word of the query must match somewhere."""
    words = query.casefold().split()
    if not words:
        return []
    ranked: list[tuple[int, int, str]] = []
    for code, description in INCIDENT_TYPES.items():
        tiers = [_tier(word, code.casefold(), description.casefold()) for word in words]
        if all(t is not _NO_MATCH for t in tiers):
            score = sum(t for t in tiers if t is not None)
            ranked.append((score, len(code), code))
    ranked.sort()
    return [TypeOption(code, INCIDENT_TYPES[code]) for _, _, code in ranked[:limit]]


def _tier(word: str, code: str, description: str) -> int | None:
    if code == word:
        return _EXACT_CODE
    if code.startswith(word):
        return _CODE_PREFIX
    if any(w.startswith(word) for w in re.split(r"[^a-z0-9]+", description)):
        return _WORD_PREFIX
    if word in code:
        return _CODE_PART
    if word in description:
        return _TEXT_PART
    return _NO_MATCH


def type_option(code: str) -> TypeOption | None:
    """The option for a code already chosen (None if this build does not know it)."""
    description = INCIDENT_TYPES.get(code)
    return TypeOption(code, description) if description is not None else None
