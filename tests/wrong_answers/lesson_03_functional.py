"""Wrong answers for 03_functional."""

from wrong_answers import RightAnswer, WrongAnswer, edit, lesson_solutions


solution = lesson_solutions("03_functional")  # the solution's code of an answer cell: what the variants edit


CROSS_ENTROPY_BY_PARTS = solution("cross_entropy_by_parts")
LOSS_FUNC_NLL = edit(solution("loss_func"), ("F.cross_entropy", "F.nll_loss"))
MODEL_SOFTMAX = edit(solution("model"), ("xb @ weights + bias", "F.softmax(xb @ weights + bias, dim=-1)"))

WRONG = [
    # Exercise 1: cross-entropy from F.log_softmax and F.nll_loss.
    WrongAnswer("ce-parts-no-log-softmax", "cross_entropy_by_parts",
                edit(CROSS_ENTROPY_BY_PARTS, ("F.log_softmax(logits, dim=-1)", "logits")),
                "test_cross_entropy_by_parts", "F.nll_loss 에 로짓을 그대로 넣었습니다"),
    WrongAnswer("ce-parts-softmax", "cross_entropy_by_parts",
                edit(CROSS_ENTROPY_BY_PARTS, ("F.log_softmax(", "F.softmax(")),
                "test_cross_entropy_by_parts", "F.softmax 는 확률을 줍니다"),
    # log_softmax over the batch (columns) instead of over the classes of each row
    WrongAnswer("ce-parts-dim0", "cross_entropy_by_parts",
                edit(CROSS_ENTROPY_BY_PARTS, ("dim=-1", "dim=0")),
                "test_cross_entropy_by_parts", "열 방향(dim=0)"),
    # log of the softmax: right on ordinary logits, inf where the target's probability underflows
    # to 0 in float32 (the hidden test's logits spread over 200)
    WrongAnswer("ce-parts-log-of-softmax", "cross_entropy_by_parts",
                edit(CROSS_ENTROPY_BY_PARTS, ("F.log_softmax(logits, dim=-1)", "torch.log(F.softmax(logits, dim=-1))")),
                "test_cross_entropy_by_parts", "확률(F.softmax)을 먼저 구한 뒤 로그를 취했습니다"),
    # the value is the right one times the number of rows: named as a sum
    WrongAnswer("ce-parts-sum", "cross_entropy_by_parts",
                edit(CROSS_ENTROPY_BY_PARTS, ("dim=-1), target)", "dim=-1), target, reduction='sum')")),
                "test_cross_entropy_by_parts", "손실의 합을 구했습니다"),
    # Exercise 2: the loss function itself.
    WrongAnswer("loss-func-nll", "loss_func", LOSS_FUNC_NLL,
                "test_loss_func", "F.nll_loss 는 로그 확률을 받는"),
    # the same computation as a module; the lesson asks for the function
    WrongAnswer("loss-func-module", "loss_func",
                edit(solution("loss_func"), ("F.cross_entropy", "torch.nn.CrossEntropyLoss()")),
                "test_loss_func", "nn.CrossEntropyLoss() 는 같은 계산을 하는 클래스"),
    # Exercise 3: the model returns raw scores.
    # Training still reaches the reference (log_softmax twice is log_softmax once), so only the
    # model check can catch it: rows of log-probabilities have logsumexp 0.
    WrongAnswer("model-log-softmax-twice", "model",
                edit(solution("model"), ("xb @ weights + bias", "F.log_softmax(xb @ weights + bias, dim=-1)")),
                "test_model", "model 안에서 log_softmax 를 빼세요"),
    WrongAnswer("model-softmax", "model", MODEL_SOFTMAX,
                "test_model", "소프트맥스 확률입니다"),
    # The bias starts at zero, so this looks right until the check gives the bias other values.
    WrongAnswer("model-no-bias", "model", edit(solution("model"), (" + bias", "")),
                "test_model", "편향(bias)을 더하지 않았습니다"),
    # Training: the given loop trains whatever model and loss_func the learner wrote.
    WrongAnswer("trained-softmax-model", "model", MODEL_SOFTMAX,
                "test_training", "소프트맥스 확률입니다"),
    WrongAnswer("trained-with-nll-loss", "loss_func", LOSS_FUNC_NLL,
                "test_training", "loss_func 가 F.cross_entropy 가 아니었습니다"),
    # Concept check: each wrong choice gets its own explanation as the hint.
    WrongAnswer("concept-log-softmax-twice-other-loss", "keep_log_softmax", 'keep_log_softmax = "B"',
                "test_keep_log_softmax", "다시 적용하면 값이 바뀐다고 본 것입니다"),
    WrongAnswer("concept-log-softmax-twice-skipped", "keep_log_softmax", 'keep_log_softmax = "C"',
                "test_keep_log_softmax", "살펴보지 않고 언제나 log_softmax 부터"),
    WrongAnswer("concept-log-softmax-twice-error", "keep_log_softmax", 'keep_log_softmax = "D"',
                "test_keep_log_softmax", "오류는 나지 않습니다"),
    # Concept check (why_stable): one wrong choice here; every choice is checked in tests/test_concepts.py.
    # A: float64 holds exp(100) but not exp(-1000), so the fix fails on the second input
    WrongAnswer("concept-why-stable-a", "why_stable", 'why_stable = "A"',
                "test_why_stable", "exp(-1000) 은 64비트에서도 0"),
]

# nn.CrossEntropyLoss() is not here: this lesson asks for the function F.cross_entropy, and
# test_loss_func rejects the module on purpose (the wrong answer "loss-func-module").
RIGHT = [
    RightAnswer("addmm-model-method-log-softmax", {
        "why_stable": 'why_stable = "D "',
        "keep_log_softmax": 'keep_log_softmax = "a "',
        "cross_entropy_by_parts": "def cross_entropy_by_parts(logits, target):\n"
                                  "    return F.nll_loss(logits.log_softmax(dim=1), target)",
        "model": "def model(xb):\n    return torch.addmm(bias, xb, weights)",
    }, why="the log_softmax tensor method over dim=1, torch.addmm(b, x, w) for x @ w + b; the concept check's letter in another case or with spaces"),
    RightAnswer("linear-model-full-path", {
        "cross_entropy_by_parts": "def cross_entropy_by_parts(scores, labels):\n"
                                  "    log_probs = F.log_softmax(scores, dim=-1)\n"
                                  "    return -log_probs[torch.arange(len(labels)), labels].mean()",
        "loss_func": "loss_func = torch.nn.functional.cross_entropy",
        "model": "def model(xb):\n    return F.linear(xb, weights.t(), bias)",
    }, why="other argument names, the NLL by indexing, the full path to F.cross_entropy, "
           "F.linear(x, w.t(), b)"),
]
