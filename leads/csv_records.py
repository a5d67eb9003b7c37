"""The records of a CSV file, robust to a stray quote that would swallow the rows below it.

The csv module reads a `"` at the start of a cell as the opening of a quoted field that runs to the next
quote, possibly hundreds of lines below: one stray quote in a lead file turned 32 rows into one 7 KB
name. A record over several lines whose field holds other rows is given back as a BrokenRow of its first
line (a reject naming the lines), and the lines it swallowed are read again as rows of their own. A
quoted address over two lines, with no delimiter in its second line, stays one cell.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from pathlib import Path

# A quoted field that spans more lines than this, or holds a line with the delimiter, swallowed rows.
MAX_FIELD_LINES = 10


class BrokenRow(list[str]):
    """The cells of a line whose opening quote is never closed on a sane row: a reject, not a lead.

    `first_line` and `last_line` are the file's lines the quote ran over; the lines after the first are
    read again as rows of their own.
    """

    def __init__(self, cells: list[str], first_line: int, last_line: int) -> None:
        super().__init__(cells)
        self.first_line = first_line
        self.last_line = last_line


def csv_records(path: Path, encoding: str, delimiter: str, skip_first: bool) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of each record; a record whose quote swallowed rows comes as a BrokenRow."""
    with path.open(encoding=encoding, newline="") as handle:
        if skip_first:
            handle.readline()
        pending: deque[tuple[int, str]] = deque()
        span: list[tuple[int, str]] = []
        counter = [int(skip_first)]

        def lines() -> Iterator[str]:
            while True:
                if pending:
                    item = pending.popleft()
                else:
                    text = handle.readline()
                    if not text:
                        return
                    counter[0] += 1
                    item = (counter[0], text)
                span.append(item)
                yield item[1]

        number = int(skip_first)
        while True:  # once more after the end of the file if the last record swallowed the last lines
            for cells in csv.reader(lines(), delimiter=delimiter):
                number += 1
                if len(span) > 1 and _swallowed(cells, delimiter):
                    first_line, text = span[0]
                    pending.extendleft(reversed(span[1:]))
                    yield number, BrokenRow(text.rstrip("\r\n").split(delimiter), first_line, span[-1][0])
                else:
                    yield number, cells
                span.clear()
            if not pending:
                return


def _swallowed(cells: list[str], delimiter: str) -> bool:
    """Whether a multi-line record holds other rows: a field over many lines, or a line with the delimiter."""
    for cell in cells:
        if "\n" in cell:
            later = cell.split("\n")[1:]
            if len(later) >= MAX_FIELD_LINES or any(delimiter in line for line in later):
                return True
    return False
