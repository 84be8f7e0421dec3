# Course tasks. `make lab` (learners) or `make test` (maintainers) on a fresh clone installs what it
# needs first; `make setup` and `make system-deps` stay for doing those steps alone (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# nbgrader runs `alembic` when it creates a gradebook, so the venv's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
# Set LESSON=01_mnist_data to work on one lesson; empty means every lesson in solutions/.
LESSON ?=
# Written by `make setup` when the course is installed; `make lab` and `make test` install first
# when it is missing or older than pyproject.toml.
INSTALLED := $(VENV)/.nncourse-installed
LESSONS := $(if $(LESSON),$(LESSON),$(notdir $(wildcard solutions/[0-9]*)))

.PHONY: setup system-deps test test-quick lab bench execute reference generate autograde report feedback export clean-grading learner-bundle

setup:  ## create .venv and install the course (safe to rerun)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -c "import nncourse, torch; print('설치 완료 / installed: nncourse', nncourse.__version__, 'torch', torch.__version__)"
	touch $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(MAKE) setup

system-deps:  ## Debian packages: bubblewrap + libseccomp2 (the grading sandbox), chromium + Hangul and colour-emoji fonts (browser test), PostgreSQL, Slurm + munge (needs root)
	@if command -v bwrap >/dev/null && /sbin/ldconfig -p | grep -q libseccomp.so.2 && command -v chromium >/dev/null && fc-list | grep -qi nanum && fc-list | grep -qi "color emoji" && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ls /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch /usr/sbin/munged >/dev/null 2>&1; then \
	  echo "bubblewrap, libseccomp2, chromium, fonts-nanum, fonts-noto-color-emoji, postgresql, slurm-wlm and munge already installed"; \
	else \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq bubblewrap libseccomp2 chromium fonts-nanum fonts-noto-color-emoji postgresql slurm-wlm munge; \
	fi

test: system-deps $(INSTALLED)  ## the whole suite: unit tests, nbval on the solutions, sync and autograde checks (CI runs this)
	$(BIN)/python -m pytest

# One lesson's grading tests (its mutation class, validate, other machines, nbval) and the quick
# tests, for the developer loop while working on that lesson: make test-quick LESSON=06_optim
QUICK_LESSON := $(or $(LESSON),01_mnist_data)
test-quick: $(INSTALLED)  ## developer loop: the fast tests plus one lesson's grading tests (LESSON=..., default 01); not a substitute for make test
	$(BIN)/python -m pytest tests/test_data.py tests/test_verdict.py tests/test_release_sync.py \
	  tests/test_environment_sync.py tests/test_reference.py \
	  tests/test_autograde.py tests/test_validate.py tests/test_other_machines.py \
	  solutions/$(QUICK_LESSON) -k "$(QUICK_LESSON) or not (test_autograde or test_validate or test_other_machines)"

bench: $(INSTALLED)  ## on an idle machine: per-lesson times, notebooks vs script, sequential vs parallel grading
	$(BIN)/python benchmarks/lesson_times.py $(foreach id,$(LESSON),--lesson $(id))
	$(BIN)/python benchmarks/grading_bench.py

# LAB_ARGS passes JupyterLab options through, e.g. make lab LAB_ARGS="--port=8890 --no-browser"
LAB_ARGS ?=
lab: $(INSTALLED)  ## JupyterLab on the learner notebooks, opening the start page (installs the course first if needed)
	$(BIN)/python -m nncourse.lab notebooks $(LAB_ARGS)

# SELF_STUDY=1: a bundle for learners studying alone, whose solution(N) shows the worked answers
learner-bundle: $(INSTALLED)  ## build/torch-nn-ko-learner.zip: learner notebooks, course package, MNIST; no solutions (SELF_STUDY=1: torch-nn-ko-self-study.zip, with them)
	$(BIN)/python -m nncourse.grading.learner_bundle $(if $(SELF_STUDY),--self-study)

execute: $(INSTALLED)  ## re-run the solution notebooks (one kernel per core), store their outputs (nbval compares them) and their times (lesson_seconds.json: the grader's time budget per notebook)
	$(BIN)/python -m nncourse.grading.execute $(foreach id,$(LESSON),--lesson $(id))

reference: $(INSTALLED)  ## reference metrics and tolerances from the solutions over several seeds
	$(BIN)/python -m nncourse.grading.make_reference $(foreach id,$(LESSON),--lesson $(id))

generate: $(INSTALLED)  ## regenerate the learner notebooks in notebooks/ from solutions/
	for id in $(LESSONS); do \
	  $(BIN)/nbgrader generate_assignment $$id --force || exit 1; \
	done

# WORKERS=N sets the number of parallel graders (default: the number of cores).
WORKERS ?=
autograde: $(INSTALLED)  ## grade submitted/ in parallel, only what changed; then feedback HTML and grades.csv
	$(BIN)/python -m nncourse.grading.grade_class $(foreach id,$(LESSON),--lesson $(id)) $(if $(WORKERS),--workers $(WORKERS))

report: $(INSTALLED)  ## after grading: what the class got wrong, reports/<lesson>/checks.csv and mistakes.csv, reports/index.html (instructor)
	$(BIN)/python -m nncourse.grading.report $(foreach id,$(LESSON),--lesson $(id))

feedback: $(INSTALLED)  ## feedback HTML in feedback/ (instructor)
	for id in $(LESSONS); do $(BIN)/nbgrader generate_feedback $$id || exit 1; done

export: $(INSTALLED)  ## grades.csv (a row per learner and lesson) and grades_per_check.csv (a column per check, for an LMS) from the gradebook (instructor)
	$(BIN)/nbgrader export
	$(BIN)/nbgrader export --exporter nncourse.grading.export.PerCheckExport --to grades_per_check.csv

clean-grading:  ## remove the gradebook and all student folders (asks nothing; instructor only)
	rm -rf gradebook.db submitted autograded feedback grades.csv grading_logs downloaded
