"""Whose work each file of an LMS download is, for ``nbgrader zip_collect``.

nbgrader's ``FileNameCollectorPlugin`` reads the student id from each file's own name (the
course's ``named_regexp`` takes ``<id>_<lesson>.ipynb`` from the last part of the path). In a
bulk download that name is the LMS's for a notebook a learner uploaded, but when a learner
uploads an archive (``mallory_01_mnist_data.zip``, which nbgrader extracts into a folder of that
name) the names inside are the learner's own: an ``ada_01_mnist_data.ipynb`` in mallory's zip was
collected as ada's work, and two files for one id stopped nbgrader ("Duplicate submission file.
No timestamps for comparison"), and with it the whole class.

``TrustedNameCollector`` (``python -m nncourse.grading.grade_class --zip-collect`` passes it as
``ZipCollectApp.collector_plugin``) decides with the whole download in view:

* **The outermost name decides.** Each part of a file's path below ``extracted/`` may name a
  learner: the file itself (``<id>_<lesson>.ipynb``) or a folder (``<id>_<lesson>``: an
  extracted ``<id>_<lesson>.zip`` or an LMS folder). The outermost such name is the one the
  LMS gave; a deeper name naming another id was written by the learner, so that file is
  reported and collected for nobody (not for the uploader either: it says it is someone
  else's work).
* **One file per learner and notebook.** When several files give the same id for one notebook,
  byte-identical copies are collected once; different files are all reported and none is
  collected (the course's names carry no timestamp to choose by). The instructor puts the
  right one in ``submitted/<id>/<lesson>/``.
* **An id must be a plain folder name.** An id starting with a dot (``.``, ``..``) is reported
  and not collected: ``submitted/../<lesson>`` is outside ``submitted/``.

Every other file is collected exactly as nbgrader collects it, so each file goes to one id at
most and each learner's notebook comes from one file.

``TolerantExtractor`` (``ZipCollectApp.extractor_plugin``) extracts like nbgrader's extractor,
archives inside archives included, except that an archive that cannot be opened (a learner's
"zip" that is not one, or a truncated one) is reported and left out instead of stopping the
collect of the whole lesson, and archives nest at most ``max_depth`` deep (a zip that contains
itself extracted forever).

What was not collected is written as JSON to each plugin's ``report_path`` (``grade_class``
prints it) and logged as warnings.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from nbgrader.utils import unzip
from traitlets import Integer, Unicode


@dataclass
class NotCollected:
    kind: str          # "conflict" | "claimed" | "bad-id" | "archive"
    student: str       # the id the file(s) named
    files: list[str]   # course-relative paths
    owner: str = ""    # claimed: the id that the LMS's name gives the upload
    destination: str = ""  # conflict: where the submission would go (course-relative)
    reason: str = ""   # archive: why it was not extracted

    def message(self) -> str:
        listed = ", ".join(self.files)
        if self.kind == "conflict":
            return (f"수거하지 않음: 학생 id '{self.student}' 의 같은 노트북이라는 서로 다른 파일이 "
                    f"{len(self.files)}개 있습니다: {listed}. 어느 것이 제출물인지 확인해 {self.destination} 에 직접 두세요 / "
                    f"not collected: {len(self.files)} different files name student id '{self.student}' "
                    f"for one notebook: {listed}; put the right one at {self.destination} yourself.")
        if self.kind == "claimed":
            return (f"수거하지 않음: 학생 '{self.owner}' 의 업로드 안에 있는 {listed} 는 이름이 다른 학생의 "
                    f"id('{self.student}')입니다. 업로드 안의 이름은 학습자가 정한 것이라 믿지 않으며, 누구의 "
                    f"것으로도 채점하지 않습니다 / not collected: {listed}, inside the upload of "
                    f"'{self.owner}', names another student id '{self.student}'; names inside an upload "
                    f"are the learner's, not the LMS's, so it is graded for nobody.")
        if self.kind == "archive":
            return (f"수거하지 않음: 압축 파일 {listed} 를 풀지 않았습니다({self.reason}). 그 안의 제출물은 "
                    f"수거하지 않았고 나머지는 수거했습니다 / not collected: archive {listed} was not "
                    f"extracted ({self.reason}); nothing in it was collected, everything else was.")
        return (f"수거하지 않음: {listed} 의 학생 id('{self.student}')는 점으로 시작해 폴더 이름으로 쓸 수 "
                f"없습니다 / not collected: {listed}: student id '{self.student}' starts with a dot and "
                f"cannot be a folder of submitted/.")


def read_report(path: Path) -> list[NotCollected]:
    """What a ``TrustedNameCollector`` run did not collect (nothing when it wrote no report)."""
    try:
        return [NotCollected(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]
    except FileNotFoundError:
        return []


def _write_report(path: str, entries: list[NotCollected]) -> None:
    if path:
        Path(path).write_text(json.dumps([asdict(entry) for entry in entries], ensure_ascii=False, indent=1),
                              encoding="utf-8")


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class TrustedNameCollector(FileNameCollectorPlugin):
    report_path = Unicode(
        "", help="Write what was not collected here, as JSON (nncourse.grading.nbgrader_plugins.lms_collect.read_report)."
    ).tag(config=True)

    _decided: dict[str, dict] | None = None

    def collect(self, submitted_file: str) -> dict | None:
        if self._decided is None:
            self._decided = self._decide()
        return self._decided.get(submitted_file)

    def _claims(self, extracted: str, path: str) -> list[str]:
        """The ids that the parts of ``path`` below ``extracted`` name, outermost first."""
        parts = Path(os.path.relpath(path, extracted)).parts
        claims = []
        for depth, part in enumerate(parts):
            names = [part] if depth == len(parts) - 1 else [part, part + ".ipynb"]
            for name in names:
                match = re.match(self.named_regexp, os.path.join(extracted, *parts[:depth], name))
                if match and match.groupdict().get("student_id"):
                    claims.append(match.group("student_id"))
                    break
        return claims

    def _decide(self) -> dict[str, dict]:
        app = self.parent
        extracted = app._format_collect_path(app.extracted_directory)
        root = app.coursedir.root

        def shown(path: str) -> str:
            return os.path.relpath(path, root)

        files = sorted(os.path.join(folder, name) for folder, _, names in os.walk(extracted) for name in names)
        not_collected: list[NotCollected] = []
        by_notebook: dict[tuple[str, str], list[tuple[str, dict]]] = {}
        for path in files:
            info = super().collect(path)
            if not info:
                continue  # nbgrader skips it, and says so
            claims = self._claims(extracted, path)
            owner = claims[0] if claims else info["student_id"]
            if any(claim != owner for claim in claims):
                other = next(claim for claim in claims if claim != owner)
                not_collected.append(NotCollected("claimed", other, [shown(path)], owner=owner))
            elif owner.startswith("."):
                not_collected.append(NotCollected("bad-id", owner, [shown(path)]))
            else:
                by_notebook.setdefault((owner, info["file_id"]), []).append((path, {**info, "student_id": owner}))

        decided = {}
        for (student, notebook), found in by_notebook.items():
            if len({_digest(path) for path, _ in found}) > 1:
                destination = app.coursedir.format_path(app.coursedir.submitted_directory, student,
                                                        app.coursedir.assignment_id)
                not_collected.append(NotCollected("conflict", student, [shown(path) for path, _ in found],
                                                  destination=shown(os.path.join(destination, notebook))))
                continue
            path, info = found[0]
            decided[path] = info
            for copy, _ in found[1:]:
                self.log.info("Same file as %s, collected once: %s", path, copy)

        for entry in not_collected:
            self.log.warning(entry.message())
        _write_report(self.report_path, not_collected)
        return decided


class TolerantExtractor(ExtractorPlugin):
    report_path = Unicode(
        "", help="Write the archives left out here, as JSON (nncourse.grading.nbgrader_plugins.lms_collect.read_report)."
    ).tag(config=True)
    max_depth = Integer(4, help="Archives inside archives are extracted this many levels deep.").tag(config=True)

    def extract(self, archive_path: str, extracted_path: str) -> None:
        self._root = self.parent.coursedir.root
        self._left_out: list[NotCollected] = []
        if not os.listdir(archive_path):
            self.log.warning("No files found in directory: %s", archive_path)
        for folder, _, names in os.walk(archive_path):
            extract_to = os.path.normpath(os.path.join(extracted_path, os.path.relpath(folder, archive_path)))
            os.makedirs(extract_to, exist_ok=True)
            for name in sorted(names):
                path = os.path.join(folder, name)
                if self._is_archive(name):
                    self._extract(path, extract_to, depth=1)
                else:
                    shutil.copy(path, os.path.join(extract_to, name))
        for entry in self._left_out:
            self.log.warning(entry.message())
        _write_report(self.report_path, self._left_out)

    def _is_archive(self, name: str) -> bool:
        return os.path.splitext(name)[1] in self.zip_ext

    def _extract(self, archive: str, into: str, depth: int) -> None:
        """``archive`` into its own folder in ``into`` (named as nbgrader names it), then the
        archives found in that folder, one level deeper each."""
        stem = os.path.splitext(os.path.basename(archive))[0]
        base, ext = os.path.splitext(stem)
        folder = os.path.join(into, base if ext == ".tar" else stem)
        existed = os.path.exists(folder)
        self.log.info("Extracting from: %s", archive)
        try:
            unzip(archive, into, zip_ext=self.zip_ext, create_own_folder=True, tree=False)
        except Exception as error:  # setuptools' UnrecognizedFormat, zipfile's BadZipFile, zlib, OSError...
            if not existed:  # nothing half-extracted gets collected
                shutil.rmtree(folder, ignore_errors=True)
            self._left_out.append(NotCollected("archive", "", [os.path.relpath(archive, self._root)],
                                               reason=f"{type(error).__name__}: {error}"[:200]))
            return
        nested = sorted(os.path.join(where, name) for where, _, names in os.walk(folder)
                        for name in names if self._is_archive(name))
        for path in nested:
            if depth >= self.max_depth:
                self._left_out.append(NotCollected("archive", "", [os.path.relpath(path, self._root)],
                                                   reason=f"압축 안의 압축이 {depth}단계 넘게 깊음 / nested "
                                                          f"more than {depth} deep"))
            else:
                self._extract(path, os.path.dirname(path), depth + 1)
