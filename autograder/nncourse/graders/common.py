"""Checks that several lessons share: a trained model scored on the whole validation set."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Optional, Union

from .. import checks as check
from .. import reference
from . import source
import torch

from ..data import N_CLASSES, N_PIXELS, N_TRAIN
from ..training import evaluate

#: The lessons' training run: 2 epochs of 782 mini-batches (781 of 64 and one of 16).
EPOCHS = 2
BATCHES_PER_EPOCH = 782

#: What a check may say about the learner's exception: one hint, hints by a piece of the
#: error's message, or a function of the error (None: no hint).
ErrorHint = Union[str, dict, Callable[[Exception], Optional[str]], None]


def _error_hint(hint: ErrorHint, error: Exception) -> str | None:
    if isinstance(hint, dict):
        return next((text for needle, text in hint.items() if needle in str(error)), None)
    return hint(error) if callable(hint) else hint


def call_learner(name: str, function: object, *args, hint: ErrorHint = None, keep_random: bool = False):
    """The one way a check calls the learner's code: ``function(*args)``, its exception turned
    into a check failure that names it, with ``hint`` (see :data:`ErrorHint`) and the learner's
    frames under the verdict. ``keep_random``: torch's CPU random state is put back afterwards,
    so the check does not move the notebook's random numbers (a model built for a probe); left
    False where the call is meant to draw from it (a training run the check has seeded)."""
    if not callable(function):
        check.fail(f"{name} 은(는) 함수여야 합니다 (지금은 {type(function).__name__}).")
    try:
        with torch.random.fork_rng(devices=[], enabled=keep_random):
            return function(*args)
    except check.CheckFailed:
        raise
    except Exception as error:  # the learner's code, any mistake
        text = _error_hint(hint, error)
        if isinstance(text, str) and isinstance(hint, str) and not isinstance(hint, check.Hint):  # one hint for any error: the error is the cause
            text = check.Hint(check.diagnosis(None, error), text)
        check.fail(f"{name} 을(를) 실행하다 오류가 났습니다.", got=f"{type(error).__name__}: {str(error)[:300]}",
                   hint=text, cause=error)  # the learner's frames under the verdict


#: Error messages of the usual mistakes in the hand-written functions of lessons 02-03 (their
#: log_softmax), and what to do about them.
SCRATCH_ERROR_HINTS = {
    "must match the size": (check.Hint("common.row-sum-not-keepdim", "행마다 구한 합(모양 (N,))을 (N, 10) 에서 빼려면 모양을 (N, 1) 로 맞춰야 "
                            "합니다. .unsqueeze(-1) 이나 keepdim=True 를 쓰세요.")),
}


def probe_inputs(rows: int = 7, seed: int = 1234) -> tuple[torch.Tensor, torch.Tensor]:
    """Probe (logits, targets) for the loss and accuracy functions of lessons 02-03: ``rows``
    rows of 10 scores and a class for each, drawn through check.probe_generator."""
    # 7 rows, not 10: with 10 rows a missing unsqueeze would broadcast silently.
    generator = check.probe_generator(seed)
    logits = torch.randn(rows, N_CLASSES, generator=generator) * 3
    targets = torch.randint(0, N_CLASSES, (rows,), generator=generator)
    return logits, targets


#: Numbers of images a formula or a batch loop is replayed on (batches of 64;
#: nncourse.graders.source): two that 64 divides, two that it does not.
OTHER_SIZES = (128, 130, 64, 50_048)


def ceil_batches(size: int, batch_size: int = 64) -> int:
    """How many batches of ``batch_size`` ``size`` images make, the last one possibly smaller."""
    return -(-size // batch_size)


def check_replayed(what: str, replayed: dict, right: Callable[[int], int], hint: check.Hint,
                   variable: str = "n", unit: str = "", batch_size: int = 64) -> None:
    """One formula of the learner's, replayed on ``OTHER_SIZES`` (size → value, None where the
    replay could not follow it), must give ``right(size)`` on each; a formula the replay could not
    follow, or one whose value does not change with the number of images (a number written in),
    gets no verdict."""
    if None in replayed.values() or len(set(replayed.values())) == 1:
        return
    for size, value in replayed.items():
        if value != right(size):
            check.fail(f"{what} 이미지 수가 달라지면 맞지 않습니다",
                       got=f"{variable} = {size:,}, bs = {batch_size} 일 때 {value}{unit}",
                       expected=f"{right(size)}{unit}", hint=hint)


BATCH_LOOP_HINT = check.Hint(
    "common.batch-loop-off-when-divisible",
    "이미지 수가 bs 로 나누어떨어지면 남는 이미지가 없으니 작은 배치도 없습니다. 몫에 늘 1 을 더하는 반복은 그때 빈 "
    "배치를 한 번 더 돌아 손실이 nan 이 됩니다. 나머지가 있을 때만 하나를 더하는 올림 나눗셈으로 배치 수를 구하세요.")


def check_batch_loop(history: object, batch_size: int = 64) -> None:
    """The hand-written batch loop of lessons 02 and 06 (``for i in range(...)`` over ``n`` and
    ``bs``, read from the newest cell that has one; ``history`` is IPython's ``In``) runs once per
    batch for other numbers of images too: ``range(n // bs + 1)`` is right for 50,000 images and
    runs an empty batch (a NaN loss) whenever ``bs`` divides ``n``. A range that does not depend
    on ``n`` (the epochs) or that the replay cannot follow gets no verdict."""
    loops: dict = {}
    for cell in reversed(source.cells(history)):
        loops = {size: source.loop_lengths(cell, {"n": size, "n_train": size, "bs": batch_size})
                 for size in OTHER_SIZES}
        if any(loops.values()):
            break
    if len({len(found) for found in loops.values()}) == 1:  # the same loops followed at every size
        for runs in zip(*loops.values()):
            check_replayed("미니배치 반복의 횟수가", dict(zip(loops, runs)),
                           lambda size: ceil_batches(size, batch_size), BATCH_LOOP_HINT, unit="번",
                           batch_size=batch_size)
    check.passed("미니배치 반복 횟수가 다른 이미지 수(나누어떨어질 때 포함)에서도 배치 수와 같습니다")


def wide_logits(logits: torch.Tensor) -> torch.Tensor:
    """``logits`` spread over 200 in each row (the largest 50, so exp() does not overflow; the
    first class at most -150): a class 200 below the best has probability e^-200, which is 0 in
    float32, so log(softmax(x)) gives -inf there while a log-softmax computed in log space gives
    about -200."""
    logits = logits / 3 * 40
    logits = logits - logits.max(dim=-1, keepdim=True).values + 50
    logits[:, 0] = logits.min(dim=-1).values.clamp(max=-150)
    return logits


def call_with_globals(function: Callable, values: dict, read: tuple[str, ...]) -> dict:
    """Call a learner's no-argument ``function`` with some of its globals replaced by ``values``
    for the call and put back afterwards; the values of the ``read`` globals right after the
    call. In grading, the judge does the same in the learner's kernel (the values sent and read
    back by value; a module among ``values`` ends with the state its kernel copy ended with)."""
    remote = getattr(function, "call_with_globals", None)
    if remote is not None:
        return remote(values, read)
    namespace = function.__globals__
    missing = object()
    saved = {name: namespace.get(name, missing) for name in values}
    saved_progress = os.environ.get("NNCOURSE_PROGRESS")
    namespace.update(values)
    os.environ["NNCOURSE_PROGRESS"] = "0"  # no progress bars for a probe
    try:
        function()
        return {name: namespace[name] for name in read if name in namespace}
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value
        if saved_progress is None:
            os.environ.pop("NNCOURSE_PROGRESS", None)
        else:
            os.environ["NNCOURSE_PROGRESS"] = saved_progress


def output_kind(out: object) -> str | None:
    """'log_softmax' or 'softmax' when a model's (N, 10) output rows are already normalised,
    else None. Raw scores (logits) of a trained or fresh model practically never are."""
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[1] != N_CLASSES:
        return None
    out = out.detach().double()
    ones = torch.ones(len(out), dtype=out.dtype)
    if torch.allclose(out.exp().sum(dim=1), ones, atol=1e-4):
        return "log_softmax"
    if (out >= 0).all() and torch.allclose(out.sum(dim=1), ones, atol=1e-4):
        return "softmax"
    return None


def require_weights_and_bias(weights: object, bias: object) -> None:
    """``weights`` and ``bias`` are still the (784, 10) and (10,) tensors the setup cell made."""
    for name, tensor, shape in (("weights", weights, (N_PIXELS, N_CLASSES)), ("bias", bias, (N_CLASSES,))):
        if not isinstance(tensor, torch.Tensor) or tuple(tensor.shape) != shape:
            check.fail(f"{name} 가 준비 셀에서 만든 {shape} 모양의 텐서가 아닙니다.",
                       hint=check.Hint("common.setup-tensor-overwritten", f"{name} 를 덮어쓰지 않았는지 보고, 준비 셀부터 다시 실행하세요."))


def linear_model(weights: object, bias: object, log_probs: bool) -> Callable:
    """The model of lessons 02-03 computed from its parameters alone: x @ weights + bias, and
    its log_softmax when ``log_probs``. Fails the check when the parameters are not the
    lessons' (784, 10) and (10,) tensors."""
    require_weights_and_bias(weights, bias)
    weights, bias = weights.detach(), bias.detach()

    def model(xb: torch.Tensor) -> torch.Tensor:
        logits = xb @ weights + bias
        return torch.log_softmax(logits, dim=-1) if log_probs else logits

    return model


def is_module(value: object) -> bool:
    """An ``nn.Module`` (the grading judge rebuilds a learner's module as one)."""
    return isinstance(value, torch.nn.Module)


def is_instance(value: object, cls: type) -> bool:
    """``isinstance(value, cls)``; for a learner's own class rebuilt by the grading judge, by its
    class name (used to name a mistake in a hint, never to award a point)."""
    if isinstance(value, cls):
        return True
    return getattr(value, "is_module_value", False) is True and type(value).__name__ == cls.__name__


def is_optimizer(value: object) -> bool:
    """A torch optimizer, or one read by value from the learner's kernel by the grading judge."""
    return isinstance(value, torch.optim.Optimizer) or getattr(value, "is_optimizer_value", False) is True


def is_exactly(value: object, cls: type) -> bool:
    """``type(value) is cls``; for a value read by the grading judge, by its class name."""
    if type(value) is cls:
        return True
    by_value = getattr(value, "is_optimizer_value", False) is True or getattr(value, "is_module_value", False) is True
    return by_value and type(value).__name__ == cls.__name__


def parameter_identities(model: object) -> dict[int, str]:
    """Identity → name of each of the module's parameters (for a module the grading judge
    rebuilt, the identities its tensors have in the learner's kernel)."""
    return {identity(parameter): name for name, parameter in model.named_parameters()}


def identity(tensor: object) -> int:
    """A tensor's or optimizer's identity (one read by value carries its identity in the learner's kernel)."""
    known = getattr(tensor, "identity", None)
    return known if type(known) is int else id(tensor)


def affine_model(model: object) -> Callable:
    """The logistic regression of lessons 04-08 computed from the module's parameters alone:
    one weight matrix, (784, 10) or nn.Linear's (10, 784), and one bias (10,)."""
    parameters = [parameter.detach() for parameter in model.parameters()]
    matrices = [p for p in parameters if p.dim() == 2]
    vectors = [p for p in parameters if p.dim() == 1 and tuple(p.shape) == (N_CLASSES,)]
    shapes = ", ".join(str(tuple(p.shape)) for p in parameters) or "없음"
    if len(parameters) != 2 or len(matrices) != 1 or len(vectors) != 1 or tuple(matrices[0].shape) not in (
            (N_PIXELS, N_CLASSES), (N_CLASSES, N_PIXELS)):
        check.fail("model 의 매개변수는 가중치 행렬 하나와 편향 하나여야 합니다", got=shapes,
                   expected="(784, 10) 또는 (10, 784) 인 가중치, (10,) 인 편향",
                   hint=check.Hint("common.not-logistic-parameters", "이 강의의 모델(로지스틱 회귀) 그대로, 784개의 입력에서 10개의 로짓을 내는 층 하나만 두세요."))
    weight, bias = matrices[0], vectors[0]
    if tuple(weight.shape) == (N_CLASSES, N_PIXELS):
        weight = weight.T

    def model_from_parameters(xb: torch.Tensor) -> torch.Tensor:
        return xb @ weight + bias

    return model_from_parameters


def trained_logistic(model: object) -> Callable:
    """The trained logistic regression of lessons 04-08, to be scored from its parameters
    (:func:`affine_model`); fails the check unless the learner's forward computes what they give."""
    trained = affine_model(model)
    check_model_matches(model, trained, logits_hint)
    return trained


def logits_hint(got: object, want: torch.Tensor) -> str:
    """Why a module's output differs from the logits its parameters give."""
    kind = output_kind(got)
    if kind == "log_softmax":
        return (check.Hint("common.output-log-softmax", "model 의 출력이 로그 확률입니다. forward 에서 log_softmax 를 빼고 로짓만 돌려주세요. "
                "F.cross_entropy 가 안에서 로그 소프트맥스를 계산합니다."))
    if kind == "softmax":
        return (check.Hint("common.output-softmax", "model 의 출력이 소프트맥스 확률입니다. forward 는 로짓(가공하지 않은 점수)을 돌려주고, "
                "정규화는 F.cross_entropy 에 맡기세요."))
    return (check.Hint("common.output-differs", "model(xb) 가 model 의 매개변수로 계산한 로짓과 다릅니다. forward 가 층의 출력을 그대로 "
            "돌려주는지, 다른 모델을 쓰고 있지 않은지 보세요."))


#: Validation images a model is compared on (drawn through check.probe_generator).
MATCH_ROWS = 6
MATCH_SEED = 4321


def check_model_matches(model: object, expected: Callable, hint: Callable[[object, torch.Tensor], str]) -> None:
    """The learner's ``model`` gives what ``expected`` (the same model, computed by the check from
    the learner's parameters) gives, on a few validation images drawn by the check. Silent when
    it does; ``hint(got, want)`` names the likely mistake when it does not."""
    data = check.reference_data()
    rows = torch.randint(0, len(data.x_valid), (MATCH_ROWS,), generator=check.probe_generator(MATCH_SEED))
    xb = data.x_valid[rows]
    with torch.no_grad():
        got = call_learner("model", model, xb)
        want = expected(xb)
    # NaN and infinities where the parameters give them too (a training that blew up is judged by
    # its metrics, with their own hint); a relative tolerance for very large logits.
    if not (isinstance(got, torch.Tensor) and got.shape == want.shape and torch.allclose(
            got.detach().double(), want.double(), rtol=1e-4, atol=1e-4, equal_nan=True)):
        shown = f"torch.Tensor(shape={tuple(got.shape)})" if isinstance(got, torch.Tensor) else type(got).__name__
        check.fail("model 의 출력이 학습된 매개변수로 계산한 값과 같아야 합니다",
                   got=f"model(검증 이미지 {MATCH_ROWS}장) → {shown}",
                   expected=f"모양 {tuple(want.shape)}, 매개변수로 계산한 값과 (1e-4 이내로) 같음",
                   hint=hint(got, want))


VALID_LOSS = "검증 손실 (검증 데이터 10,000장 전체)"
VALID_ACCURACY = "검증 정확도 (검증 데이터 10,000장 전체)"


DEFAULT_SETTINGS = "bs=64, lr=0.5, epochs=2"


def diagnose_training(loss: float, accuracy: float, ref: dict,
                      settings: str = DEFAULT_SETTINGS) -> str | None:
    """Name the likely mistake from where the metrics landed, or None when they look right."""
    ref_loss, tol_loss = ref["val_loss"]["value"], ref["val_loss"]["tolerance"]
    ref_acc, tol_acc = ref["val_accuracy"]["value"], ref["val_accuracy"]["tolerance"]
    exploded = ("미니배치마다 기울기를 0으로 되돌렸는지(그렇지 않으면 기울기가 계속 쌓입니다), "
                "학습률이 너무 크지 않은지 보세요.")
    if not math.isfinite(loss):
        return check.Hint("common.training-exploded", "손실이 NaN/무한대입니다. 값이 폭발했습니다: " + exploded)
    if loss > 2.0 and accuracy > 0.5:
        return (check.Hint("common.training-loss-blew-up", f"정확도는 {accuracy:.2f} 인데 손실이 {loss:.3g} 로 무작위 추측(약 2.3)보다 큽니다. "
                "매개변수가 너무 크게 움직였다는 뜻입니다: " + exploded))
    if accuracy < 0.3:
        return (check.Hint("common.training-not-learned", "모델이 거의 학습되지 않았습니다. loss.backward() 로 기울기를 구하고, 매개변수를 "
                "torch.no_grad() 안에서 제자리(-=)로 갱신했는지 확인하세요."))
    if loss < ref_loss - tol_loss and accuracy > ref_acc + tol_acc:
        return (check.Hint("common.training-better-than-reference", "기준보다 훨씬 좋습니다. 에포크를 더 돌렸거나, 검증 데이터로 학습했거나, 같은 모델을 "
                "여러 번 학습시킨 것은 아닌지 보세요. 이 강의의 설정"
                f"({settings})대로 새 모델을 한 번만 학습시키세요."))
    if loss > ref_loss + tol_loss or accuracy < ref_acc - tol_acc:
        return (check.Hint("common.training-worse-than-reference", f"기준보다 덜 학습되었습니다. 이 강의의 설정({settings})을 지켰는지, 한 에포크에 "
                "마지막 작은 배치까지 모든 미니배치를 돌았는지, 기울기를 옳은 자리(갱신 뒤, 다음 "
                "backward 전)에서 0으로 되돌렸는지 보세요."))
    return None


def check_trained(lesson: str, model: Callable, *, check_name: str = "trained",
                  logits: bool = True, settings: str = DEFAULT_SETTINGS,
                  preprocess: Callable | None = None,
                  diagnose: Callable[[float, float, dict], str | None] | None = None,
                  measured: tuple[float, float] | None = None) -> None:
    """Score ``model`` on the whole validation set and compare with the solution's reference.

    ``settings`` names the lesson's hyper-parameters in the hints; ``preprocess`` reshapes each
    validation batch for models that expect images; ``diagnose`` may name a lesson-specific
    mistake first (return None to fall back to the common diagnosis); ``measured`` is the model's
    (loss, accuracy) on the whole validation set when the caller already took it. While the reference
    generator runs, records the metrics instead of comparing.
    """
    data = check.reference_data()
    try:
        # ``measured``: this model's (loss, accuracy) there, already taken by the caller.
        loss, accuracy = measured or evaluate(model, data.x_valid, data.y_valid, logits=logits,
                                              preprocess=preprocess)
    except Exception as error:  # the learner's model, any mistake
        check.fail("모델을 검증 데이터(모양 (10000, 784))에 적용하다 오류가 났습니다.",
                   got=f"{type(error).__name__}: {error}",
                   hint=check.Hint("common.model-evaluation-failed", "모델이 검증 데이터 모양의 입력을 받아 (N, 10) 모양의 출력을 내는지, 모델과 "
                        "데이터가 같은 장치(device)에 있는지 확인하세요."),
                   cause=error)  # the learner's frames are shown under the verdict
    metrics = {"val_loss": loss, "val_accuracy": accuracy}
    if reference.recording():
        reference.record(lesson, check_name, metrics)
        return
    ref = reference.reference_for(lesson, check_name)
    hint = (diagnose(loss, accuracy, ref) if diagnose else None) or diagnose_training(
        loss, accuracy, ref, settings)
    check.close(VALID_LOSS, loss, ref["val_loss"]["value"], ref["val_loss"]["tolerance"], hint)
    check.close(VALID_ACCURACY, accuracy, ref["val_accuracy"]["value"],
                ref["val_accuracy"]["tolerance"], hint)


def check_fresh_start(history: dict, threshold: float, fresh: str, hint: str) -> None:
    """The first epoch's mean training loss (``history["train_loss"][0]``) shows where training
    started: above ``threshold`` for a fresh model (``fresh``: what one gives), below it for a model
    that had already been trained."""
    first = history["train_loss"][0]
    if not first > threshold:
        check.fail("학습은 학습되지 않은 새 모델에서 시작해야 합니다.",
                   got=f"첫 에포크의 평균 훈련 손실 {first:.4f}", expected=f"> {threshold} ({fresh})", hint=hint)
    check.passed(f"첫 에포크의 평균 훈련 손실 {first:.4f}: 새 모델에서 학습을 시작했습니다")


def check_losses(losses: object, hint_missing: str | None = None, hint_append: str | None = None) -> None:
    """One plain float per mini-batch: 2 epochs × 782 batches, with a hint for each usual miscount.

    ``hint_missing`` is shown when ``losses`` is None, ``hint_append`` when the count is off for
    no recognised reason (it says where the lesson's loop appends).
    """
    expected = EPOCHS * BATCHES_PER_EPOCH
    if not isinstance(losses, list) or len(losses) != expected:
        count = f"{len(losses)}개" if isinstance(losses, list) else type(losses).__name__
        hint = hint_append or check.Hint("common.losses-count-wrong", "미니배치마다 losses.append(loss.item()) 을 하세요.")
        if losses is None and hint_missing:
            hint = hint_missing
        elif isinstance(losses, list) and not losses:
            hint = (check.Hint("common.losses-empty", "losses 가 비어 있습니다. 학습 셀이 오류 없이 끝났는지 보고, 미니배치마다 "
                    "losses.append(loss.item()) 을 하세요."))
        elif isinstance(losses, list) and len(losses) == EPOCHS * N_TRAIN:
            hint = (check.Hint("common.losses-per-image", "이미지 한 장마다 학습했습니다. 데이터셋을 직접 돌면 한 장씩 나옵니다. "
                    "for xb, yb in train_dl: 처럼 데이터 로더를 도세요."))
        elif isinstance(losses, list) and len(losses) == EPOCHS * (BATCHES_PER_EPOCH - 1):
            hint = check.Hint("common.losses-last-batch-missing", "마지막 16장짜리 배치를 빠뜨렸습니다. 배치 수는 (n - 1) // bs + 1 입니다.")
        elif isinstance(losses, list) and len(losses) > expected and len(losses) % expected == 0:
            hint = (check.Hint("common.losses-model-trained-again", "같은 모델을 여러 번 학습시켰습니다. 새 모델을 만드는 셀부터 다시 실행해 "
                    f"에포크 {EPOCHS}번만 학습시키세요."))
        elif isinstance(losses, list) and len(losses) == BATCHES_PER_EPOCH:
            hint = (check.Hint("common.losses-one-epoch", f"한 에포크만 학습했습니다. 에포크 수는 epochs = {EPOCHS} 입니다. 미니배치를 도는 반복을 "
                    "에포크 수만큼 도는 바깥 반복으로 감싸, 훈련 데이터를 에포크마다 한 번씩 도세요."))
        elif isinstance(losses, list) and len(losses) % BATCHES_PER_EPOCH == 0:
            hint = check.Hint("common.losses-epochs-hard-coded", f"에포크 수는 epochs = {EPOCHS} 입니다. 바깥 반복을 숫자를 적지 말고 epochs 번 도세요.")
        check.fail("losses 에 미니배치마다 손실이 하나씩 있어야 합니다.", got=count,
                   expected=f"{expected}개 (에포크 {EPOCHS} × 배치 {BATCHES_PER_EPOCH})", hint=hint)
    if not all(isinstance(value, float) for value in losses):
        check.fail("losses 에는 파이썬 숫자(float)를 넣어야 합니다.",
                   hint=check.Hint("common.losses-tensors", "losses.append(loss.item()) 처럼 .item() 으로 꺼내세요. 텐서를 그대로 모으면 "
                        "계산 그래프까지 메모리에 남습니다."))
    check.passed(f"losses 에 미니배치 손실이 {len(losses)}개 있습니다")


def check_choice(name: str, answer: object, right: str, why: dict[str, str]) -> None:
    """A concept check: ``answer`` is one of the letters in ``why`` (case and spaces ignored).

    ``why`` explains every choice: a wrong one gets its own explanation as the hint (why that
    choice is wrong, not which one is right), the right one gets it after the ✅.
    """
    letters = ", ".join(f'"{letter}"' for letter in why)
    if not isinstance(answer, str) or answer.strip().upper() not in why:
        check.fail(f"{name} 에는 보기 하나의 글자를 문자열로 넣으세요.", got=repr(answer),
                   expected=f"{letters} 중 하나",
                   hint=check.Hint(f"{name}=?", f'예를 들어 {name} = "A" 처럼 따옴표 안에 글자 하나를 씁니다.'))
    chosen = answer.strip().upper()
    if chosen != right:
        check.fail(f"{name}: 보기 {chosen} 는 맞지 않습니다.",
                   hint=check.Hint(f"{name}={chosen}", f"{why[chosen]} 다른 보기를 다시 읽어 보세요."))
    check.passed(f"{name}: {right}. {why[right]}")


def concept_check(name: str, right: str, why: dict[str, str], about: str):
    """The check function of a concept question: ``check_<name>(answer)`` runs
    :func:`check_choice` with the question's right letter and explanations."""
    def check_concept(answer: object) -> None:
        check_choice(name, answer, right, why)

    check_concept.__name__ = check_concept.__qualname__ = f"check_{name}"
    check_concept.__doc__ = f'Concept check: {about} (answer "{right}").'
    return check_concept
