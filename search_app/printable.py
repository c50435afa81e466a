"""Text from outside (articles, file names, requests, logs) made safe to print on a terminal or write to a log.

A terminal obeys the control characters in what it prints: ESC starts sequences that retitle the
window, change colours or draw a hyperlink to anywhere, C1 characters (U+0080-U+009F) do the same
on some terminals, and bidirectional overrides make text read backwards. Everything the service
logs or the command line prints that came from outside goes through here, so that such a
character is shown as an escape (\\x1b, \\u202e), never acted on.
"""

from __future__ import annotations

import re

# C0 (tab and newline included: a line of output or of a log is one line), DEL, C1, and the
# bidirectional embeddings, overrides and isolates.
_C0 = "\x00-\x1f"
_OTHERS = "\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_C0}{_OTHERS}]")
_NOT_JSON_ESCAPED = re.compile(f"[{_OTHERS}]")  # json.dumps escapes C0 itself, inside strings only


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """text with every control character written out as an escape (ESC as \\x1b, RLO as \\u202e)."""
    return _CONTROL.sub(_escape, text)


def visible_json(text: str) -> str:
    """JSON text (json.dumps' output) with the control characters JSON leaves raw written as \\u escapes (still valid JSON)."""
    return _NOT_JSON_ESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
