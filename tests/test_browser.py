"""The course in a real JupyterLab, driven through a real browser (Debian's Chromium via Playwright).

A JupyterLab server starts on loopback with a token, in a scratch copy of the course: the
untouched learner notebook of lesson 01, a solution-filled copy of it, lesson 02 with a
``log_softmax`` that raises when its check calls it, and an nbgrader course (for the
formgrader). A hostile submission of lesson 01 is graded there: its feedback HTML and formgrader's
view of it must run none of its script (#23 item 1). Screenshots go to build/browser/. When a page misbehaves the test fails
with the browser's console errors in its message.

Chromium comes from Debian (`apt-get install chromium fonts-nanum`, done by .ci/run); without it
the tests skip locally, and fail under CI (CI=true), where it must be installed.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from lab_server import free_port, new_token, started
from nbgrader_course import (REPO, VENV_BIN, filled_notebook, lesson_ids, make_course, nbgrader_env, run_nbgrader,
                             submit)
from nncourse.checks import FAIL_MARK
from nncourse.verdict import CALLED_LEARNER
from shown_output import COURSE_FILE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPO / "build" / "browser"
LESSON = "01_mnist_data"
#: A failed check that called the learner's code: their log_softmax subtracts an (N,) tensor
#: from an (N, 10) one, and torch raises inside it.
FAILED_LESSON = "02_from_scratch"
FAILED_LINE = "return x - x.exp().sum(-1).log()"
FAILED_ANSWER = {"log_softmax": f"def log_softmax(x):\n    {FAILED_LINE}\n"}
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium (see .ci/run)")
    pytest.skip("Debian's chromium is not installed: apt-get install chromium fonts-nanum",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, token, root) of a JupyterLab serving a scratch course."""
    root = make_course(tmp_path_factory.mktemp("lab"), lesson_ids())
    for lesson in lesson_ids():
        run_nbgrader(root, "generate_assignment", lesson, "--force")
    filled = root / "filled" / LESSON
    filled.mkdir(parents=True)
    nbformat.write(filled_notebook(LESSON), filled / f"{LESSON}.ipynb")
    failed = root / "failed" / FAILED_LESSON
    failed.mkdir(parents=True)
    nbformat.write(filled_notebook(FAILED_LESSON, FAILED_ANSWER), failed / f"{FAILED_LESSON}.ipynb")

    # The course's settings overrides, as `make lab` and the learner bundle install them (no "Jupyter
    # news" question over the learner's notebook in the screenshots).
    from nncourse.lab import install_overrides
    install_overrides()
    port, token = free_port(), new_token()
    env = nbgrader_env()
    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_CONFIG_DIR"):
        env[name] = str(tmp_path_factory.mktemp(name.lower()))
    command = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root"]
    with started(command, root, env, port, token, root / "lab.log") as base:
        yield base, token, root


@pytest.fixture(scope="module")
def browser():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Page:
    """A browser page that remembers its console errors for failure messages."""

    def __init__(self, browser, name):
        self.name = name
        # A context of its own: no cookies or JupyterLab workspace state shared between pages.
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def fail(self, message: str):
        self.screenshot()
        errors = "\n".join(self.console_errors) or "(none)"
        pytest.fail(f"{message}\nbrowser console errors:\n{errors}\nscreenshot: {self.path}")

    @property
    def path(self) -> Path:
        return SCREENSHOTS / f"{self.name}.png"

    def screenshot(self, full_page: bool = False) -> Path:
        self.page.screenshot(path=str(self.path), full_page=full_page)
        return self.path


# The notebook the test opened; other tabs a workspace might restore stay hidden.
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def run_all_cells(page: Page, url: str) -> str:
    """Open a notebook, run all cells through the Run menu, return the text of all outputs."""
    p = page.page
    p.goto(url)
    try:
        p.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell", timeout=90_000)
        # wait until the kernel is up: the status bar names it and shows it idle
        p.wait_for_function(
            "() => document.querySelector('.jp-Notebook') && "
            "[...document.querySelectorAll('.jp-StatusBar-TextItem, .jp-StatusBar-Component')]"
            ".some(e => /Idle|유휴/.test(e.textContent))", timeout=90_000)
    except sync_api.TimeoutError:
        page.fail("the notebook did not open with an idle kernel")
    p.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    p.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    # Busy first, then idle again when the run is over (a failing cell stops the run).
    try:
        p.wait_for_function(
            f"() => [...document.querySelectorAll('{PANEL} .jp-InputArea-prompt')]"
            ".some(e => e.textContent.includes('*') || /\\[\\d+\\]/.test(e.textContent))",
            timeout=60_000)
        p.wait_for_function(
            f"() => ![...document.querySelectorAll('{PANEL} .jp-InputArea-prompt')]"
            ".some(e => e.textContent.includes('*'))", timeout=240_000)
    except sync_api.TimeoutError:
        page.fail("running all cells did not finish")
    time.sleep(1)  # let the last outputs render
    # textContent, not innerText: JupyterLab skips rendering cells outside the viewport
    return "\n".join(p.locator(f"{PANEL} .jp-OutputArea-output").all_text_contents())


#: How many coloured (saturated) pixels the page draws for each check mark, in the font of the
#: cell outputs and in black: a colour-emoji font draws ✅ green and ❌ red; without one the marks
#: come out as empty boxes (tofu) or black outlines and count 0. (document.fonts.check() alone
#: cannot tell: it answers true for a font that is not installed at all.)
EMOJI_JS = """() => {
  const output = document.querySelector('.jp-OutputArea-output pre') || document.body;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 48;
  const g = canvas.getContext('2d');
  const counts = {};
  for (const mark of ['\u2705', '\u274c']) {
    g.clearRect(0, 0, 48, 48);
    g.font = '36px ' + getComputedStyle(output).fontFamily;
    g.textBaseline = 'top';
    g.fillStyle = '#000';
    g.fillText(mark, 4, 4);
    const d = g.getImageData(0, 0, 48, 48).data;
    let coloured = 0;
    for (let i = 0; i < d.length; i += 4) {
      const rgb = [d[i], d[i + 1], d[i + 2]];
      if (d[i + 3] > 200 && Math.max(...rgb) - Math.min(...rgb) > 60) coloured++;
    }
    counts[mark] = coloured;
  }
  counts.fontsCheck = document.fonts.check('16px "Noto Color Emoji"', '\u2705\u274c');
  return counts;
}"""


def rendered_images(page: Page) -> list[tuple[int, int]]:
    """(natural width, height) of every picture in the notebook's outputs."""
    return page.page.eval_on_selector_all(
        f"{PANEL} .jp-OutputArea-output img", "imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])")


def test_solution_filled_lesson_runs_in_jupyterlab(lab, browser):
    base, token, _ = lab
    page = Page(browser, "lab-01-solution-filled")
    text = run_all_cells(page, f"{base}/lab/tree/filled/{LESSON}/{LESSON}.ipynb?reset&token={token}")
    page.screenshot()
    if "준비 완료" not in text:
        page.fail(f"the setup cell's Korean message is missing; outputs:\n{text[:2000]}")
    expected = ["✅ n_train (훈련 이미지 수) = 50000", "✅ first_image", "✅ label_counts",
                "✅ n_batches (한 에포크의 미니배치 수) = 782", "✅ what_reshape_does: B.", "✅ why_valid_set: D."]
    missing = [line for line in expected if line not in text]
    if missing or "❌" in text or "Error" in text:
        page.fail(f"visible checks did not all pass: missing {missing}; outputs:\n{text[:3000]}")
    marks = page.page.evaluate(EMOJI_JS)
    if min(marks["\u2705"], marks["\u274c"]) < 50:
        page.fail(f"the page cannot draw the checks' ✅ and ❌ in colour (coloured pixels {marks}): "
                  "install a colour-emoji font, `make system-deps` (fonts-noto-color-emoji)")
    images = rendered_images(page)
    if len(images) < 3 or any(w < 100 or h < 100 for w, h in images):
        page.fail(f"expected the digit pictures to render, got image sizes {images}")
    # the digit grid as the learner sees it
    page.page.locator(f"{PANEL} .jp-OutputArea-output img").nth(1).screenshot(
        path=str(SCREENSHOTS / "lab-01-digit-grid.png"))


def test_untouched_learner_notebook_shows_not_implemented(lab, browser):
    base, token, _ = lab
    page = Page(browser, "lab-01-untouched")
    text = run_all_cells(page, f"{base}/lab/tree/notebooks/{LESSON}/{LESSON}.ipynb?reset&token={token}")
    error = page.page.locator(f"{PANEL} [data-mime-type='application/vnd.jupyter.stderr']").first
    if error.count():
        error.scroll_into_view_if_needed()  # the screenshot shows the stub's error
        time.sleep(0.5)
    page.screenshot()
    if "NotImplementedError" not in text or "아직 답을 작성하지 않았습니다" not in text:
        page.fail(f"expected the Korean not-implemented stub error; outputs:\n{text[:2000]}")
    if "준비 완료" not in text:
        page.fail("the setup cell should still run before the first exercise")
    # The page still works: the notebook is there and the kernel is idle again.
    if not page.page.locator(f"{PANEL} .jp-Notebook .jp-Cell").count():
        page.fail("the notebook disappeared from the page")
    if [e for e in page.console_errors if "pageerror" in e]:
        page.fail("the page raised JavaScript errors")


# Contrast of the verdict's text against what is really behind it: the error output's
# background (a translucent red in the dark theme) laid over the page's own.
CONTRAST_JS = """
(output) => {
  const rgba = text => { const p = text.match(/[\\d.]+/g).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const background = node => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const color = rgba(getComputedStyle(n).backgroundColor);
      if (color[3] > 0) layers.push(color);
      if (color[3] >= 1) break;
    }
    let color = [255, 255, 255, 1];
    for (const top of layers.reverse()) color = [0, 1, 2].map(i => top[i] * top[3] + color[i] * (1 - top[3]));
    return color;
  };
  const luminance = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const pre = output.querySelector('pre');
  const behind = background(pre);
  const marked = [...pre.querySelectorAll('span')].filter(span =>
    /^(내 값|기대값|힌트|오류):$/.test(span.textContent.trim()) || span.textContent.startsWith('↳'));
  return {
    text: ratio(rgba(getComputedStyle(pre).color), behind),
    marked: marked.map(span => [span.textContent.trim().slice(0, 20), ratio(rgba(getComputedStyle(span).color), behind)]),
  };
}
"""


def _choose_theme(page: Page, theme: str, light: bool) -> None:
    p = page.page
    p.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
    p.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    p.locator(".lm-Menu-itemLabel", has_text=theme).first.click()
    try:
        p.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{str(light).lower()}'",
                            timeout=30_000)
    except sync_api.TimeoutError:
        page.fail(f"JupyterLab did not switch to {theme}")
    time.sleep(1)  # let the theme's colours settle


def _check_readable(page: Page, output, theme: str) -> None:
    contrast = output.evaluate(CONTRAST_JS)
    # the verdict's text keeps the theme's colour; its coloured labels stay legible (3:1, bold)
    low = [(text, round(ratio, 2)) for text, ratio in contrast["marked"] if ratio < 3]
    if contrast["text"] < 4.5 or len(contrast["marked"]) < 2 or low:
        page.fail(f"{theme}: the verdict is hard to read: text {contrast['text']:.2f}:1, "
                  f"labels {contrast['marked']}")


def test_failed_check_shows_the_verdict_not_the_course(lab, browser):
    """A check that called the learner's log_softmax, which raised: the cell shows the Korean
    verdict with its hint, one line saying the check called their code, and their own frame,
    nothing of the course, readable in the light and the dark theme."""
    base, token, _ = lab
    page = Page(browser, "lab-02-failed-check")
    run_all_cells(page, f"{base}/lab/tree/failed/{FAILED_LESSON}/{FAILED_LESSON}.ipynb?reset&token={token}")
    output = page.page.locator(f"{PANEL} [data-mime-type='application/vnd.jupyter.stderr']",
                               has_text=FAIL_MARK).first
    if not output.count():
        page.fail("no failed check was shown")
    output.scroll_into_view_if_needed()
    time.sleep(0.5)
    page.screenshot()
    output.screenshot(path=str(SCREENSHOTS / "lab-02-failed-check-output.png"))
    text = output.text_content()
    expected = [f"{FAIL_MARK} log_softmax 을(를) 실행하다 오류가 났습니다", "힌트:", "unsqueeze(-1)",
                CALLED_LEARNER, "Cell In[", FAILED_LINE, "RuntimeError: The size of tensor a"]
    missing = [line for line in expected if line not in text]
    if missing or not text.lstrip().startswith(FAIL_MARK):
        page.fail(f"the verdict and the learner's frame should show: missing {missing}:\n{text}")
    if COURSE_FILE.search(text) or "nncourse" in text or text.count("Traceback") != 1:
        page.fail(f"the course's traceback frames are shown:\n{text}")
    _check_readable(page, output, "JupyterLab Light")
    try:
        _choose_theme(page, "JupyterLab Dark", light=False)
        output.scroll_into_view_if_needed()
        page.page.screenshot(path=str(SCREENSHOTS / "lab-02-failed-check-dark.png"))
        _check_readable(page, output, "JupyterLab Dark")
    finally:  # the theme is a user setting of this server: the other tests see the light one
        _choose_theme(page, "JupyterLab Light", light=True)


def test_formgrader_lists_the_lessons(lab, browser):
    base, token, _ = lab
    page = Page(browser, "formgrader")
    page.page.goto(f"{base}/formgrader?token={token}")
    try:
        page.page.wait_for_selector(f"text={lesson_ids()[-1]}", timeout=60_000)
    except sync_api.TimeoutError:
        page.fail("the formgrader did not list the lessons")
    body = page.page.inner_text("body")
    page.screenshot(full_page=True)
    missing = [lesson for lesson in lesson_ids() if lesson not in body]
    if missing:
        page.fail(f"the formgrader does not list {missing}")


# --- Learner script in the instructor's pages (#23 item 1) -------------------------------------

HOSTILE_STUDENT = "hostile"
#: A wrong answer beside the probes, so that the pages show a failed check's verdict too.
WRONG_LABEL_COUNTS = "label_counts = torch.bincount(y_train, minlength=10) + 1"
#: The probes' answer cell; its own code stays the solution's.
PROBE_CELL = "first_batch"
WRONG_LABEL_COUNTS_VERDICT = f"{FAIL_MARK} label_counts 의 합 (훈련 이미지 수) 이(가) 50000 이어야 합니다"


def hostile_script(name: str, port: int, window: str = "window") -> str:
    """JavaScript that leaves three traces when it runs: the page title, a node in the page and a
    request to the test's listener. Single quotes only, so that it fits in an HTML attribute."""
    return (f"(function(w){{w.document.title='PWNED {name}';var d=w.document.createElement('div');"
            f"d.className='pwned';d.textContent='{name}';w.document.body.appendChild(d);"
            f"new Image().src='http://127.0.0.1:{port}/ran/{name}';}})({window})")


def hostile_notebook(port: int):
    """Lesson 01 answered (one answer wrong), with eight carriers of learner script: outputs of
    each kind that can hold it (JavaScript, HTML, SVG, Markdown) from an answer cell, and raw
    HTML in a Markdown cell of the learner's own."""
    js = lambda name, window="window": hostile_script(name, port, window)  # noqa: E731
    outputs = {
        "js-output": f"display(Javascript({js('js-output')!r}))",
        "html-script": "display(HTML({!r}))".format('<script>' + js('html-script') + '</script>'),
        "html-img-onerror": "display(HTML({!r}))".format('<img src=x onerror="' + js('html-img-onerror') + '">'),
        "html-iframe-srcdoc": "display(HTML({!r}))".format(
            '<iframe srcdoc="<script>' + js('html-iframe-srcdoc', 'parent') + '</script>"></iframe>'),
        "svg-output": "display(SVG({!r}))".format(
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="'
            + js('svg-onload') + '"><script>' + js('svg-script') + '</script></svg>'),
        "markdown-output": "display(Markdown({!r}))".format('<img src=x onerror="' + js('markdown-output') + '">'),
    }
    code = "\n".join(["from IPython.display import HTML, SVG, Javascript, Markdown, display",
                      *outputs.values()])
    notebook = filled_notebook(LESSON, {"label_counts": WRONG_LABEL_COUNTS})
    for i, cell in enumerate(notebook.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == PROBE_CELL:
            cell.source += "\n" + code
            notebook.cells.insert(i + 1, nbformat.v4.new_markdown_cell(
                f'내 풀이 설명 <img src=x onerror="{js("markdown-cell-img")}">\n\n'
                f'<script>{js("markdown-cell-script")}</script>\n'))
            return notebook
    raise KeyError(PROBE_CELL)


class ScriptListener:
    """Where a learner script that ran reports (its Image request): the paths it asked for."""

    def __init__(self):
        import http.server
        import threading

        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def hostile_submission(lab):
    """(feedback file, formgrader URL, listener) of a graded hostile submission of lesson 01."""
    from nbgrader.api import Gradebook

    base, token, root = lab
    listener = ScriptListener()
    submit(root, HOSTILE_STUDENT, LESSON, hostile_notebook(listener.port))
    run_nbgrader(root, "autograde", LESSON, "--student", HOSTILE_STUDENT, "--force")
    run_nbgrader(root, "generate_feedback", LESSON, "--student", HOSTILE_STUDENT, "--force")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(LESSON, LESSON, HOSTILE_STUDENT).id
    feedback = root / "feedback" / HOSTILE_STUDENT / LESSON / f"{LESSON}.html"
    yield feedback, f"{base}/formgrader/submissions/{submission}/?token={token}", listener
    listener.close()


def _scripts_that_ran(page: Page, listener: ScriptListener) -> dict[str, list[str]]:
    time.sleep(2)  # let failed image loads (onerror), frames and SVG onload fire
    return {
        "title": [page.page.title()] if "PWNED" in page.page.title() else [],
        "nodes": page.page.eval_on_selector_all(".pwned", "nodes => nodes.map(n => n.textContent)"),
        "requests": sorted(path.removeprefix("/ran/") for path in listener.hits),
    }


def _check_shows_the_notebook(page: Page) -> None:
    """The honest parts still show: the lesson's headings, its pictures and the failed check's
    Korean verdict with its labels' markup (bold cyan, nncourse.verdict)."""
    p = page.page
    headings = p.locator("h2", has_text="연습 1. 텐서의 모양").count()
    images = p.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => i.src.startsWith('data:image/png'))"
               ".map(i => [i.naturalWidth, i.naturalHeight])")
    if not headings or len(images) < 3 or any(w < 100 or h < 100 for w, h in images):
        page.fail(f"the lesson's headings ({headings}) or pictures ({images}) are missing")
    verdict = p.locator("pre", has_text=FAIL_MARK).first
    if not verdict.count() or WRONG_LABEL_COUNTS_VERDICT not in verdict.text_content():
        page.fail("the failed check's verdict is missing")
    labels = verdict.locator("span.ansi-bold.ansi-cyan-intense-fg").all_text_contents()
    if [label.strip() for label in labels] != ["내 값:", "기대값:", "힌트:"]:
        page.fail(f"the verdict's labels lost their styling: {labels}")
    verdict.screenshot(path=str(SCREENSHOTS / f"{page.name}-verdict.png"))


def _check_no_learner_script(page: Page, ran: dict[str, list[str]], where: str) -> None:
    if any(ran.values()):
        page.screenshot(full_page=True)
        page.fail(f"learner script ran in the {where}: {ran}")
    if page.page.title() != LESSON:  # both pages are titled with the notebook's name
        page.fail(f"the {where}'s title changed: {page.page.title()!r}")


def test_hostile_feedback_runs_no_learner_script(hostile_submission, browser):
    feedback, _, listener = hostile_submission
    listener.hits.clear()
    page = Page(browser, "feedback-hostile")
    page.page.goto(feedback.as_uri())
    try:
        page.page.wait_for_selector(f"text={FAIL_MARK}", timeout=30_000)
    except sync_api.TimeoutError:
        page.fail("the feedback page did not show the verdict")
    ran = _scripts_that_ran(page, listener)
    _check_shows_the_notebook(page)
    _check_no_learner_script(page, ran, "feedback HTML")
    # The labels are coloured as in JupyterLab (nncourse.grading.nbgrader_plugins.feedback.AnsiColours): bold cyan.
    label = page.page.locator(f"pre:has-text('{FAIL_MARK}') span.ansi-cyan-intense-fg").first
    style = label.evaluate("s => [getComputedStyle(s).color, getComputedStyle(s).fontWeight]")
    if style != ["rgb(37, 143, 143)", "700"]:
        page.fail(f"the feedback's verdict labels are not bold cyan (#258f8f): {style}")
    page.page.locator("text=내 풀이 설명").first.scroll_into_view_if_needed()
    page.screenshot()


def test_hostile_submission_in_formgrader_runs_no_learner_script(hostile_submission, browser):
    _, url, listener = hostile_submission
    listener.hits.clear()
    page = Page(browser, "formgrader-hostile")
    page.page.goto(url)
    try:
        page.page.wait_for_selector(f"text={FAIL_MARK}", timeout=60_000)
    except sync_api.TimeoutError:
        page.fail("the formgrader did not show the submission")
    ran = _scripts_that_ran(page, listener)
    _check_shows_the_notebook(page)
    # formgrader's own script still works: it filled the grading form in from the gradebook
    _check_no_learner_script(page, ran, "formgrader's view of the submission")
    # formgrader's own page around the notebook is there
    if not page.page.locator("text=Submission 1 / 1").count() or not page.page.locator("input.score").count():
        page.fail("formgrader's header or score inputs are missing")
    page.page.locator("text=내 풀이 설명").first.scroll_into_view_if_needed()
    page.screenshot()


def page_structure(html: str) -> tuple[list, str]:
    """Every element of a page (its tag and attributes) and its text, as a browser parses it."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    elements = [(tag.name, sorted((name, " ".join(value) if isinstance(value, list) else value)
                                  for name, value in tag.attrs.items()))
                for tag in soup.find_all(True)]
    return elements, soup.get_text()


def test_sanitizing_changes_nothing_in_the_honest_lessons():
    """Each lesson's solution notebook, with its stored outputs (plots, printed checks), renders
    to the same elements and text with the course's sanitizing as without it: the cleaner keeps
    every heading, list, table, code block and picture the course itself writes."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config, PyFileConfigLoader

    course = PyFileConfigLoader("nbgrader_config.py", str(REPO / "autograder")).load_config()
    assert course.HTMLExporter.sanitize_html is True
    sanitizing = HTMLExporter(config=Config({"HTMLExporter": course.HTMLExporter}), template_name="classic")
    plain = HTMLExporter(template_name="classic")
    images = headings = 0
    for lesson in lesson_ids():
        notebook = nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
        sanitized, _ = sanitizing.from_notebook_node(notebook)
        unsanitized, _ = plain.from_notebook_node(notebook)
        elements, text = page_structure(sanitized)
        assert (elements, text) == page_structure(unsanitized), lesson
        images += sum(tag == "img" and dict(attrs)["src"].startswith("data:image/png") for tag, attrs in elements)
        headings += sum(tag == "h2" for tag, _ in elements)
    assert images >= 10 and headings >= 40  # the pages compared are the real lessons


def test_class_report_opens_in_the_browser(lab, hostile_submission, browser):
    """`make report` on the graded lesson 01 of this course (the hostile learner, one with a wrong
    answer and an untouched notebook, graded by plain `nbgrader autograde`): its page shows the
    two pictures, the checks and the mistakes with their causes, and links the example learner's
    feedback (#26). Screenshot: build/browser/class-report.png."""
    import subprocess
    import sys

    from nbgrader_course import learner_notebook
    from wrong_answers import WRONG_ANSWERS

    _, _, root = lab
    wrong = WRONG_ANSWERS[LESSON][0]
    submit(root, "report-wrong", LESSON, filled_notebook(LESSON, {wrong.answer_cell: wrong.code}))
    submit(root, "report-blank", LESSON, learner_notebook(LESSON))
    for student in ("report-wrong", "report-blank"):
        run_nbgrader(root, "autograde", LESSON, "--student", student, "--force")
    run_nbgrader(root, "generate_feedback", LESSON, "--student", "report-wrong", "--force")
    made = subprocess.run([sys.executable, "-m", "nncourse.grading.report", "--root", str(root), "--lesson", LESSON],
                          cwd=root, env=nbgrader_env(), capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    page = Page(browser, "class-report")
    page.page.goto((root / "reports" / "index.html").as_uri())
    p = page.page
    if p.title() != "반 보고서":
        page.fail(f"the report's title is {p.title()!r}")
    images = p.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => i.src.startsWith('data:image/png')).map(i => [i.naturalWidth, i.naturalHeight])")
    if len(images) != 2 or any(w < 300 or h < 200 for w, h in images):
        page.fail(f"the report's pictures are missing or tiny: {images}")
    causes = p.eval_on_selector_all("td code", "codes => codes.map(c => c.textContent)")
    if "not attempted" not in causes or not any(cause not in ("not attempted", "undiagnosed") for cause in causes):
        page.fail(f"the report's mistakes lack their causes: {causes}")
    page.screenshot(full_page=True)
    if page.console_errors:
        page.fail("the report page logged errors")
    link = p.locator(f"a[href$='report-wrong/{LESSON}/{LESSON}.html']").first
    if not link.count():
        page.fail("the report links no example learner's feedback")
    link.click()
    p.wait_for_selector(f"text={FAIL_MARK}", timeout=30_000)
    if wrong.hint not in p.content():
        page.fail("the linked feedback does not show the wrong answer's hint")


def test_a_learner_asks_for_a_hint_in_jupyterlab(lab, browser):
    """hint(1) twice, then solution(1) and progress(), in lesson 01's learner notebook in JupyterLab
    (#25): the nudge, then the pointed hint, rendered as Markdown; no answer in a graded release;
    the progress table. Screenshot: build/browser/lab-01-hint.png."""
    from nbgrader_course import learner_notebook
    from nncourse import help as course_help

    base, token, root = lab
    notebook = learner_notebook(LESSON)
    setup = next(cell for cell in notebook.cells if cell.cell_type == "code")
    asked = [nbformat.v4.new_code_cell(source) for source in ("hint(1)", "hint(1)", "solution(1)", "progress()")]
    notebook.cells = [setup, *asked]
    folder = root / "asked" / LESSON
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{LESSON}.ipynb")
    page = Page(browser, "lab-01-hint")
    text = run_all_cells(page, f"{base}/lab/tree/asked/{LESSON}/{LESSON}.ipynb?reset&token={token}")
    hints = course_help.lesson_hints(LESSON)[1]
    shown = page.page.locator(f"{PANEL} .jp-RenderedMarkdown", has_text="힌트 1/2")
    if not shown.count() or hints["nudge"].replace("`", "").strip()[:20] not in text:
        page.fail(f"hint(1) did not show the nudge; outputs:\n{text[:2000]}")
    if "힌트 2/2" not in text or "보여 주지 않습니다" not in text or "진도" not in text:
        page.fail(f"the second hint, the solution's refusal or the progress table is missing:\n{text[:3000]}")
    shown.first.scroll_into_view_if_needed()
    page.screenshot()
