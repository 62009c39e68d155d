"""Text from a results file made safe for a YAML comment: nothing after ``#`` can become YAML.

Why: a manifest's header comment quotes the results file (its path, the image's tag, a stand-in's
detail, why a measurement stopped). A line break inside one of those strings ended the comment,
and whatever followed became live YAML: a crafted results file could put ``securityContext:
{privileged: true}`` into the manifest. YAML breaks lines not only at ``\\n`` and ``\\r`` but also
at NEL (U+0085) and the Unicode line and paragraph separators, and refuses other control
characters outright; all of them are written escaped, as Python writes them (``\\n``, ``\\x85``).
Values are safe already: ``yaml.dump`` quotes and escapes every string it writes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def _unsafe(char: str) -> bool:
    # Cc: C0, DEL and C1 controls (NEL among them); Zl, Zp: U+2028, U+2029; U+FEFF: a BOM.
    return char != "\t" and (unicodedata.category(char) in ("Cc", "Zl", "Zp") or char == "\ufeff")


def comment_text(text: str) -> str:
    """``text`` as one line of comment: every line break or control character shown escaped."""
    if not any(_unsafe(c) for c in text):
        return text
    return "".join(repr(c)[1:-1] if _unsafe(c) else c for c in text)


def comment(lines: Iterable[str]) -> str:
    """``lines`` as a YAML comment block, one ``# `` line each, whatever they hold."""
    return "".join(f"# {comment_text(line)}\n" if line else "#\n" for line in lines)
