"""Receiving a lead file: size refused from the announced length before any byte is read where the browser
announces it, and counted while the body streams to disk otherwise; type decided by the content, not the name.

The page's script sends the file as the request body (the CSRF token in a header), so nothing spools it before
the route; a browser without script posts a multipart form, which the CSRF check reads first: its length is
still refused from the header before the body is parsed by the route.
"""

from __future__ import annotations

import secrets
import shutil
import zipfile
from pathlib import Path

from fastapi import Request
from starlette.datastructures import UploadFile

from config.i18n import _, fmt_number

CHUNK = 1 << 16
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class UploadRefused(ValueError):
    """A file the web does not take; the message is the French line shown on the page."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def too_big(limit: int) -> UploadRefused:
    return UploadRefused(_("The file is larger than {size} MB, the most the web accepts: split it, or import it "
                           "with `rdv leads import`.").format(size=fmt_number(limit // (1 << 20))), 413)


def refuse_announced(request: Request, limit: int) -> None:
    """Refuse from the Content-Length header, before the body is read."""
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise too_big(limit)


async def receive(request: Request, folder: Path, limit: int) -> tuple[Path, str, int]:
    """Write the uploaded file under `folder` (a name of its own); (path, the file's own name, size)."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".incoming-{secrets.token_hex(8)}"
    size = 0
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise UploadRefused(_("Choose a file to upload."))
            name = upload.filename
            with part.open("wb") as out:
                while chunk := await upload.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise too_big(limit)
                    out.write(chunk)
        else:
            name = request.query_params.get("name", "")
            with part.open("wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise too_big(limit)
                    out.write(chunk)
        if size == 0:
            raise UploadRefused(_("The file is empty."))
        check_content(part)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return part, safe_name(name), size


def safe_name(name: str) -> str:
    """The file's own name without any folder, kept readable (accents stay; separators and controls go)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return cleaned[:200] or "fichier.csv"


def check_content(path: Path) -> None:
    """An Excel workbook (a zip holding `xl/workbook.xml`) or text; anything else is refused by what it is."""
    with path.open("rb") as handle:
        head = handle.read(CHUNK)
    if head.startswith(_ZIP):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise UploadRefused(_("The file is a damaged zip archive, not an Excel workbook.")) from None
        if "xl/workbook.xml" not in names:
            raise UploadRefused(_("The file is a zip archive but not an Excel workbook (.xlsx)."))
        return
    if head.startswith(_OLE):
        raise UploadRefused(_("The file is an old Excel (.xls) or protected workbook: save it as .xlsx or CSV."))
    if not _is_text(head):
        raise UploadRefused(_("The file is neither a CSV text file nor an Excel workbook (.xlsx)."))


def _is_text(head: bytes) -> bool:
    if head.startswith(_TEXT_BOMS):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\r\n\t\x0c")
    return controls <= max(2, len(head) // 100)


def move_into(part: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.move(part, target)
    return target
