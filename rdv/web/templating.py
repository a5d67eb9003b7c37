"""Jinja2 pages in the interface language: `render(request, "home.html", {...})`.

Every template extends base.html and gets `user`, `csrf_token`, `csrf_field()`, `_`, `ngettext` and the
locale's formatters; autoescape is on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from config import i18n
from rdv.web.csrf import FIELD, csrf_token, set_pre_cookie

TEMPLATES = Path(__file__).with_name("templates")


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined)
    # Plain functions (not jinja2.ext.i18n, whose new-style gettext %-formats every message): templates write
    # `_("{n} calls").format(n=n)` as the Python code does; the output is escaped like any other value.
    env.globals.update(_=i18n._, ngettext=i18n.ngettext)
    env.globals.update(fmt_date=i18n.fmt_date, fmt_time=i18n.fmt_time, fmt_datetime=i18n.fmt_datetime,
                       fmt_number=i18n.fmt_number, fmt_percent=i18n.fmt_percent, fmt_money=i18n.fmt_money)
    return env


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """The page `name` for this request, with the user, the CSRF token and the catalogue."""
    token = csrf_token(request)
    values = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf_token": token,
        "csrf_field": lambda: Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token)}">'),
        "lang": i18n.current_lang(),
        **(context or {}),
    }
    html = environment().get_template(name).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    set_pre_cookie(request, response)
    return response
