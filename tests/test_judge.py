"""The judge in-process (nncourse.grading.judge): what it accepts from a kernel, and how it
decides a test cell. The end-to-end cases (a real kernel, the real class grader) are in
test_forgery.py; these run in a second each."""

from __future__ import annotations

import base64
import json

import pytest
import torch
import torch.nn.functional as F

from nncourse import checks
from nncourse.grading import judge
from nncourse.grading.judge import agent as judge_agent


def no_calls(request):
    raise AssertionError(f"unexpected request {request['op']}")


def kernel(namespace: dict):
    """``ask`` as the judge has it: answered by the agent from these (kernel-side) values, the
    answer through JSON as it would cross."""
    handles = []

    def ask(request):
        if request.get("fresh"):
            handles.clear()
        return json.loads(json.dumps(judge_agent.answer(json.loads(json.dumps(request)), namespace, handles)))
    return judge.Link(ask)


def read(namespace: dict, name: str):
    """The judge's value of one learner name."""
    ask = kernel(namespace)
    return judge.decode(ask({"op": "values", "names": [name], "fresh": True})[name], ask)


def test_plain_values_and_tensors_cross_by_value():
    tensor = torch.arange(12, dtype=torch.float32).reshape(3, 4).requires_grad_()
    values = {"n": 50000, "x": 0.5, "s": "C", "d": torch.int64, "t": tensor, "b": True,
              "pair": (1, [2.0, None]), "h": torch.tensor([True, False])}
    decoded = {name: read(values, name) for name in values}
    assert decoded["n"] == 50000 and type(decoded["n"]) is int
    assert decoded["x"] == 0.5 and decoded["s"] == "C" and decoded["d"] is torch.int64
    assert decoded["b"] is True and decoded["pair"] == (1, [2.0, None])
    assert torch.equal(decoded["t"].detach(), tensor.detach()) and decoded["t"].requires_grad and decoded["t"].is_leaf
    assert torch.equal(decoded["h"], torch.tensor([True, False]))


def test_a_non_leaf_stays_a_non_leaf():
    base = torch.randn(3).requires_grad_()
    decoded = judge.decode(judge_agent.encode(base / 2), no_calls)
    assert decoded.requires_grad and not decoded.is_leaf


def test_what_the_judge_does_not_rebuild_is_opaque():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

    value = judge.decode(judge_agent.encode(AlwaysEqual()), no_calls)
    assert isinstance(value, judge.OpaqueValue) and type(value).__name__ == "AlwaysEqual"
    assert value != 50000 and not (value == 50000)  # its own __eq__ stayed in the kernel


def test_a_tensor_subclass_arrives_as_a_plain_tensor():
    class Agreeable(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return True if func is torch.equal else super().__torch_function__(func, types, args, kwargs)

    forged = torch.zeros(2, 2).as_subclass(Agreeable)
    value = judge.decode(judge_agent.encode(forged), no_calls)
    assert type(value) is torch.Tensor and not torch.equal(value, torch.ones(2, 2))


@pytest.mark.parametrize("item", [
    {"k": "tensor", "dtype": "float32", "shape": [3], "data": base64.b64encode(b"\0" * 8).decode()},
    {"k": "tensor", "dtype": "complex64", "shape": [1], "data": base64.b64encode(b"\0" * 8).decode()},
    {"k": "tensor", "dtype": "float32", "shape": [-1], "data": ""},
    {"k": "tensor", "dtype": "float32", "shape": [1] * 9, "data": base64.b64encode(b"\0" * 4).decode()},
    {"k": "pickle", "v": "gASV"},
    {"k": "dtype", "v": "__class__"},
    {"k": "int", "v": "9" * 5000},
    "not a dict",
])
def test_malformed_values_are_refused(item):
    with pytest.raises(judge.JudgeError):
        judge.decode(item, no_calls)


def test_a_learner_function_is_called_in_its_kernel_with_probes_by_value():
    kernel_values = {"double": lambda t: t * 2}
    value = read(kernel_values, "double")
    assert isinstance(value, judge.RemoteFunction)
    assert torch.equal(value(torch.ones(2)), torch.full((2,), 2.0))


def test_the_torch_function_itself_is_recognised():
    assert judge.decode(judge_agent.encode(F.cross_entropy), no_calls) is F.cross_entropy


def test_learner_names_of_a_test_cell():
    namespace = judge.judge_namespace("02_from_scratch")
    source = ("grader.check_nll(nll)\nimport torch.nn.functional as F_hidden\n"
              "check_input = torch.randn(3, 10)\nassert len(check_input) == bs\n")
    assert judge.learner_names(source, namespace) == ["nll", "bs"]


def test_a_right_answer_passes_and_prints_the_checks_lines():
    passed, outputs, _ = judge.grade_cell("grader.check_sizes(n_train, n_pixels)", "01_mnist_data",
                                       kernel({"n_train": 50000, "n_pixels": 784}))
    assert passed and "✅" in outputs[0]["text"]


def test_a_wrong_answer_fails_with_its_hint():
    passed, outputs, _ = judge.grade_cell("grader.check_sizes(n_train, n_pixels)", "01_mnist_data",
                                       kernel({"n_train": 784, "n_pixels": 50000}))
    assert not passed and outputs[-1]["output_type"] == "error" and outputs[-1]["ename"] == "CheckFailed"
    assert "바뀌지 않았는지" in outputs[-1]["evalue"]


def test_a_missing_name_fails_as_in_the_kernel():
    passed, outputs, _ = judge.grade_cell("grader.check_sizes(n_train, n_pixels)", "01_mnist_data",
                                       kernel({"n_train": 50000}))
    assert not passed and outputs[-1]["ename"] == "NameError"


def test_a_kernel_that_gives_no_answer_fails_the_cell():
    def ask(request):
        raise judge.JudgeError("no reply")

    passed, outputs, _ = judge.grade_cell("grader.check_sizes(n_train, n_pixels)", "01_mnist_data", ask)
    assert not passed and judge.NOT_READ in outputs[-1]["evalue"]


def test_an_error_in_the_learners_function_is_reported_by_its_name():
    def log_softmax(x):
        return x - totl  # noqa: F821

    passed, outputs, _ = judge.grade_cell("grader.check_log_softmax(log_softmax)", "02_from_scratch",
                                       kernel({"log_softmax": log_softmax}))
    assert not passed and "NameError: name 'totl' is not defined" in outputs[-1]["evalue"]


def test_probes_are_drawn_anew_for_every_cell_and_the_kernel_keeps_its_own():
    seen = []

    def log_softmax(x):
        seen.append(x.clone())
        return torch.log_softmax(x, dim=-1)

    for _ in range(2):
        passed, _, _ = judge.grade_cell("grader.check_log_softmax(log_softmax)", "02_from_scratch",
                                     kernel({"log_softmax": log_softmax}))
        assert passed
    assert not torch.equal(seen[0], seen[1])
    assert checks.PROBE_SHIFT == 0


def test_the_request_cell_reads_its_request_back():
    request = {"op": "values", "names": ["a"], "nonce": "n1", "flag": False}
    published = []
    shell = type("Shell", (), {"user_ns": {"a": 3}})()
    namespace = {"get_ipython": lambda: shell}
    import IPython.display

    original = IPython.display.publish_display_data
    IPython.display.publish_display_data = lambda data: published.append(data)
    try:
        exec(judge.request_source(request), namespace)
        # Later requests call what the first one left on the shell: no agent source sent again.
        shell.user_ns["a"] = 4
        later = judge.request_source({**request, "nonce": "n2"}, agent_sent=True)
        assert len(later) < 200
        exec(later, namespace)
    finally:
        IPython.display.publish_display_data = original
    outputs = [{"output_type": "display_data", "data": published[0]}]
    answer = judge.read_reply(outputs, "n1")
    assert judge.decode(answer["a"], no_calls) == 3
    with pytest.raises(judge.JudgeError):
        judge.read_reply(outputs, "another nonce")
    assert json.loads(published[0][judge_agent.MIME])["nonce"] == "n1"
    answer = judge.read_reply([{"output_type": "display_data", "data": published[1]}], "n2")
    assert judge.decode(answer["a"], no_calls) == 4


def test_torchs_own_layers_are_rebuilt_genuine_with_the_learners_parameters():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, stride=2, padding=1), torch.nn.ReLU(),
                                 torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 10))
    module[4].eval()
    genuine = torch.nn.Linear.forward
    torch.nn.Linear.forward = lambda self, x: torch.zeros(len(x), 10)  # a forward patched in the kernel
    try:
        value = read({"model": module}, "model")
    finally:
        torch.nn.Linear.forward = genuine
    assert type(value) is torch.nn.Sequential and [type(m) for m in value] == [type(m) for m in module]
    names = dict(value.named_parameters())
    assert set(names) == {"0.weight", "0.bias", "4.weight", "4.bias"}
    assert torch.equal(names["0.weight"], module[0].weight.detach()) and value.training and not value[4].training
    xb = torch.randn(3, 1, 28, 28)
    assert torch.allclose(value(xb), module(xb).detach(), atol=1e-6)


def test_a_learners_class_is_built_in_its_kernel_and_its_forward_runs_there_with_the_judges_parameters():
    class Mine(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(4, 3))
            self.b = torch.nn.Parameter(torch.zeros(3))

        def forward(self, xb):
            return xb @ self.w + self.b

    cls = read({"Mine": Mine}, "Mine")
    assert isinstance(cls, type) and issubclass(cls, torch.nn.Module) and cls.__name__ == "Mine"
    with torch.random.fork_rng():
        torch.manual_seed(7)
        model = cls()
        torch.manual_seed(7)
        expected = Mine()
    assert type(model).__name__ == "Mine" and torch.equal(model.w.detach(), expected.w.detach())
    with torch.no_grad():
        model.b.copy_(torch.arange(3.0))  # the judge's value is what the kernel computes with
    xb = torch.randn(2, 4)
    out = model(xb)
    assert torch.allclose(out, xb @ expected.w.detach() + torch.arange(3.0), atol=1e-6)
    out.sum().backward()  # the backward pass crosses too
    assert torch.allclose(model.w.grad, xb.T @ torch.ones(2, 3), atol=1e-6)
    assert torch.equal(model.b.grad, torch.full((3,), 2.0))


def test_a_trained_module_is_scored_from_its_parameters_not_from_its_forward():
    """A forward that ignores its parameters (it could look answers up) does not match them."""
    from nncourse.graders import common

    class LookUp(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(784, 10)

        def forward(self, xb):
            return torch.zeros(len(xb), 10)

    model = LookUp()
    value = read({"model": model}, "model")
    trained = common.affine_model(value)
    with pytest.raises(checks.CheckFailed, match="매개변수로 계산한 값과 같아야"):
        common.check_model_matches(value, trained, common.logits_hint)


#: Judged cells whose learner value is one function of probe inputs the judge draws at random.
FUNCTION_CELLS = {"02_from_scratch": {"test_log_softmax": "log_softmax", "test_nll": "nll",
                                      "test_accuracy": "accuracy"},
                  "03_functional": {"test_cross_entropy_by_parts": "cross_entropy_by_parts"}}
DRAWS = 40


def _function_cases():
    from nbgrader_course import solution_cells, solution_code, solution_notebook, grade_id
    from wrong_answers import WRONG_ANSWERS

    for lesson, cells in FUNCTION_CELLS.items():
        notebook = solution_notebook(lesson)
        sources = {grade_id(cell): cell.source for cell in notebook.cells if grade_id(cell) in cells}
        answers = {gid: solution_code(src) for gid, src in solution_cells(notebook).items()}
        for test_cell, name in cells.items():
            yield lesson, test_cell, sources[test_cell], "solution", answers[name], True
            for wrong in WRONG_ANSWERS[lesson]:
                if wrong.test_cell == test_cell:
                    yield lesson, test_cell, sources[test_cell], wrong.name, wrong.code, False


@pytest.mark.parametrize("lesson, test_cell, source, variant, code, right", list(_function_cases()),
                         ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None)
def test_random_probes_still_separate_right_from_wrong(lesson, test_cell, source, variant, code, right):
    """The judge draws new probe inputs for every cell: over many draws, the solution always
    passes and every wrong answer of the suite always fails (no draw lets a mistake through)."""
    namespace = {"torch": torch, "F": F}
    exec(code, namespace)
    outcomes = {judge.grade_cell(source, lesson, kernel(namespace))[0]
                for _ in range(DRAWS)}
    assert outcomes == {right}, f"{variant}: passed {outcomes} over {DRAWS} draws"


def test_an_optimizer_arrives_as_its_settings_and_the_identities_of_its_tensors():
    from nncourse.graders import common, optim as optim_grader

    model = torch.nn.Linear(784, 10)
    other = torch.nn.Linear(784, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for module, optimizer, same in ((model, opt, True), (other, opt, False)):
        namespace = {"model": module, "opt": optimizer}
        ask = kernel(namespace)
        values = {name: judge.decode(item, ask)
                  for name, item in ask({"op": "values", "names": ["model", "opt"], "fresh": True}).items()}
        assert common.is_optimizer(values["opt"]) and common.is_exactly(values["opt"], torch.optim.SGD)
        assert values["opt"].param_groups[0]["lr"] == 0.5 and values["opt"].param_groups[0]["momentum"] == 0
        held = {common.identity(p) for group in values["opt"].param_groups for p in group["params"]}
        assert (held == set(common.parameter_identities(values["model"]))) is same
        if same:
            optim_grader.check_optimizer(values["model"], values["opt"])
        else:
            with pytest.raises(checks.CheckFailed, match="다른 모델의 매개변수"):
                optim_grader.check_optimizer(values["model"], values["opt"])


def test_the_lessons_cnn_is_rebuilt_from_its_parameters_whatever_its_layer_names():
    from nncourse.graders import cnn, common

    class Renamed(torch.nn.Module):  # layers registered in another order, under other names
        def __init__(self):
            super().__init__()
            self.last = torch.nn.Conv2d(16, 10, 3, stride=2, padding=1)
            self.first = torch.nn.Conv2d(1, 16, 3, stride=2, padding=1)
            self.middle = torch.nn.Conv2d(16, 16, 3, stride=2, padding=1)

        def forward(self, xb):
            xb = xb.view(-1, 1, 28, 28)
            for layer in (self.first, self.middle, self.last):
                xb = F.relu(layer(xb))
            return F.adaptive_avg_pool2d(xb, 1).flatten(1)

    model = Renamed()
    value = read({"model": model}, "model")
    trained = cnn.cnn_from_parameters(value)
    common.check_model_matches(value, trained, cnn._cnn_hint)
    xb = torch.rand(5, 784)
    assert torch.allclose(trained(xb), model(xb).detach(), atol=1e-6)
    with pytest.raises(checks.CheckFailed, match="이 강의의 CNN"):
        cnn.cnn_from_parameters(torch.nn.Linear(784, 10))


def test_an_optimizer_a_check_steps_is_a_genuine_one_over_the_judges_copies():
    """06's hidden test steps the optimizer get_model() returned: the judge steps a genuine SGD
    with the learner's settings over its copies of that model's parameters; the kernel's stay."""
    def get_model():
        model = torch.nn.Linear(4, 3)
        return model, torch.optim.SGD(model.parameters(), lr=0.5, weight_decay=0.1)

    model, opt = read({"get_model": get_model}, "get_model")()
    assert type(model) is torch.nn.Linear and opt.param_groups[0]["weight_decay"] == 0.1
    before = model.weight.detach().clone()
    model(torch.ones(2, 4)).sum().backward()
    opt.step()
    expected = before - 0.5 * (model.weight.grad + 0.1 * before)
    assert torch.allclose(model.weight.detach(), expected, atol=1e-6)
    opt.zero_grad()
    assert model.weight.grad is None


def test_a_learners_tensor_a_check_changed_is_what_their_function_sees():
    """03's probe gives the learner's bias other values: their function, run in the kernel, reads
    the judge's values of it for the call, and the kernel's tensor is put back afterwards."""
    bias = torch.zeros(3)
    namespace = {"bias": bias, "model": lambda xb: xb + bias}
    passed, outputs, _ = judge.grade_cell(
        "assert torch.equal(model(torch.zeros(1, 3)), torch.zeros(1, 3))\n"
        "bias.copy_(torch.tensor([1.0, 2.0, 3.0]))\n"
        "assert torch.equal(model(torch.zeros(1, 3)), torch.tensor([[1.0, 2.0, 3.0]]))\n",
        "03_functional", kernel(namespace))
    assert passed, outputs
    assert torch.equal(bias, torch.zeros(3))


def test_a_probe_function_crosses_as_its_two_numbers():
    class Lambda(torch.nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    layer = read({"Lambda": Lambda}, "Lambda")(checks.Affine(2, 1))
    assert torch.equal(layer(torch.arange(3.0)), torch.tensor([1.0, 3.0, 5.0]))


def test_the_courses_data_crosses_by_fingerprint_and_loaders_are_rebuilt_genuine():
    """A DataLoader arrives as its settings and its dataset; x_train (157 MB) as its SHA-256,
    which the judge knows: the rebuilt loader serves the judge's own copy of the data."""
    from torch.utils.data import DataLoader, RandomSampler, TensorDataset

    data = checks.reference_data()
    changed = data.x_valid.clone()
    changed[0, 0] += 1
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=64, shuffle=True)
    value = read({"train_dl": loader}, "train_dl")
    assert type(value) is DataLoader and isinstance(value.sampler, RandomSampler) and value.batch_size == 64
    assert value.dataset.tensors[0] is judge._course_tensors()[
        ("float32", (50000, 784), judge_agent._tensor(data.x_train, torch, 0)["sha256"])]
    other = read({"x": changed}, "x")  # not the course's: same shape and dtype, equal to nothing
    assert other.shape == changed.shape and not torch.equal(other, changed) and not torch.equal(other, data.x_valid)


def test_a_learners_iterable_object_is_iterated_in_its_kernel():
    class Wrapped:
        def __init__(self, items):
            self.items = items

        def __len__(self):
            return len(self.items)

        def __iter__(self):
            return iter(self.items)

    value = read({"w": Wrapped([torch.full((2,), float(i)) for i in range(20)])}, "w")
    assert len(value) == 20 and type(value).__name__ == "Wrapped"
    assert [int(item[0]) for item in value] == list(range(20))  # over several chunks
    assert not hasattr(read({"o": object()}, "o"), "__len__")


FIT = """
def fit():
    for xb, yb in zip(x_train.split(64), y_train.split(64)):
        F.cross_entropy(model(xb), yb).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= p.grad * lr
            model.zero_grad()
        losses.append(1.0)
"""


def test_a_fit_is_run_in_its_kernel_on_the_judges_stand_in_and_its_globals_are_put_back():
    """04's fit() reads the notebook's globals: the judge has them replaced by its stand-in and
    probe data in the kernel for the call; the stand-in comes back trained, the globals as they were."""
    from nncourse.graders import nn_module

    namespace = {"torch": torch, "F": F, "model": "the notebook's model", "lr": 0.5, "losses": []}
    exec(FIT, namespace)
    probe = nn_module.ProbeLogistic()
    data = checks.reference_data()
    x, y = data.x_train[:128], data.y_train[:128]
    after = read(namespace, "fit").call_with_globals(dict(model=probe, x_train=x, y_train=y, losses=[]),
                                                     ("losses", "lr"))
    assert after == {"losses": [1.0, 1.0], "lr": 0.5}
    assert namespace["model"] == "the notebook's model" and namespace["losses"] == [] and "x_train" not in namespace
    expected = nn_module.ProbeLogistic()
    for xb, yb in zip(x.split(64), y.split(64)):
        F.cross_entropy(expected(xb), yb).backward()
        with torch.no_grad():
            for p in expected.parameters():
                p -= p.grad * 0.5
            expected.zero_grad()
    assert torch.allclose(probe.w, expected.w, atol=1e-6) and torch.allclose(probe.b, expected.b, atol=1e-6)


def test_every_graded_cell_of_the_course_is_decided_by_the_judge():
    """No test cell's points come from the learner's kernel: each lesson's grader lists all of
    its test cells in JUDGED (a new cell must be added there, or it runs in the kernel)."""
    from nbgrader_course import graded_cells, lesson_ids, solution_notebook

    left = {lesson: sorted(set(graded_cells(solution_notebook(lesson))) - judge.judged_cells(lesson))
            for lesson in lesson_ids()}
    assert not any(left.values()), left


def test_a_view_of_the_courses_data_crosses_as_where_it_lies():
    """Validation batches the judge sends to a learner's model are not sent as bytes: the kernel
    takes the same view of its own copy of the data."""
    data = checks.reference_data()
    batch = data.x_valid[100:228].view(-1, 1, 28, 28)
    item = judge.encode_argument(batch)
    assert item["k"] == "course_view" and len(json.dumps(item)) < 300
    assert torch.equal(judge_agent.decode(item), batch)
    assert judge.encode_argument(batch.clone())["k"] == "tensor"  # a copy is the judge's own tensor


def test_a_kernel_that_fakes_the_fingerprint_must_also_show_the_rows_the_judge_draws():
    """A kernel could claim x_train's SHA-256 for other data (by patching hashlib): the judge also
    asks for rows it draws per cell, and other data shows other rows there."""
    data = checks.reference_data()
    link = kernel({})
    judge_agent.SAMPLE[:] = link.sample
    try:
        honest = judge_agent._tensor(data.x_train, torch, judge_agent.DIGEST_BYTES)
        forged = dict(judge_agent._tensor(data.x_train.flip(0).contiguous(), torch, judge_agent.DIGEST_BYTES),
                      sha256=honest["sha256"])
    finally:
        judge_agent.SAMPLE[:] = []
    assert judge.decode(honest, link) is judge._course_tensors()[("float32", (50000, 784), honest["sha256"])]
    faked = judge.decode(forged, link)
    assert faked.shape == data.x_train.shape and not torch.equal(faked, data.x_train)
    assert not torch.equal(judge.decode(dict(honest, rows={}), link), data.x_train)  # rows withheld
