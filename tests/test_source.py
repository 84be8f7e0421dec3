"""nncourse.graders.source: the rules that read a learner's code, on the code a learner writes.

The graded wrong and right answers (tests/wrong_answers: loop-train-not-restored,
loop-no-grad-bare-line, training-on-cpu-loaders, capstone-*, batch-count-plus-one,
batch-last-remainder and the right answers beside them) run these rules through real grading;
here each rule meets the spellings it must tell apart, one at a time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nncourse.graders import source

EPOCH_LOOP_RIGHT = {
    "train at the start of each epoch": "for e in range(2):\n    model.train()\n    for b in dl:\n        pass\n    model.eval()\n",
    "train at the end of each epoch": "model.train()\nfor e in range(2):\n    for b in dl:\n        pass\n    model.eval()\n    model.train()\n",
    "eval inside the validation batches": "for e in range(2):\n    model.train()\n    for b in dl:\n        pass\n    for b in vl:\n        model.eval()\n",
    "eval in a helper": "def validate():\n    model.eval()\nfor e in range(2):\n    model.train()\n    validate()\n",
    "no loop at all": "model.eval()\n",
}
EPOCH_LOOP_WRONG = {
    "train never called": "for e in range(2):\n    for b in dl:\n        pass\n    model.eval()\n",
    "train only before the loop": "model.train()\nfor e in range(2):\n    for b in dl:\n        pass\n    net.eval()\n",
    "the loop inside a function": "def run():\n    for e in range(2):\n        model.eval()\nrun()\n",
}


@pytest.mark.parametrize("code", EPOCH_LOOP_RIGHT.values(), ids=EPOCH_LOOP_RIGHT)
def test_an_epoch_loop_that_puts_the_model_back_in_training_mode_passes(code):
    assert source.eval_left_on(ast.parse(code)) is None


@pytest.mark.parametrize("code", EPOCH_LOOP_WRONG.values(), ids=EPOCH_LOOP_WRONG)
def test_an_epoch_loop_that_only_calls_eval_is_found(code):
    assert source.eval_left_on(ast.parse(code)).endswith(".eval()")


def test_only_a_context_manager_on_a_line_of_its_own_is_bare():
    code = ("torch.no_grad()\nwith torch.no_grad():\n    pass\n@torch.no_grad()\ndef f():\n    pass\n"
            "torch.set_grad_enabled(False)\nwith torch.inference_mode():\n    torch.inference_mode()\n")
    assert source.bare_context_managers(ast.parse(code)) == ["torch.no_grad()", "torch.inference_mode()"]


def test_the_newest_cell_binding_a_name_is_the_answer_cell():
    history = ["", "x = 1", "valid_losses = []\nfor a in b:\n    pass", "print(valid_losses)", "syntax error (",
               "for valid_losses in []:\n    pass"]
    assert ast.unparse(source.last_cell_assigning(history, "valid_losses")).startswith("for valid_losses")
    assert source.last_cell_assigning(history, "nothing") is None
    assert source.last_cell_assigning("not a history", "x") is None


def replayed(code: str, **sizes) -> dict:
    return source.replay_assignments(ast.parse(code), sizes)


@pytest.mark.parametrize("code, n_batches, last", [
    ("n_batches = (n_train + bs - 1) // bs\nlast = n_train - (n_batches - 1) * bs", 2, 64),
    ("n_batches = n_train // bs + 1\nlast = n_train - (n_batches - 1) * bs", 3, 0),
    ("import math\nn_batches = math.ceil(n_train / bs)\nlast = n_train % bs or bs", 2, 64),
    ("n_batches = len(range(0, n_train, bs))\nlast = bs if n_train % bs == 0 else n_train % bs", 2, 64),
    ("full, rest = divmod(n_train, bs)\nn_batches = full + 1 if rest else full\nlast = rest", 2, 0),
    ("n_batches = -(-n_train // bs)\nlast = n_train\nlast -= (n_batches - 1) * bs", 2, 64),
])
def test_arithmetic_is_replayed_on_other_sizes(code, n_batches, last):
    names = replayed(code, n_train=128, bs=64)
    assert (names["n_batches"], names["last"]) == (n_batches, last)


@pytest.mark.parametrize("code", [
    "n_batches = 0\nfor i in range(0, n_train, bs):\n    n_batches += 1",       # a loop: not followed
    "n_batches = len(x_train[::bs])",                                         # a tensor: unknown
    "n_batches = 9 ** 9 ** 9",                                                # no power at all
    "n_batches = __import__('os').system('touch /tmp/nncourse-replayed')",   # never run
    "n_batches = n_train / 0",
    "n_batches = 10 ** 13 if True else 1",
    "n_batches = True",
])
def test_what_the_replay_cannot_follow_gets_no_value_and_nothing_runs(code):
    assert "n_batches" not in replayed(code, n_train=128, bs=64)
    assert not Path("/tmp/nncourse-replayed").exists()


def test_a_name_bound_where_the_replay_cannot_follow_is_dropped():
    names = replayed("bs = 64\nif n_train > 100:\n    bs = 32\nn_batches = n_train // bs", n_train=128, bs=64)
    assert "bs" not in names and "n_batches" not in names


@pytest.mark.parametrize("code, lengths", [
    ("for e in range(epochs):\n    for i in progress(range((n - 1) // bs + 1), desc='x'):\n        pass", [2, 2]),
    ("for e in range(epochs):\n    for i in range(n // bs + 1):\n        pass", [2, 3]),
    ("for start in range(0, n, bs):\n    pass", [2]),
    ("for xb, yb in zip(x.split(bs), y.split(bs)):\n    pass", []),                 # no range: not replayed
    ("for i in range(len(x_train) // bs):\n    pass", []),                          # a tensor's length: unknown
])
def test_a_loops_range_is_replayed(code, lengths):
    assert source.loop_lengths(ast.parse(code), {"n": 128, "bs": 64, "epochs": 2}) == lengths


def test_the_code_a_magic_runs_is_read_too():
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    cell = transform("%%time\ntorch.save(m.state_dict(), 'p.pt')\nfinal_model = build()\n"
                     "final_model.load_state_dict(torch.load('p.pt'))\n")
    line = transform("%time valid_losses = [v for v in range(3)]\n")
    trees = source.cells(["", cell, line])
    assert any(next(source.calls(tree, "load_state_dict"), None) for tree in trees)
    assert source.last_cell_assigning(["", cell], "final_model") is not None
    assert source.last_cell_assigning(["", line], "valid_losses") is not None
