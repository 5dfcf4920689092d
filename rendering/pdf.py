"""From a prepared report context to HTML (Jinja2) and to a PDF/UA-1 file (WeasyPrint).

The context arrives with every number already formatted (``rendering.formatting``);
the templates only loop and branch. Everything in the context is autoescaped except
the inline SVG of ``figures[*].svg`` and ``kpis[*].sparkline_svg``, which
``rendering.charts`` produced and which is marked safe here, in Python, and nowhere
else (no ``|safe`` in the templates).

The PDF is byte-identical for identical HTML: its dates come from the cut-off written
into the HTML (``<meta name="dcterms.created">``), ``SOURCE_DATE_EPOCH`` is set to the
same instant while WeasyPrint writes (font subsetting stamps the time), attachments
carry that date too, and the file identifier is a hash of the input.

Nothing is fetched from outside: ``AssetFetcher`` serves ``data:`` URLs and files in
``report_templates/`` and stops the render on anything else.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import os
import string
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import HTML, Attachment
from weasyprint.urls import FatalURLFetchingError, URLFetcher, path2url

__all__ = [
    "TEMPLATES_DIR",
    "AssetFetcher",
    "RefusedURLError",
    "epoch_from_cut_off",
    "render_html",
    "write_pdf",
]

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "report_templates"
TEMPLATE_NAME = "assessment.html.j2"
CUT_OFF_FORMAT = "%Y-%m-%d %H:%M UTC"
# characters: longer than any code, name or period a table prints (24 in the sample); a longer
# word (a pasted hash, a hostile cell) may break anywhere rather than widen its column
LONGEST_WORD = 40

# TLP 2.0 (FIRST): the label's CSS class and the handling rule printed on the cover.
TLP_LABELS = {
    "TLP:RED": ("red", "For the eyes and ears of individual recipients only; "
                       "no further disclosure."),
    "TLP:AMBER+STRICT": ("amber-strict", "Limited disclosure: recipients may share it "
                                         "on a need-to-know basis within their own "
                                         "organisation only."),
    "TLP:AMBER": ("amber", "Limited disclosure: recipients may share it on a need-to-know "
                          "basis within their organisation and its clients."),
    "TLP:GREEN": ("green", "Limited disclosure: recipients may share it within their "
                          "community, but not publicly."),
    "TLP:CLEAR": ("clear", "Disclosure is not limited: recipients may share it with "
                          "the world, subject to copyright."),
}
_FINAL = "FINAL"


# ------------------------------------------------------------------------------- HTML


def render_html(context: Mapping[str, Any]) -> str:
    """The assessment as one self-contained HTML document (the CSS is inlined)."""
    return _environment().get_template(TEMPLATE_NAME).render(_view(context))


@functools.cache
def _environment() -> Environment:
    # autoescape=True for every template whatever its extension: member and analyst
    # text reaches the report; only chart SVG is trusted (see _trusted_svg).
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _view(context: Mapping[str, Any]) -> dict[str, Any]:
    """The template's view of the context: chart SVG marked safe, numbering and labels."""
    view = copy.deepcopy(dict(context))  # never touch the caller's context
    tlp = view["tlp"]
    if tlp not in TLP_LABELS:
        raise ValueError(f"tlp {tlp!r} is not a TLP 2.0 label: {sorted(TLP_LABELS)}")
    view["tlp_class"], view["tlp_handling"] = TLP_LABELS[tlp]
    view["watermark"] = "" if view["status"] == _FINAL else view["status"]
    view["created_iso"] = _w3c_datetime(epoch_from_cut_off(view["cut_off"]))
    for kpi in view["kpis"]:
        _require_text(kpi, ("label", "value", "unit", "qoq", "yoy"), "kpi")
        kpi["sparkline_svg"] = _trusted_svg(kpi["sparkline_svg"], f"kpi {kpi['label']!r}")
    if view.get("key_judgements"):  # the chart of chapter 1 (contexts stored before it lack it)
        view["key_judgements"] = _numbered(view["key_judgements"], "1", "chapter")
    view["chapters"] = [_numbered(ch, str(n), "chapter")
                        for n, ch in enumerate(view["chapters"], 2)]
    if len(view["annexes"]) > len(string.ascii_uppercase):
        raise ValueError(f"at most {len(string.ascii_uppercase)} annexes")
    view["annexes"] = [_numbered(ax, letter, "annex")
                       for letter, ax in zip(string.ascii_uppercase, view["annexes"],
                                             strict=False)]
    return view


def _trusted_svg(value: Any, where: str) -> Markup:
    """Chart SVG from rendering.charts, the only markup let through unescaped."""
    if not (isinstance(value, str) and value.lstrip().startswith("<svg")
            and value.rstrip().endswith("</svg>")):
        raise ValueError(f"{where}: expected inline SVG from rendering.charts")
    return Markup(value)


def _numbered(section: dict[str, Any], number: str, kind: str) -> dict[str, Any]:
    """Chapter or annex with its number and numbered, checked tables and figures."""
    section = _charted({**section, "number": number, "kind": kind})
    tables = []
    for i, table in enumerate(section["tables"], 1):
        _check_table(table)
        tables.append({**table, "number": f"{number}.{i}", "wraps": _wraps(table),
                       "heading_wraps": ["one-word" if len(c.split()) == 1 else ""
                                         for c in table["columns"]]})
    figures = [{**figure, "number": f"{number}.{i}",
                "svg": _trusted_svg(figure["svg"], f"figure {figure['id']!r}")}
               for i, figure in enumerate(section["figures"], 1)]
    section["tables"], section["figures"] = tables, figures
    return section


def _charted(section: dict[str, Any]) -> dict[str, Any]:
    """A chart with almost nothing to show arrives from rendering.charts as its sentence
    (``withheld``): it is printed among the notes, or as why the section is empty when
    nothing else is left, as the chapters do for a figure disclosure control hides."""
    reasons = [f["withheld"] for f in section["figures"] if "withheld" in f]
    if not reasons:
        return section
    figures = [f for f in section["figures"] if "withheld" not in f]
    if not figures and not section["tables"]:
        missing = " ".join(filter(None, [section.get("missing"), *reasons]))
        return {**section, "figures": figures, "missing": missing}
    return {**section, "figures": figures, "notes": [*reasons, *section["notes"]]}


def _check_table(table: Mapping[str, Any]) -> None:
    """Rows as wide as the header, and every cell already text (numbers formatted)."""
    width = len(table["columns"])
    if len(table["numeric"]) != width:
        raise ValueError(f"table {table['id']}: {len(table['numeric'])} numeric flags "
                         f"for {width} columns")
    for r, row in enumerate(table["rows"]):
        if len(row) != width:
            raise ValueError(f"table {table['id']}: row {r} has {len(row)} cells, "
                             f"expected {width}")
        for cell in row:
            if not isinstance(cell, str):
                raise TypeError(f"table {table['id']}: cell {cell!r} in row {r} is not "
                                "text; format it with rendering.formatting")


def _wraps(table: Mapping[str, Any]) -> list[str]:
    """How each column's cells wrap (a CSS class): never inside a word, so the table's layout
    never narrows a column below its longest word, and a column of one-word cells (codes,
    periods, names) not even at a hyphen (a one-word heading neither: `heading_wraps`); a
    column holding a word longer than `LONGEST_WORD` anywhere, so that it still fits the
    page."""
    wraps = []
    for i in range(len(table["columns"])):
        words = [cell.split() for cell in (row[i] for row in table["rows"])]
        if any(len(word) > LONGEST_WORD for cell in words for word in cell):
            wraps.append("wrap-anywhere")
        else:
            wraps.append("one-word" if all(len(cell) <= 1 for cell in words) else "")
    return wraps


def _require_text(item: Mapping[str, Any], keys: Sequence[str], what: str) -> None:
    for k in keys:
        if not isinstance(item[k], str):
            raise TypeError(f"{what} {k}={item[k]!r} is not text; format it first")


# -------------------------------------------------------------------------------- PDF


class RefusedURLError(FatalURLFetchingError):
    """A URL outside data: and report_templates/ was requested; the render stops."""


class AssetFetcher(URLFetcher):
    """WeasyPrint fetcher serving only data: URLs and files inside `asset_dir`."""

    def __init__(self, asset_dir: Path = TEMPLATES_DIR, **kwargs: Any) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False,
                         timeout=1, **kwargs)
        self.asset_dir = asset_dir.resolve()
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def allows(self, url: str) -> bool:
        """True for data: URLs and file: URLs that resolve inside the asset folder."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return True
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            return False
        # resolve() follows symlinks and "..", so a link out of the folder is refused.
        path = Path(url2pathname(unquote(parts.path))).resolve()
        return path.is_relative_to(self.asset_dir) and path.is_file()

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not self.allows(url):
            self.refused.append(url)
            raise RefusedURLError(f"refused to fetch {url!r}: only data: URLs and files "
                                  f"in {self.asset_dir} may be used")
        self.fetched.append(url)
        return super().fetch(url, headers)


def epoch_from_cut_off(cut_off: str) -> int:
    """Seconds since 1970 for a cut-off written as '2026-10-15 02:00 UTC'."""
    try:
        moment = datetime.strptime(cut_off, CUT_OFF_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"cut_off {cut_off!r} is not in the form "
                         f"'YYYY-MM-DD HH:MM UTC'") from None
    return int(moment.timestamp())


def write_pdf(html: str, out_path: Path, *, title: str,
              attachments: Sequence[tuple[str, bytes]] = (),
              source_date_epoch: int | None = None) -> Path:
    """Render `html` to a PDF/UA-1 file at `out_path` and return the path.

    `attachments` are (file name, bytes) pairs embedded in the PDF (CSV tables,
    manifest.json). All dates inside the file are `source_date_epoch`; by default the
    HTML's ``dcterms.created`` (render_html writes the cut-off there), else the
    ``SOURCE_DATE_EPOCH`` environment variable; with none of them it is an error,
    because the output would not be reproducible.
    """
    fetcher = AssetFetcher()
    document = HTML(string=html, base_url=path2url(TEMPLATES_DIR),
                    url_fetcher=fetcher).render(pdf_variant="pdf/ua-1")
    epoch = _resolve_epoch(source_date_epoch, document.metadata.created)
    moment = datetime.fromtimestamp(epoch, UTC)
    document.metadata.title = title
    document.metadata.created = document.metadata.modified = _w3c_datetime(epoch)
    embedded = [
        Attachment(string=data, name=name, description=name, created=moment,
                   modified=moment, relationship="Data", url_fetcher=fetcher)
        for name, data in attachments
    ]
    identifier = hashlib.sha256(html.encode() + title.encode()).hexdigest()[:32].encode()
    with _source_date_epoch(epoch):
        pdf = document.write_pdf(pdf_variant="pdf/ua-1", attachments=embedded,
                                 pdf_identifier=identifier)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    partial.write_bytes(pdf)
    partial.replace(out_path)  # a reader never sees half a file
    return out_path


def _resolve_epoch(explicit: int | None, created: str | None) -> int:
    if explicit is not None:
        return int(explicit)
    if created:
        return int(datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp())
    if (env := os.environ.get("SOURCE_DATE_EPOCH")) is not None:
        return int(env)
    raise ValueError("no date for a reproducible PDF: pass source_date_epoch, or render "
                     "the HTML with render_html (it records the cut-off)")


def _w3c_datetime(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH for the duration of a write (not thread-safe: process-wide)."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
