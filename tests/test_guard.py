"""The grading guard's snapshot (nncourse.guard): what a learner cell changed in the grading tools
is put back and named, and what Python itself caches on a class is neither (in-process, no kernel)."""

from __future__ import annotations

import io

import pytest
import torch

from nncourse import guard


@pytest.fixture
def snapshot():
    # copyreg caches __slotnames__ on a class the first time one of its objects is pickled; start
    # from a Tensor class without it, as in a kernel that has not saved anything yet.
    if "__slotnames__" in vars(torch.Tensor):
        delattr(torch.Tensor, "__slotnames__")
    return guard._Snapshot({})


def test_saving_a_model_is_not_a_change_to_the_grading_tools(snapshot):
    buffer = io.BytesIO()
    torch.save(torch.nn.Linear(3, 2).state_dict(), buffer)  # lesson 10's capstone does this
    assert "__slotnames__" in vars(torch.Tensor)
    assert snapshot.restore({}) == []


def test_a_replaced_torch_function_is_put_back_and_named(snapshot):
    original = torch.allclose
    torch.allclose = lambda *args, **kwargs: True
    try:
        assert snapshot.restore({}) == ["torch.allclose"]
        assert torch.allclose is original
    finally:
        torch.allclose = original


def test_a_new_tensor_attribute_is_removed_and_named(snapshot):
    torch.Tensor.forged_equal = lambda self, other: True
    try:
        assert snapshot.restore({}) == ["Tensor.forged_equal"]
        assert "forged_equal" not in vars(torch.Tensor)
    finally:
        if "forged_equal" in vars(torch.Tensor):
            delattr(torch.Tensor, "forged_equal")
