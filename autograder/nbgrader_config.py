# nbgrader settings of the course. The root nbgrader_config.py loads this file and sets the
# course root, so plain `nbgrader <command>` works from the repository root.
c = get_config()  # noqa: F821 (provided by traitlets when it runs this file)

c.CourseDirectory.course_id = "torch-nn-ko"
# A shared gradebook (PostgreSQL) by environment, so that its password is on no command line:
# `python -m nncourse.grading.grade_class` passes its --db-url/--db-url-file to nbgrader this way.
import os  # noqa: E402

if os.environ.get("NNCOURSE_DB_URL"):
    c.CourseDirectory.db_url = os.environ["NNCOURSE_DB_URL"]
# solutions/<id>/<id>.ipynb is the source; generate_assignment writes notebooks/<id>/<id>.ipynb.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
# Never release a stray gradebook (nbgrader creates one wherever it runs without a config) or
# checkpoints and caches.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "gradebook.db",
    "gradebook.db-journal",
    # A learner's own modules are not copied into the grading folder: the kernel puts that
    # folder on sys.path before site-packages, so an `nncourse.py` (or `nncourse/`, `torch.py`
    # ...) there would replace the course's checks. The lessons never ask for .py files.
    "*.py",
    "*.pth",
    # Lesson 10's capstone saves its model here (my_model.pt); a saved model is the learner's
    # output, not course material, and the grading kernel writes its own.
    "*.pt",
    "*.so",
    "nncourse",
    "torch",
    "numpy",
    "matplotlib",
    "tqdm",
]

# The default is 30 s per cell. The slowest training cell of the course takes a few seconds
# with one torch thread; 120 s leaves room for a loaded machine while an endless loop still
# costs only two minutes.
c.Execute.timeout = 120

c.ClearSolutions.code_stub = {
    "python": "# 여기에 코드를 작성하세요.\nraise NotImplementedError(\"아직 답을 작성하지 않았습니다\")",
}
c.ClearSolutions.text_stub = "여기에 답을 쓰세요."

# LMS downloads (`nbgrader zip_collect`, used by `python -m nncourse.grading.grade_class --zip-collect`):
# downloaded/<lesson>/archive/ holds files named <student>_<lesson>.ipynb, loose or in zips.
# Student ids may contain letters, digits, dots and hyphens (not underscores).
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[A-Za-z0-9.\-]+)_(?P<file_id>\d\d_[a-z_]+\.ipynb)$"
# A student id comes from the outermost name the LMS gave a file, never from a name inside a
# learner's upload; conflicts and unreadable archives are logged and left out, the rest collected
# (nncourse.grading.nbgrader_plugins.lms_collect). Plain `nbgrader zip_collect` gets the same rule.
c.ZipCollectApp.collector_plugin = "nncourse.grading.nbgrader_plugins.lms_collect.TrustedNameCollector"
c.ZipCollectApp.extractor_plugin = "nncourse.grading.nbgrader_plugins.lms_collect.TolerantExtractor"

# Feedback HTML must not show hidden tests (nor their lines in a traceback).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from nncourse.grading.nbgrader_plugins.feedback import AnsiColours, HideHiddenTests  # noqa: E402

# AnsiColours: the verdict's coloured labels and tracebacks' colours (the page has no ANSI CSS)
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor, AnsiColours]

# No learner script in the instructor's pages: the feedback HTML and formgrader's view of a
# submission (both nbconvert's HTMLExporter, configured here) show a learner's outputs and
# Markdown with JavaScript left out and their HTML cleaned (see nncourse.grading.nbgrader_plugins.feedback).
from nncourse.grading.nbgrader_plugins.feedback import SanitizedMarkdown2HTML, clean_learner_html  # noqa: E402

c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"clean_html": clean_learner_html, "markdown2html": SanitizedMarkdown2HTML}
# An SVG output is shown as a picture (<img src="data:image/svg+xml...">), which runs no script;
# inline, its <script> and onload would run.
c.HTMLExporter.skip_svg_encoding = False

# A deleted test cell is put back and run (nncourse.grading.nbgrader_plugins.missing_tests), instead of scoring 0 and
# waiting for a manual grade.
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import OverwriteCells  # noqa: E402

from nncourse.grading.nbgrader_plugins.missing_tests import RestoreDeletedTests  # noqa: E402

c.Autograde.sanitize_preprocessors = [
    RestoreDeletedTests if step is OverwriteCells else step
    for step in Autograde.class_traits()["sanitize_preprocessors"].default()
]

# Learners' code runs in a bubblewrap sandbox when `python -m nncourse.grading.grade_class` grades it
# (it passes --SandboxedExecute.sandbox=True; see nncourse.grading.kernels.sandbox). The test cells that a
# lesson's grader lists in JUDGED are decided by the judge, outside the learner's kernel, in every
# autograde, sandboxed or not (nncourse.grading.judge). Plain `nbgrader validate` (the learner's
# own check) runs every cell in the learner's kernel as before.
from nbgrader.preprocessors import Execute  # noqa: E402

from nbgrader.preprocessors import SaveAutoGrades  # noqa: E402

from nncourse.grading.nbgrader_plugins.judged_execute import JudgedExecute  # noqa: E402
from nncourse.grading.results import SaveResults  # noqa: E402

# After nbgrader saved the scores, SaveResults keeps each test cell's cause and the course version
# that graded it in the gradebook, for `make report` and `grade_class --regrade-changed`.
c.Autograde.autograde_preprocessors = [
    new_step
    for step in Autograde.class_traits()["autograde_preprocessors"].default()
    for new_step in ({Execute: [JudgedExecute], SaveAutoGrades: [SaveAutoGrades, SaveResults]}.get(step, [step]))
]
