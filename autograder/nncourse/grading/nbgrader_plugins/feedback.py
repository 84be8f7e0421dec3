"""Feedback that keeps hidden tests hidden.

nbgrader's feedback HTML shows the autograded notebook as it ran, hidden tests included, and an
error in a hidden test shows its lines in the traceback. This preprocessor, added to
``GenerateFeedback.preprocessors`` in autograder/nbgrader_config.py, removes the hidden region
from every test cell. A failed check in such a cell keeps its verdict as the learner saw it (the
Korean message, and the learner's own frames when the check called their code; see
nncourse.verdict: no line of the test cell is in it); any other error there is shortened to its
last line, so learners see what went wrong but not the hidden test itself.

Learner HTML is inert in the instructor's pages. The feedback HTML and formgrader's view of a
submission (served on the Jupyter server's own origin, with the instructor's session) render the
autograded notebook with nbconvert's HTMLExporter, which by default puts a learner's
``display(Javascript(...))``, ``<script>`` and ``<img onerror=...>`` (in an output or in a Markdown
cell they wrote) into the page as live script. autograder/nbgrader_config.py turns on
``HTMLExporter.sanitize_html`` (JavaScript and widget outputs are left out; HTML and Markdown
outputs go through the ``clean_html`` filter) and replaces two of the exporter's filters:

* ``clean_html`` by :func:`clean_learner_html`: nbconvert's own cleaner keeps so few tags that
  headings, paragraphs, tables and pictures would show as escaped markup;
* ``markdown2html`` by :class:`SanitizedMarkdown2HTML`: nbgrader's feedback and formgrade
  templates render Markdown cells without ``clean_html`` even when sanitizing is on.

SVG outputs stay ``<img src="data:image/svg+xml...">`` (nbconvert's default), where an SVG runs no
script. The ANSI-coloured text of outputs and verdicts never passes the cleaner (nbconvert escapes
it and adds its own ``<span class="ansi-...">``), so it shows as before.

Coloured text. nbgrader's feedback page loads only Bootstrap and the CSS that
``CSSHTMLHeaderPreprocessor`` inlines (Pygments), not the notebook style sheet with the ANSI
colour classes: a verdict's bold cyan labels (내 값, 기대값, 힌트) and the colours of a learner's
own traceback showed as plain text. :class:`AnsiColours`, after it in
``GenerateFeedback.preprocessors``, inlines nbconvert's own ``.ansi-*`` rules (the palette
JupyterLab uses), read from nbconvert's classic template.
"""

from __future__ import annotations

import re
from pathlib import Path

# bleach and its CSS sanitizer come with nbconvert, whose own clean_html uses them.
import bleach
from bleach.css_sanitizer import CSSSanitizer
from nbconvert.filters import strip_ansi
from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool
from traitlets.config import Configurable

from ...verdict import FAIL_MARK


def is_verdict(output) -> bool:
    """An error output that is a failed check's verdict (nncourse.verdict), not a traceback.

    Notebooks graded before the verdict existed hold full tracebacks for CheckFailed too.
    """
    traceback = output.get("traceback") or []
    return (output.get("ename") == "CheckFailed" and bool(traceback)
            and strip_ansi(traceback[0]).startswith(FAIL_MARK))


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = cell.cell_type == "code" and self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and not is_verdict(output):
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources


#: What learner HTML keeps: the markup of Markdown (headings, lists, tables, code, pictures) and of
#: ordinary HTML outputs (a pandas table). A tag not listed shows as escaped text, so the
#: instructor sees what was attempted (``<script>``, ``<iframe>``, ``<svg>``, ``<style>``, ``<form>``).
LEARNER_HTML_TAGS = frozenset({
    "a", "abbr", "acronym", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var",
})
#: Attributes any kept tag may have (no event handlers: nothing named on...).
LEARNER_HTML_GLOBAL_ATTRIBUTES = frozenset({"class", "id", "title", "style"})
LEARNER_HTML_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "type"},
    "table": {"border"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "col": {"span"},
    "colgroup": {"span"},
}
#: Inline styles keep only what changes how text looks, not where it is (no position, no url()).
LEARNER_CSS = CSSSanitizer(allowed_css_properties=frozenset({
    "color", "background-color", "font-style", "font-weight", "text-align", "text-decoration",
    "vertical-align", "white-space",
}))
#: A data: URL is kept only as a picture's source (matplotlib's PNGs, Markdown attachments):
#: a picture runs no script, an SVG in <img> neither.
IMAGE_DATA_URL = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]")
#: What browsers ignore inside a URL's scheme (bleach drops the same before it reads one).
_URL_NOISE = re.compile(r"[`\000-\040\177-\240\s]+")


def _keeps_attribute(tag: str, name: str, value: str) -> bool:
    url = _URL_NOISE.sub("", value).lower()
    if url.startswith("data:"):
        return tag == "img" and name == "src" and IMAGE_DATA_URL.match(url) is not None
    return name in LEARNER_HTML_GLOBAL_ATTRIBUTES or name in LEARNER_HTML_ATTRIBUTES.get(tag, ())


def clean_learner_html(html) -> str:
    """HTML a learner's notebook produced, with nothing left that runs script: tags outside
    :data:`LEARNER_HTML_TAGS` escaped, event handlers and unknown attributes dropped, links
    only to http(s), mailto or the page itself, data: URLs only in pictures. nbconvert calls
    it as its ``clean_html`` filter (its own takes no img, p, h1-h6, th or thead)."""
    html = html.decode() if isinstance(html, bytes) else str(html)
    return bleach.clean(html, tags=LEARNER_HTML_TAGS, attributes=_keeps_attribute,
                        protocols={"http", "https", "mailto", "data"}, css_sanitizer=LEARNER_CSS,
                        strip=False, strip_comments=True)


class SanitizedMarkdown2HTML(Configurable):
    """The exporter's own ``markdown2html`` (anchors, attachments, highlighted code, math),
    then :func:`clean_learner_html`: Markdown may hold raw HTML, which mistune passes through.

    nbconvert constructs a configurable filter with the exporter as its parent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Jinja hands the template context (the cell, for its attachments) to a filter marked
        # as the exporter's own markdown2html is.
        self.jinja_pass_arg = self.parent.markdown2html.jinja_pass_arg

    def __call__(self, context, source: str) -> str:
        return clean_learner_html(self.parent.markdown2html(context, source))


#: One CSS rule for an ANSI class (``.ansi-cyan-intense-fg { color: #258F8F; }``).
ANSI_RULE = re.compile(r"^\.ansi-[a-z-]+ \{[^}]*\}", re.MULTILINE)


def ansi_css() -> str:
    """nbconvert's ``.ansi-*`` rules, from its classic template's style sheet ('' if not found)."""
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("nbconvert", "templates", "classic", "static"):
        sheet = Path(folder) / "style.css"
        if sheet.is_file():
            return "\n".join(ANSI_RULE.findall(sheet.read_text(encoding="utf-8")))
    return ""


class AnsiColours(Preprocessor):
    """Inline the ANSI colour classes into the feedback page (after CSSHTMLHeaderPreprocessor,
    which sets ``resources['inlining']``)."""

    # nbgrader registers its converters' preprocessors as they are; nbconvert runs only enabled ones.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        rules = ansi_css()
        if rules:
            resources.setdefault("inlining", {}).setdefault("css", []).append(rules)
        return nb, resources
