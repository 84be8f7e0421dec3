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
from nncourse.grading import judge, judge_agent


def no_calls(name, args):
    raise AssertionError(f"unexpected call of {name}")


def fetch_from(values: dict):
    """A fetch that answers as the kernel's agent would, from these (kernel-side) values."""
    def fetch(names):
        return judge_agent.answer({"op": "values", "names": names}, values)
    return fetch


def calls_into(namespace: dict):
    def call(name, args):
        answer = judge_agent.answer({"op": "call", "name": name,
                                     "args": [judge.encode_argument(arg) for arg in args]}, namespace)
        result = answer["result"]
        if result["k"] == "raised":
            raise judge.learner_error(result["type"], result["message"], result.get("traceback"))
        return judge.decode(result, call)
    return call


def test_plain_values_and_tensors_cross_by_value():
    tensor = torch.arange(12, dtype=torch.float32).reshape(3, 4).requires_grad_()
    values = {"n": 50000, "x": 0.5, "s": "C", "d": torch.int64, "t": tensor, "b": True,
              "pair": (1, [2.0, None]), "h": torch.tensor([True, False])}
    answer = judge_agent.answer({"op": "values", "names": list(values)}, values)
    decoded = {name: judge.decode(answer[name], no_calls) for name in values}
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
    kernel = {"double": lambda t: t * 2}
    value = judge.decode(judge_agent.encode(kernel["double"]), calls_into(kernel), variable="double")
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
    passed, outputs = judge.grade_cell("grader.check_sizes(n_train, n_pixels)", "01_mnist_data",
                                       fetch_from({"n_train": 50000, "n_pixels": 784}), no_calls)
    assert passed and "✅" in outputs[0]["text"]


def test_a_wrong_answer_fails_with_its_hint():
    passed, outputs = judge.grade_cell("grader.check_sizes(n_train, n_pixels)", "01_mnist_data",
                                       fetch_from({"n_train": 784, "n_pixels": 50000}), no_calls)
    assert not passed and outputs[-1]["output_type"] == "error" and outputs[-1]["ename"] == "CheckFailed"
    assert "바뀌지 않았는지" in outputs[-1]["evalue"]


def test_a_missing_name_fails_as_in_the_kernel():
    passed, outputs = judge.grade_cell("grader.check_sizes(n_train, n_pixels)", "01_mnist_data",
                                       fetch_from({"n_train": 50000}), no_calls)
    assert not passed and outputs[-1]["ename"] == "NameError"


def test_a_kernel_that_gives_no_answer_fails_the_cell():
    def fetch(names):
        raise judge.JudgeError("no reply")

    passed, outputs = judge.grade_cell("grader.check_sizes(n_train, n_pixels)", "01_mnist_data", fetch, no_calls)
    assert not passed and judge.NOT_READ in outputs[-1]["evalue"]


def test_an_error_in_the_learners_function_is_reported_by_its_name():
    def log_softmax(x):
        return x - totl  # noqa: F821

    passed, outputs = judge.grade_cell("grader.check_log_softmax(log_softmax)", "02_from_scratch",
                                       fetch_from({"log_softmax": log_softmax}),
                                       calls_into({"log_softmax": log_softmax}))
    assert not passed and "NameError: name 'totl' is not defined" in outputs[-1]["evalue"]


def test_probes_are_drawn_anew_for_every_cell_and_the_kernel_keeps_its_own():
    seen = []

    def log_softmax(x):
        seen.append(x.clone())
        return torch.log_softmax(x, dim=-1)

    for _ in range(2):
        passed, _ = judge.grade_cell("grader.check_log_softmax(log_softmax)", "02_from_scratch",
                                     fetch_from({"log_softmax": log_softmax}), calls_into({"log_softmax": log_softmax}))
        assert passed
    assert not torch.equal(seen[0], seen[1])
    assert checks.PROBE_SHIFT == 0


def test_the_request_cell_reads_its_request_back():
    request = {"op": "values", "names": ["a"], "nonce": "n1", "flag": False}
    source = judge.request_source(request)
    published = []
    namespace = {"get_ipython": lambda: type("Shell", (), {"user_ns": {"a": 3}})()}
    import IPython.display

    original = IPython.display.publish_display_data
    IPython.display.publish_display_data = lambda data: published.append(data)
    try:
        exec(source, namespace)
    finally:
        IPython.display.publish_display_data = original
    outputs = [{"output_type": "display_data", "data": published[0]}]
    answer = judge.read_reply(outputs, "n1")
    assert judge.decode(answer["a"], no_calls) == 3
    with pytest.raises(judge.JudgeError):
        judge.read_reply(outputs, "another nonce")
    assert json.loads(published[0][judge_agent.MIME])["nonce"] == "n1"


def test_a_module_arrives_as_its_parameters_and_is_called_back_by_name():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(784, 10))
    kernel = {"model": module}
    value = judge.decode(judge_agent.encode(module), calls_into(kernel), variable="model")
    assert isinstance(value, judge.ModuleValue) and type(value).__name__ == "Sequential"
    names = dict(value.named_parameters())
    assert set(names) == {"0.weight", "0.bias"} and torch.equal(names["0.weight"], module[0].weight.detach())
    assert ("0", "Linear") in value.module_types() and value.training
    xb = torch.randn(3, 784)
    assert torch.allclose(value(xb), module(xb).detach())


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
    value = judge.decode(judge_agent.encode(model), calls_into({"model": model}), variable="model")
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
    outcomes = {judge.grade_cell(source, lesson, fetch_from(namespace), calls_into(namespace))[0]
                for _ in range(DRAWS)}
    assert outcomes == {right}, f"{variant}: passed {outcomes} over {DRAWS} draws"


def test_an_optimizer_arrives_as_its_settings_and_the_identities_of_its_tensors():
    from nncourse.graders import common, optim as optim_grader

    model = torch.nn.Linear(784, 10)
    other = torch.nn.Linear(784, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for module, optimizer, same in ((model, opt, True), (other, opt, False)):
        kernel = {"model": module, "opt": optimizer}
        values = {name: judge.decode(item, calls_into(kernel), variable=name)
                  for name, item in judge_agent.answer({"op": "values", "names": ["model", "opt"]}, kernel).items()}
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
    value = judge.decode(judge_agent.encode(model), calls_into({"model": model}), variable="model")
    trained = cnn.cnn_from_parameters(value)
    common.check_model_matches(value, trained, cnn._cnn_hint)
    xb = torch.rand(5, 784)
    assert torch.allclose(trained(xb), model(xb).detach(), atol=1e-6)
    with pytest.raises(checks.CheckFailed, match="이 강의의 CNN"):
        cnn.cnn_from_parameters(torch.nn.Linear(784, 10))
