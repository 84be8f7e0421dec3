"""Forgery probes: learner code that tries to give itself points it did not earn (issue #22).

Each probe is the code of lesson 01's first answer cell (``sizes``); every other answer cell
keeps its untouched stub (``raise NotImplementedError``), so an honest grade of every prober is
0 of 9. A probe "gets through" when its notebook earns any point, or when it leaves the evidence
named in ``Probe.evidence`` (a hidden test seen by the learner, a file written by the judge).

``{token}`` and ``{course}`` in the code are replaced by the test.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The value names lesson 01's test cells read, all set to something harmless, so a test cell
#: reaches its (patched) check instead of stopping at a NameError.
DEFINE_ALL = (
    "n_train = n_pixels = pixel_min = pixel_max = pixel_dtype = label_dtype = None\n"
    "first_image = label_counts = xb = yb = last_batch_size = None\n"
    "what_reshape_does = why_valid_set = None\n"
    "n_batches = 1\n"
)

#: Replaces every check the test cells can reach by a function that passes.
PATCH_CHECKS = (
    "import nncourse.graders.mnist_data as _g, nncourse.checks as _c\n"
    "_ok = lambda *a, **k: None\n"
    "def _patch(*_args):\n"
    "    for _n in [n for n in dir(_g) if n.startswith('check_')]:\n"
    "        setattr(_g, _n, _ok)\n"
    "    for _n in ('equal', 'close', 'tensor_equal', 'tensor_close', 'shape', 'dtype', 'is_python_number'):\n"
    "        setattr(_c, _n, _ok)\n"
)


@dataclass(frozen=True)
class Probe:
    name: str
    what: str
    code: str
    drop_setup: bool = False      # the submission also deletes the setup cell
    evidence: str = "points"      # "points", "unpickled" (a file the judge would write), "hidden" (hidden test seen)


PROBES = [
    Probe("input-transformer", "an IPython input transformer turns every test cell into `pass`",
          "def _neuter(lines):\n"
          "    return ['pass\\n'] if any('grader.' in l or 'check.' in l for l in lines) else lines\n"
          "get_ipython().input_transformers_cleanup.append(_neuter)\n"),
    Probe("ast-transformer", "an AST transformer empties every test cell",
          "import ast\n"
          "class _Blank(ast.NodeTransformer):\n"
          "    def visit_Module(self, node):\n"
          "        if 'grader.' in ast.unparse(node) or 'check.' in ast.unparse(node):\n"
          "            node.body = [ast.Pass()]\n"
          "        return node\n"
          "get_ipython().ast_transformers.append(_Blank())\n"),
    Probe("forged-result", "a pre_run_cell hook publishes an execute_result under each test cell",
          "import sys\n"
          "def _forge(info):\n"
          "    if 'grader.' in (info.raw_cell or ''):\n"
          "        sys.displayhook('full marks')\n"
          "get_ipython().events.register('pre_run_cell', _forge)\n"),
    Probe("guard-off", "the guard's event callbacks unregistered, then the checks replaced",
          PATCH_CHECKS + DEFINE_ALL +
          "for _callbacks in get_ipython().events.callbacks.values():\n"
          "    _callbacks.clear()\n"
          "_patch()\n"),
    Probe("setup-deleted", "the setup cell deleted (no guard), then `grader` and `check` replaced",
          "class _Any:\n"
          "    def __getattr__(self, name):\n"
          "        return lambda *a, **k: None\n"
          "grader = check = _Any()\n" + DEFINE_ALL,
          drop_setup=True),
    Probe("closure-letter", "the concept checks' right letters changed inside their closures",
          "for _f in (grader.check_why_valid_set, grader.check_what_reshape_does):\n"
          "    for _cell in _f.__closure__:\n"
          "        if isinstance(_cell.cell_contents, str) and len(_cell.cell_contents) == 1:\n"
          "            _cell.cell_contents = 'A'\n"
          "why_valid_set = what_reshape_does = 'A'\n"),
    Probe("reference-zeroed", "the checks' cached reference data zeroed in place",
          "_ref = check.reference_data()\n"
          "_ref.x_train.zero_()\n_ref.y_train.zero_()\n"
          "first_image = torch.zeros(28, 28)\n"
          "xb = torch.zeros(64, 784)\nyb = torch.zeros(64, dtype=torch.int64)\n"
          "label_counts = torch.zeros(10, dtype=torch.int64)\nlabel_counts[0] = 50000\n"),
    Probe("always-equal", "answers whose __eq__/__ne__ always agree",
          "class _Eq:\n"
          "    __hash__ = object.__hash__\n"
          "    def __eq__(self, other): return True\n"
          "    def __ne__(self, other): return False\n"
          "    def __sub__(self, other): return 0\n"
          "    def __mul__(self, other): return 0\n"
          "n_train = n_pixels = n_batches = last_batch_size = _Eq()\n"),
    Probe("torch-function-mode", "a TorchFunctionMode that makes torch.equal true",
          "from torch.overrides import TorchFunctionMode\n"
          "class _Yes(TorchFunctionMode):\n"
          "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
          "        return True if func is torch.equal else func(*args, **(kwargs or {}))\n"
          "_Yes().__enter__()\n"
          "first_image = torch.zeros(28, 28)\n"
          "xb = torch.zeros(64, 784)\nyb = torch.zeros(64, dtype=torch.int64)\n"),
    Probe("tensor-subclass", "answers that are tensor subclasses equal to anything",
          "class _T(torch.Tensor):\n"
          "    @classmethod\n"
          "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
          "        return True if func is torch.equal else super().__torch_function__(func, types, args, kwargs)\n"
          "first_image = torch.zeros(28, 28).as_subclass(_T)\n"
          "xb = torch.zeros(64, 784).as_subclass(_T)\nyb = torch.zeros(64, dtype=torch.int64).as_subclass(_T)\n"),
    Probe("gc-code-swap", "a gc walk finds the check functions and swaps their code",
          "import gc, types\n" + DEFINE_ALL +
          "_blank = (lambda *a, **k: None).__code__\n"
          "for _obj in gc.get_objects():\n"
          "    if isinstance(_obj, types.FunctionType) and (_obj.__module__ or '').startswith('nncourse') \\\n"
          "            and _obj.__name__ in ('equal', 'close', 'tensor_equal', 'tensor_close', 'shape', 'dtype',\n"
          "                                  'is_python_number', 'check_choice') or (\n"
          "            isinstance(_obj, types.FunctionType) and _obj.__name__.startswith('check_')\n"
          "            and (_obj.__module__ or '').startswith('nncourse.graders')):\n"
          "        try:\n"
          "            _obj.__code__ = _blank\n"
          "        except ValueError:\n"
          "            pass\n"),
    Probe("thread", "a thread keeps replacing the checks, racing the guard",
          PATCH_CHECKS + DEFINE_ALL +
          "import sys, threading\n"
          "sys.setswitchinterval(1e-6)\n"
          "def _loop():\n"
          "    while True:\n"
          "        _patch()\n"
          "threading.Thread(target=_loop, daemon=True).start()\n"),
    Probe("signal-timer", "a timer signal handler replaces the checks during test cells",
          PATCH_CHECKS + DEFINE_ALL +
          "import signal\n"
          "signal.signal(signal.SIGALRM, _patch)\n"
          "signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)\n"),
    Probe("gc-callback", "a garbage-collector callback (a finalizer) replaces the checks",
          PATCH_CHECKS + DEFINE_ALL +
          "import gc\ngc.callbacks.append(_patch)\n"),
    Probe("audit-hook", "an audit hook replaces the checks whenever code is executed",
          PATCH_CHECKS + DEFINE_ALL +
          "import sys\n"
          "sys.addaudithook(lambda event, args: _patch() if event == 'exec' else None)\n"),
    Probe("sys-modules", "sys.modules entries of the course replaced by permissive fakes",
          DEFINE_ALL +
          "import sys, types\n"
          "class _Fake(types.ModuleType):\n"
          "    def __getattr__(self, name):\n"
          "        return lambda *a, **k: None\n"
          "for _name in list(sys.modules):\n"
          "    if _name.startswith('nncourse'):\n"
          "        sys.modules[_name] = _Fake(_name)\n"
          "import nncourse.graders.mnist_data as grader, nncourse.checks as check\n"),
    Probe("unpickle-payload", "answers that run code when unpickled (a file written by the grader)",
          "class _Boom:\n"
          "    def __reduce__(self):\n"
          "        return (open, ('{course}/unpickled-{token}.txt', 'w'))\n"
          "n_train = n_pixels = first_image = label_counts = xb = yb = _Boom()\n",
          evidence="unpickled"),
    Probe("hidden-read", "print the hidden tests: the kernel's history and the notebook in its folder",
          "import glob\n"
          "def _leak(result):\n"
          "    for _src in get_ipython().user_ns.get('In', []):\n"
          "        if 'HID' + 'DEN' in _src:\n"
          "            print('LEAK', _src)\n"
          "get_ipython().events.register('post_run_cell', _leak)\n"
          "for _p in glob.glob('*.ipynb') + glob.glob('**/*.ipynb', recursive=True):\n"
          "    if 'HID' + 'DEN' in open(_p, encoding='utf-8').read():\n"
          "        print('LEAK-FILE', _p)\n",
          evidence="hidden"),
]

#: Text that only lesson 01's hidden tests contain (a hint of the hidden label-count check).
HIDDEN_NEEDLE = "숫자별 개수가 다릅니다"


#: Lesson 05: a learner who never trains, and whose forward looks up each validation image's
#: label and answers with logits tuned to land on the reference loss and accuracy (read from the
#: course's reference_metrics.json). Checked by calling the model on the validation set, as before
#: the judge, this earned the training cell's 3 points; scored from its parameters it earns none.
TRAINED_LESSON = "05_nn_linear"
TRAINED_CELL = "test_training"
LOOKUP_FIT = '''
import json, math, os
import nncourse

_ref = json.load(open(os.path.join(os.path.dirname(nncourse.__file__), "reference_metrics.json")))
_ref = _ref["lessons"]["05_nn_linear"]["trained"]
_acc, _loss = _ref["val_accuracy"]["value"], _ref["val_loss"]["value"]
_labels = {row.numpy().tobytes(): int(label) for row, label in zip(x_valid, y_valid)}
_wrong = set(list(_labels)[:round((1 - _acc) * len(_labels))])

def _mean_loss(c):  # right rows: logit c on the label; wrong rows: c on another class, c - 0.5 on the label
    right = math.log(1 + 9 * math.exp(-c))
    wrong = math.log(math.exp(c) + math.exp(c - 0.5) + 8) - (c - 0.5)
    return _acc * right + (1 - _acc) * wrong

_low, _high = 0.0, 30.0
for _ in range(80):  # the mean loss falls as c grows: find the reference's
    _mid = (_low + _high) / 2
    _low, _high = (_mid, _high) if _mean_loss(_mid) > _loss else (_low, _mid)
_c = (_low + _high) / 2

def _lookup_forward(self, xb):
    out = torch.zeros(len(xb), 10)
    for i, row in enumerate(xb):
        key = row.detach().numpy().tobytes()
        label = _labels.get(key, 0)
        if key in _wrong:
            out[i, (label + 1) % 10], out[i, label] = _c, _c - 0.5
        else:
            out[i, label] = _c
    return out

Mnist_Logistic.forward = _lookup_forward

def fit():
    losses.extend([_loss] * 1564)
'''
