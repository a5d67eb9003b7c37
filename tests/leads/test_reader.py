"""Reading lead files as French Excel and other tools save them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from leads.errors import EmptyFile, SheetNotFound, UnreadableFile
from leads.reader import open_source
from tests.leads.conftest import write_csv

ROWS = [["Nom", "Prénom", "Téléphone", "Ville"], ["Lefèvre", "Hélène", "06 12 34 56 78", "Besançon"],
        ["Dupont", "Zoé", "01 45 67 89 01", "Saint-Étienne, Loire"]]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "found"),
    [("cp1252", ";", "cp1252"), ("utf-8-sig", ";", "utf-8"), ("utf-8", ",", "utf-8"), ("utf-8-sig", "\t", "utf-8"),
     ("utf-16", "\t", "utf-16"), ("cp1252", ",", "cp1252"), ("utf-8", "|", "utf-8")],
)
def test_csv_encoding_and_delimiter_are_detected(tmp_path: Path, encoding: str, delimiter: str, found: str) -> None:
    path = write_csv(tmp_path / "leads.csv", ROWS, encoding, delimiter)
    source = open_source(path)
    assert (source.kind, source.encoding, source.delimiter) == ("csv", found, delimiter)
    assert source.headers == ["Nom", "Prénom", "Téléphone", "Ville"]
    assert [cells for _n, cells in source.rows()] == ROWS[1:]


def test_one_accent_far_down_the_file_decides_the_encoding(tmp_path: Path) -> None:
    rows = [["Nom", "Tel"]] + [["Martin", "0612345678"]] * 20_000 + [["Hélène", "0612345679"]]
    source = open_source(write_csv(tmp_path / "late.csv", rows, "cp1252"))
    assert source.encoding == "cp1252"
    assert list(source.rows())[-1] == (20_002, ["Hélène", "0612345679"])


def test_an_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    path.write_text("sep=,\r\nNom;Ville,Tel\r\nA;B,0612345678\r\n", encoding="utf-8")
    source = open_source(path)
    assert source.delimiter == "," and source.headers == ["Nom;Ville", "Tel"]
    assert list(source.rows()) == [(3, ["A;B", "0612345678"])]


def test_blank_lines_are_skipped_and_short_rows_padded(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gaps.csv", [[], ["Nom", "Tel", "Ville"], ["A", "0612345678"], ["", "", ""],
                                             ["B", "0612345679", "Brest"]])
    source = open_source(path)
    assert source.header_row == 2
    assert list(source.rows()) == [(3, ["A", "0612345678", ""]), (5, ["B", "0612345679", "Brest"])]


def test_xlsx_first_sheet_or_the_named_one_with_typed_cells(tmp_path: Path) -> None:
    book = Workbook()
    first = book.active
    first.title = "Notes"
    first.append(["Rien", "Tel"])
    first.append(["x", "0612345678"])
    sheet = book.create_sheet("Prospects")
    sheet.append(["Nom", "Portable", "Date de consentement", "Code postal"])
    sheet.append(["Lefèvre", 612345678, datetime(2026, 3, 14, 10, 22), 1000])
    sheet.append(["Dupont", 612345679.0, None, 75011])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    assert open_source(path).sheet == "Notes"
    source = open_source(path, "prospects")
    assert (source.kind, source.sheet, source.headers) == ("xlsx", "Prospects", sheet_headers := [
        "Nom", "Portable", "Date de consentement", "Code postal"])
    assert len(sheet_headers) == 4
    assert [cells for _n, cells in source.rows()] == [["Lefèvre", "612345678", "2026-03-14 10:22:00", "1000"],
                                                      ["Dupont", "612345679", "", "75011"]]
    with pytest.raises(SheetNotFound, match="Prospects"):
        open_source(path, "Feuil3")


@pytest.mark.parametrize(
    ("content", "error", "words"),
    [
        (b"", EmptyFile, "vide"),
        (b"\r\n  \r\n", EmptyFile, "vide"),
        (bytes(range(256)) * 40, UnreadableFile, "binaires"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, UnreadableFile, ".xls"),
        (b"PK\x03\x04 this is no workbook", UnreadableFile, "XLSX"),
    ],
)
def test_unreadable_files_name_the_file_and_the_problem(
    tmp_path: Path, content: bytes, error: type[Exception], words: str
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(error) as caught:
        open_source(path)
    assert str(path) in str(caught.value) and words in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="absent.csv"):
        open_source(tmp_path / "absent.csv")
