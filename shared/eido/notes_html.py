"""EIDO notes are HTML fragments (NENA-STA-021 section 2.15); our notes are plain text.

Sending escapes the text and keeps line breaks as ``<br>``, so it reads the same in a browser
and comes back identical.  Receiving keeps the text a person would see: tags are dropped,
line and block breaks become newlines, entities are decoded, and script or style content is
discarded (the standard lets a receiver filter embedded scripts; we never run them).
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {"p", "div", "li", "ul", "ol", "tr", "table", "blockquote", "pre", "section", "article"}
    | {f"h{i}" for i in range(1, 7)}
)
_HIDDEN = frozenset({"script", "style", "template", "head", "title"})


def to_html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


class _TextOf(HTMLParser):
    """Collects visible text; a block boundary becomes one newline, but only between text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.pending_break = False

    def _flush(self) -> None:
        if self.pending_break and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")
        self.pending_break = False

    def _line_break(self) -> None:
        self._flush()
        self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br" and not self.hidden:
            self._line_break()
        elif tag in _BLOCKS:
            self.pending_break = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self.hidden:
            self._line_break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.pending_break = True

    def handle_data(self, data: str) -> None:
        if self.hidden or (self.pending_break and not data.strip()):
            return  # hidden content, or layout whitespace between blocks
        self._flush()
        self.parts.append(data)


def to_text(fragment: str) -> str:
    """The text a person reading the rendered fragment would see."""
    parser = _TextOf()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)
