"""Lead files as they really come: title rows above the header, and a stray quote in the middle."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from leads.columns import looks_like_header
from leads.errors import HeaderRowNotFound
from leads.reader import BrokenRow, open_source
from tests.leads.conftest import write_csv

HEADER = ["Nom", "Prénom", "Téléphone", "Ville"]
TITLES = [["Export CRM du 12/11/2026", "", "", ""], ["Agence de Lyon", "", "", ""], ["", "", "", ""]]
DATA = [["Lefèvre", "Hélène", "06 12 34 56 78", "Lyon"], ["Dupont", "Zoé", "01 45 67 89 01", "Paris"]]


def test_the_header_is_found_below_title_rows_in_a_csv(tmp_path: Path) -> None:
    source = open_source(write_csv(tmp_path / "crm.csv", [*TITLES, HEADER, *DATA]), is_header=looks_like_header)
    assert (source.header_row, source.headers, source.delimiter) == (4, HEADER, ";")
    assert list(source.rows()) == [(5, DATA[0]), (6, DATA[1])]


def test_title_rows_without_any_delimiter_do_not_hide_it(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Export CRM du 12/11/2026\r\nAgence de Lyon\r\n\r\nNom,Prénom,Téléphone,Ville\r\n"
                    "Lefèvre,Hélène,06 12 34 56 78,Lyon\r\n", encoding="utf-8")
    source = open_source(path, is_header=looks_like_header)
    assert (source.header_row, source.delimiter, source.headers) == (4, ",", HEADER)


def test_the_header_is_found_below_title_rows_in_a_workbook(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [["Export CRM du 12/11/2026"], [], ["Fichier prospects"], HEADER, *DATA]:
        sheet.append(row)
    book.save(tmp_path / "crm.xlsx")
    source = open_source(tmp_path / "crm.xlsx", is_header=looks_like_header)
    assert (source.header_row, source.headers) == (4, HEADER)
    assert [cells for _n, cells in source.rows()] == DATA


def test_header_row_forces_the_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "crm.csv", [["Liste", "", "", ""], ["Col A", "Col B", "Col C", "Col D"], *DATA])
    source = open_source(path, header_row=2, is_header=looks_like_header)
    assert (source.header_row, source.headers) == (2, ["Col A", "Col B", "Col C", "Col D"])
    assert len(list(source.rows())) == 2


@pytest.mark.parametrize(("row", "words"), [(3, "ligne 3 est vide"), (40, "pas de ligne 40")])
def test_a_header_row_that_cannot_be_one_is_named(tmp_path: Path, row: int, words: str) -> None:
    path = write_csv(tmp_path / "crm.csv", [["Liste", "", "", ""], HEADER, ["", "", "", ""], *DATA])
    with pytest.raises(HeaderRowNotFound, match=words):
        open_source(path, header_row=row)


def test_without_a_recognisable_header_the_first_row_is_taken(tmp_path: Path) -> None:
    source = open_source(write_csv(tmp_path / "odd.csv", [["A", "B"], ["x", "0612345678"]]),
                         is_header=looks_like_header)
    assert (source.header_row, source.headers) == (1, ["A", "B"])


def test_rows_that_read_as_headers() -> None:
    assert looks_like_header(["Tél. portable"]) and looks_like_header(["Nom", "Ville", "X"])
    assert not looks_like_header(["Export CRM du 12/11/2026", "", ""])
    assert not looks_like_header(["Lefèvre", "Hélène", "06 12 34 56 78", "Lyon"])
    assert looks_like_header(["Num perso", "Nom"], {"Num perso": "phone"})


def _rows(count: int) -> list[list[str]]:
    return [[f"Nom{n}", f"Prénom{n}", f"06 12 {n // 100 % 100:02d} {n % 100:02d} 00", "Lyon"] for n in range(count)]


def test_a_stray_quote_is_set_aside_and_the_rows_it_swallowed_are_read(tmp_path: Path) -> None:
    """The issue's file: one `"` opening a cell at row 11 of 2,000 rows, next quote 32 rows below."""
    rows = _rows(2000)
    lines = [";".join(HEADER)] + [";".join(r) for r in rows]
    lines[11] = 'Nom10;"Prénom10;06 12 00 10 00;Lyon'  # opened, never closed on its row
    lines[43] = 'Nom42;Prénom42 "le grand";06 12 00 42 00;Lyon'  # the next quote, 32 rows below
    lines[44] = 'Nom43;Prénom43";06 12 00 43 00;Lyon'  # the quote that ends the swallowed field
    path = tmp_path / "stray.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    read = list(open_source(path, is_header=looks_like_header).rows())
    assert len(read) == 2000
    number, broken = read[10]
    assert isinstance(broken, BrokenRow) and number == 12
    assert (broken.first_line, broken.last_line) == (12, 44)  # the quote that closed it, mid-cell
    assert broken[0] == "Nom10"
    assert read[11] == (13, rows[11])  # the row just below the stray quote is read as itself
    assert read[42][1] == ["Nom42", 'Prénom42 "le grand"', "06 12 00 42 00", "Lyon"]
    assert read[43][1] == ["Nom43", 'Prénom43"', "06 12 00 43 00", "Lyon"]
    assert read[-1] == (2001, rows[-1])
    assert sum(isinstance(cells, BrokenRow) for _n, cells in read) == 1


def test_a_quoted_address_over_two_lines_is_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('Nom;Adresse;Téléphone\r\nMartin;"12 rue des Lilas\r\nBâtiment B";0612345678\r\n'
                    "Durand;3 place Bellecour;0612345679\r\n", encoding="utf-8")
    read = list(open_source(path, is_header=looks_like_header).rows())
    assert read == [(2, ["Martin", "12 rue des Lilas\r\nBâtiment B", "0612345678"]),
                    (3, ["Durand", "3 place Bellecour", "0612345679"])]
    assert not any(isinstance(cells, BrokenRow) for _n, cells in read)


def test_a_quote_never_closed_before_the_end_loses_only_its_line(tmp_path: Path) -> None:
    lines = [";".join(HEADER)] + [";".join(r) for r in _rows(30)]
    lines[28] = 'Nom27;"Prénom27;06 12 00 27 00;Lyon'
    path = tmp_path / "end.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    read = list(open_source(path).rows())
    assert len(read) == 30 and isinstance(read[27][1], BrokenRow)
    assert read[28][1][0] == "Nom28" and read[29][1][0] == "Nom29"
