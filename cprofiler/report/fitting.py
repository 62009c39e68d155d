"""Fitting a table to a terminal's width: which columns fit, how wide each is, and the console.

Shared by the comparison table (``report/terminal.py``) and the under-load table
(``report/terminal_load.py``): a value never wraps (a number cut in two misleads), headers and the
image label wrap at spaces, and the least needed columns are left out, in a stated order, until the
rest fit.
"""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console


def fitted(
    keys: dict[str, str], texts: list[list[str]], width: int, drop: tuple[str, ...], *, wide: bool
) -> tuple[dict[str, str], list[list[str]], list[int], list[str], int]:
    """The columns that fit ``width`` (those in ``drop`` left out in that order until they do,
    unless ``wide``), their rows, each column's width, the headers left out, and the width drawn.

    Where not even the columns outside ``drop`` fit, they are drawn unsqueezed and the terminal
    wraps the lines, rather than cut values."""
    keys, hidden = dict(keys), []
    widths = _fit(keys, texts, width)
    if wide:
        # All columns, none squeezed: the lines may be longer than the terminal.
        widths = [max(cell_len(x) for x in (h, *col)) for h, col in zip(keys.values(), zip(*texts, strict=True), strict=True)]
        width = max(width, sum(widths) + overhead(len(widths)))
    else:
        for key in drop:
            if widths is not None:
                break
            if key in keys:
                k = list(keys).index(key)
                hidden.append(keys.pop(key))
                texts = [row[:k] + row[k + 1 :] for row in texts]
                widths = _fit(keys, texts, width)
    return keys, texts, widths if widths is not None else _least(keys, texts), hidden, width


def overhead(n: int) -> int:
    """Width that is not content: one space of padding on each side of a value and a one-column
    divider between columns, and the box's edge at both ends (``box.SIMPLE_HEAD``, no ``pad_edge``)."""
    return 3 * (n - 1) + 2


def _fit(keys: dict[str, str], texts: list[list[str]], width: int) -> list[int] | None:
    """Content width of each column so that the table fits ``width``, or None if it cannot.

    A value never wraps (a number cut in two misleads); a header wraps at spaces and the image
    label at spaces too. So each column needs at least its longest value (for the image: its
    longest word) and its header's longest word; what width is left goes to the image column
    first, then to headers, so they wrap as little as fits.
    """
    least = _least(keys, texts)
    natural = [max(cell_len(x) for x in (header, *(row[k] for row in texts))) for k, header in enumerate(keys.values())]
    room = width - overhead(len(keys)) - sum(least)
    if room < 0:
        return None
    widths = list(least)
    # Headers on at most two lines first, then the image label whole, then headers on one line.
    wishes = [[max(least[k], min(natural[k], _two_lines(header))) for k, header in enumerate(keys.values())], natural]
    wishes[0][0] = least[0]
    for wish in wishes:
        for k in sorted(range(len(widths)), key=lambda k: k != 0):  # the image column first
            grow = max(0, min(room, wish[k] - widths[k]))
            widths[k] += grow
            room -= grow
    return widths


def _least(keys: dict[str, str], texts: list[list[str]]) -> list[int]:
    """Each column's narrowest width: its longest value (the image: its longest word) or header word."""
    least = []
    for k, (key, header) in enumerate(keys.items()):
        cells = [row[k] for row in texts]
        words = header.split() + ([w for c in cells for w in c.split()] if key == "image" else cells)
        least.append(max(cell_len(w) for w in words))
    return least


def _two_lines(header: str) -> int:
    """The width ``header`` needs when wrapped onto two lines at a space (one line if it has one word)."""
    words = header.split()
    return min(max(cell_len(" ".join(words[:i])), cell_len(" ".join(words[i:]))) for i in range(1, len(words) + 1))


def make_console(width: int, color: bool) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=True, no_color=not color, highlight=False, emoji=False)
