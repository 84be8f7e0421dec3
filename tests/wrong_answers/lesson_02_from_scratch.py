"""Wrong answers for 02_from_scratch."""

from wrong_answers import RightAnswer, WrongAnswer, edit, lesson_solutions


solution = lesson_solutions("02_from_scratch")  # the solution's code of an answer cell: what the variants edit


TRAINING = solution("training")

WRONG = [
    # requires_grad=True before the division: weights is the division's result, not a leaf
    WrongAnswer("params-not-leaf", "parameters",
                edit(solution("parameters"),
                     ("torch.randn(784, 10)", "torch.randn(784, 10, requires_grad=True)"),
                     ("weights.requires_grad_()\n", "")),
                "test_parameters", "잎(leaf) 텐서가 아닙니다"),
    WrongAnswer("params-transposed", "parameters",
                edit(solution("parameters"), ("torch.randn(784, 10)", "torch.randn(10, 784)")),
                "test_parameters", "행과 열이 바뀌었습니다"),
    WrongAnswer("params-not-scaled", "parameters",
                edit(solution("parameters"), (" / math.sqrt(784)", "")),
                "test_parameters", "math.sqrt(784) 로 나눠"),
    WrongAnswer("softmax-not-log", "log_softmax",
                edit(solution("log_softmax"), ("x - x.exp().sum(-1).log()", "x.exp() / x.exp().sum(-1)")),
                "test_log_softmax", "소프트맥스 확률이 나왔습니다"),
    # log of the softmax probabilities: right for everyday scores, -inf once a class is far behind.
    WrongAnswer("log-of-softmax", "log_softmax",
                edit(solution("log_softmax"), ("x - x.exp().sum(-1).log().unsqueeze(-1)",
                                               "(x.exp() / x.exp().sum(-1).unsqueeze(-1)).log()")),
                "test_log_softmax", "확률(소프트맥스)을 먼저 구한 뒤 로그를"),
    WrongAnswer("log-softmax-no-unsqueeze", "log_softmax",
                edit(solution("log_softmax"), (".unsqueeze(-1)", "")),
                "test_log_softmax", "unsqueeze(-1)"),
    WrongAnswer("model-raw-logits", "model",
                edit(solution("model"), ("log_softmax(xb @ weights + bias)", "xb @ weights + bias")),
                "test_model", "log_softmax 를 적용하세요"),
    WrongAnswer("nll-no-minus", "nll",
                edit(solution("nll"), ("return -input", "return input")),
                "test_nll", "부호가 반대"),
    WrongAnswer("nll-sum", "nll",
                edit(solution("nll"), (".mean()", ".sum()")),
                "test_nll", "합(sum)"),
    WrongAnswer("accuracy-count", "accuracy",
                edit(solution("accuracy"), (".float().mean()", ".float().sum()")),
                "test_accuracy", "맞은 개수"),
    WrongAnswer("grad-never-zeroed", "training",
                edit(TRAINING, ("\n            weights.grad.zero_()\n            bias.grad.zero_()", "")),
                "test_training", "기울기가 계속 쌓입니다"),
    WrongAnswer("lr-too-small", "training", "lr = 0.05\n" + TRAINING,
                "test_training", "이 강의는 학습률 0.5 로 학습합니다"),
    # n // bs + 1 batches: 782 for 50,000 images, as it should be, and one empty batch (a NaN
    # loss) whenever bs divides n; the hidden test replays the loop's range on other sizes.
    WrongAnswer("batch-range-plus-one", "training",
                edit(TRAINING, ("range((n - 1) // bs + 1)", "range(n // bs + 1)")),
                "test_training", "몫에 늘 1 을 더하는 반복은"),
    WrongAnswer("last-batch-dropped", "training",
                edit(TRAINING, ("range((n - 1) // bs + 1)", "range(n // bs)")),
                "test_training", "마지막 16장짜리 배치를 빠뜨렸습니다"),
    # Cycles through the validation images instead of the training images, so the loop still
    # takes 782 steps an epoch.
    WrongAnswer("trained-on-validation", "training",
                edit(TRAINING,
                     ("xb = x_train[start_i:end_i]", "xb = x_valid[start_i % 9984:start_i % 9984 + bs]"),
                     ("yb = y_train[start_i:end_i]", "yb = y_valid[start_i % 9984:start_i % 9984 + bs]")),
                "test_training", "검증 데이터로 학습"),
    # Concept check: each wrong choice gets its own explanation as the hint.
    WrongAnswer("concept-no-grad-only-speed", "why_no_grad", 'why_no_grad = "B"',
                "test_why_no_grad", "no_grad 는 속도를 위한 것이 아닙니다"),
    WrongAnswer("concept-no-grad-update-recorded", "why_no_grad", 'why_no_grad = "C"',
                "test_why_no_grad", "더는 그래프의 시작점(잎 텐서)이 아닐"),
    WrongAnswer("concept-no-grad-clears-grad", "why_no_grad", 'why_no_grad = "D"',
                "test_why_no_grad", "no_grad 는 기울기를 지우지 않습니다"),
    # Concept check (why_grad_after_division): one wrong choice here; every choice is checked in tests/test_concepts.py.
    # D: a reshape keeps every value, yet it is recorded, so b is not a leaf
    WrongAnswer("concept-why-grad-after-division-d", "why_grad_after_division", 'why_grad_after_division = "D"',
                "test_why_grad_after_division", "reshape 가 만든 새 텐서입니다"),
]

RIGHT = [
    RightAnswer("logsumexp-gather-addmm", {
        "why_grad_after_division": 'why_grad_after_division = " c"',
        "why_no_grad": 'why_no_grad = "a "',
        "log_softmax": "def log_softmax(x):\n    return x - x.logsumexp(dim=-1, keepdim=True)",
        "model": "def model(xb):\n    return log_softmax(torch.addmm(bias, xb, weights))",
        "nll": "def nll(input, target):\n    return -input.gather(1, target.unsqueeze(1)).mean()",
        "accuracy": "def accuracy(out, yb):\n    return (out.argmax(dim=-1) == yb).sum() / len(yb)",
    }, why="logsumexp with keepdim, torch.addmm(b, x, w) for x @ w + b, gather, sum / len; the concept check's letter in another case or with spaces"),
    RightAnswer("seeded-split-loop-sub", {
        "parameters": "torch.manual_seed(1234)\n"
                      "weights = (torch.randn(784, 10) / math.sqrt(784)).requires_grad_()\n"
                      "bias = torch.zeros(10).requires_grad_()",
        "training": """
for epoch in range(epochs):
    for images, labels in zip(x_train.split(bs), y_train.split(bs)):
        batch_loss = loss_func(model(images), labels)
        losses.append(batch_loss.item())

        batch_loss.backward()
        with torch.no_grad():
            weights.sub_(lr * weights.grad)
            bias.sub_(lr * bias.grad)
            weights.grad = None
            bias.grad = None
""",
    }, why="an extra torch.manual_seed(1234), zip over split() batches, sub_(), grad = None"),
    RightAnswer("while-loop-zero-first", {
        "training": """
for epoch in range(epochs):
    start = 0
    while start < n:
        for p in (weights, bias):
            if p.grad is not None:
                p.grad.zero_()
        xb, yb = x_train[start:start + bs], y_train[start:start + bs]
        loss = loss_func(model(xb), yb)
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            weights -= lr * weights.grad
            bias -= lr * bias.grad
        start += bs
""",
    }, why="a while loop, gradients zeroed at the top of the loop body (before backward)"),
    RightAnswer("data-update-range-step", {
        "training": """
for epoch in range(epochs):
    for start_i in range(0, n, bs):
        xb = x_train[start_i:start_i + bs]
        yb = y_train[start_i:start_i + bs]
        loss = loss_func(model(xb), yb)
        losses.append(loss.item())

        loss.backward()
        weights.data -= weights.grad * lr
        bias.data -= bias.grad * lr
        weights.grad.zero_()
        bias.grad.zero_()
""",
    }, why="range(0, n, bs) over start indices, the update through .data instead of no_grad"),
]
