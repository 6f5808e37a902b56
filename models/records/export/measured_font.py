"""A TrueType font for the PDFs that measures each string once: its width at a size, and its split into the
document's font subsets.

A month's records export lays out thousands of table cells and paragraphs whose words repeat (providers'
codes and names, levels, times, "queues rising at most acute sites;"), and reportlab (without its optional C
accelerator) measures every word character by character each time a paragraph is wrapped, and splits every
string it draws into subsets the same way.  Both answers depend only on the string (and the size, or the
document): a width comes from the font's glyph widths, and a character keeps the subset code it was first
given in a document.  Remembered here, up to ``LIMIT`` strings each (then forgotten, so a year's export holds
no more than a month's), the PDF's bytes are the same.
"""

from __future__ import annotations

from reportlab.pdfbase.ttfonts import TTFont

LIMIT = 20_000   # strings remembered per font (widths) and per document (subset splits)


class MeasuredTTFont(TTFont):
    """reportlab's ``TTFont``, its ``stringWidth`` and ``splitString`` remembered (see the module)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._widths: dict[tuple, float] = {}

    def stringWidth(self, text, size, encoding="utf8"):
        key = (text, size)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) >= LIMIT:
                self._widths.clear()
            width = self._widths[key] = super().stringWidth(text, size, encoding)
        return width

    def splitString(self, text, doc, encoding="utf-8"):
        state = self.state.get(doc)
        known = getattr(state, "_scc_split", None) if state is not None else None
        if known is not None:
            split = known.get(text)
            if split is not None:
                return list(split)
        split = super().splitString(text, doc, encoding)
        state = self.state[doc]   # made by the first split in this document
        known = state.__dict__.setdefault("_scc_split", {})
        if len(known) >= LIMIT:
            known.clear()
        known[text] = tuple(split)
        return split
