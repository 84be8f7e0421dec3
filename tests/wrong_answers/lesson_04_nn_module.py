"""Wrong answers for 04_nn_module."""

from wrong_answers import RightAnswer, WrongAnswer, edit, solution_answer

MODULE = solution_answer("04_nn_module", "mnist_logistic")
PARAMETER_COUNT = solution_answer("04_nn_module", "parameter_count")
FIT = solution_answer("04_nn_module", "fit")

# weights and bias as plain tensors that require grad: the module does not register them
PLAIN_TENSORS = edit(MODULE,
                     ("nn.Parameter(torch.randn(784, 10) / math.sqrt(784))",
                      "(torch.randn(784, 10) / math.sqrt(784)).requires_grad_()"),
                     ("nn.Parameter(torch.zeros(10))", "torch.zeros(10, requires_grad=True)"))

FIT_NEVER_ZEROED = edit(FIT, ("\n                model.zero_grad()", ""))
FIT_LR_TOO_SMALL = "lr = 0.05\n" + FIT

WRONG = [
    # Exercise 1: the nn.Module subclass.
    WrongAnswer("module-plain-tensors", "mnist_logistic", PLAIN_TENSORS,
                "test_mnist_logistic", "nn.Parameter 로 감싸야"),
    WrongAnswer("module-transposed", "mnist_logistic",
                edit(MODULE, ("torch.randn(784, 10)", "torch.randn(10, 784)"),
                     ("xb @ self.weights", "xb @ self.weights.t()")),
                "test_mnist_logistic", "행과 열이 바뀌었습니다"),
    WrongAnswer("module-no-super-init", "mnist_logistic",
                edit(MODULE, ("        super().__init__()\n", "")),
                "test_mnist_logistic", "super().__init__()"),
    WrongAnswer("module-no-bias", "mnist_logistic",
                edit(MODULE, ("        self.bias = nn.Parameter(torch.zeros(10))\n", ""),
                     (" + self.bias", "")),
                "test_mnist_logistic", "편향(bias)이 없습니다"),
    # The bias parameter exists but forward forgets it; it starts at zero, so only a check that
    # gives it other values sees the difference.
    WrongAnswer("forward-no-bias", "mnist_logistic",
                edit(MODULE, ("return xb @ self.weights + self.bias", "return xb @ self.weights")),
                "test_mnist_logistic", "편향(bias)을 더하지 않았습니다"),
    WrongAnswer("forward-log-softmax", "mnist_logistic",
                edit(MODULE, ("return xb @ self.weights + self.bias",
                              "return F.log_softmax(xb @ self.weights + self.bias, dim=-1)")),
                "test_mnist_logistic", "log_softmax 를 빼세요"),
    WrongAnswer("module-not-scaled", "mnist_logistic",
                edit(MODULE, (" / math.sqrt(784)", "")),
                "test_mnist_logistic", "math.sqrt(784) 로 나눠"),
    # Caught by the hidden test only: every instance wraps the same tensor.
    WrongAnswer("module-shared-tensor", "mnist_logistic",
                "shared_weights = torch.randn(784, 10) / math.sqrt(784)\n"
                + edit(MODULE, ("nn.Parameter(torch.randn(784, 10) / math.sqrt(784))",
                                "nn.Parameter(shared_weights)")),
                "test_mnist_logistic", "모든 모델이 그 텐서 하나를 나눠 씁니다"),
    # Exercise 2: counting parameters.
    # the number of parameter tensors (2), not of the numbers in them
    WrongAnswer("count-tensors", "parameter_count",
                edit(PARAMETER_COUNT, ("sum(p.numel() for p in model.parameters())",
                                       "len(list(model.parameters()))")),
                "test_parameter_count", "p.numel()"),
    WrongAnswer("count-weights-only", "parameter_count",
                edit(PARAMETER_COUNT, ("sum(p.numel() for p in model.parameters())",
                                       "model.weights.numel()")),
                "test_parameter_count", "편향의 10개도 더하세요"),
    # Exercise 3: fit(), run by the check on a stand-in model.
    WrongAnswer("fit-never-zeroed", "fit", FIT_NEVER_ZEROED,
                "test_fit", "기울기를 0 으로 되돌리지 않아"),
    # zero_grad() between backward and the update: p.grad is None when the update reads it
    WrongAnswer("fit-zero-before-update", "fit",
                edit(FIT, ("            loss.backward()\n",
                           "            loss.backward()\n            model.zero_grad()\n"),
                     ("\n                model.zero_grad()", "")),
                "test_fit", "p.grad 가 None 입니다"),
    # The order is kept, but zero_grad sits inside the parameter loop: the bias never learns.
    WrongAnswer("fit-zero-grad-in-parameter-loop", "fit",
                edit(FIT, ("                    p -= p.grad * lr\n                model.zero_grad()",
                           "                    p -= p.grad * lr\n                    model.zero_grad()")),
                "test_fit", "for 반복문 밖으로"),
    WrongAnswer("fit-zero-grad-in-parameter-loop-zeros", "fit",
                edit(FIT, ("                    p -= p.grad * lr\n                model.zero_grad()",
                           "                    p -= p.grad * lr\n"
                           "                    model.zero_grad(set_to_none=False)")),
                "test_fit", "for 반복문 밖으로"),
    WrongAnswer("fit-update-outside-no-grad", "fit",
                edit(FIT, ("            with torch.no_grad():\n"
                           "                for p in model.parameters():\n"
                           "                    p -= p.grad * lr\n"
                           "                model.zero_grad()",
                           "            for p in model.parameters():\n"
                           "                p -= p.grad * lr\n"
                           "            model.zero_grad()")),
                "test_fit", "torch.no_grad() 블록 밖에서"),
    WrongAnswer("fit-names-parameters", "fit",
                edit(FIT, ("                for p in model.parameters():\n"
                           "                    p -= p.grad * lr\n",
                           "                model.weights -= model.weights.grad * lr\n"
                           "                model.bias -= model.bias.grad * lr\n")),
                "test_fit", "이름 대신 for p in model.parameters()"),
    WrongAnswer("fit-not-in-place", "fit",
                edit(FIT, ("p -= p.grad * lr", "p = p - p.grad * lr")),
                "test_fit", "p = p - p.grad * lr 은 새 텐서를 만들 뿐"),
    WrongAnswer("fit-lr-too-small", "fit", FIT_LR_TOO_SMALL,
                "test_fit", "학습률 lr 이 0.05 입니다"),
    # n // bs + 1 batches: right for n = 50000, an empty last batch (NaN loss) when bs divides n.
    WrongAnswer("fit-batch-count-off-by-one", "fit",
                edit(FIT, ("range((n - 1) // bs + 1)", "range(n // bs + 1)")),
                "test_fit", "n 이 bs 의 배수일 때도"),
    WrongAnswer("fit-last-batch-dropped", "fit",
                edit(FIT, ("range((n - 1) // bs + 1)", "range(n // bs)")),
                "test_fit", "마지막 작은 배치를 빠뜨렸습니다"),
    WrongAnswer("fit-no-losses", "fit",
                edit(FIT, ("            losses.append(loss.item())\n", "")),
                "test_fit", "losses.append(loss.item())"),
    WrongAnswer("fit-with-arguments", "fit",
                edit(FIT, ("def fit():", "def fit(model, epochs):")),
                "test_fit", "인자 없이 fit()"),
    # The real training that the learner's fit() did, scored on the whole validation set.
    WrongAnswer("trained-never-zeroed", "fit", FIT_NEVER_ZEROED,
                "test_training", "기울기가 계속 쌓입니다"),
    WrongAnswer("trained-lr-too-small", "fit", FIT_LR_TOO_SMALL,
                "test_training", "이 강의는 학습률 0.5 로 학습합니다"),
    WrongAnswer("trained-plain-tensors", "mnist_logistic", PLAIN_TENSORS,
                "test_training", "model.parameters() 가 비어 있어"),
    # Concept check: two backward() calls on the halves of a batch, not zeroed in between. Each
    # wrong choice gets its own explanation.
    WrongAnswer("concept-zero-grad-halves-same", "why_zero_grad", 'why_zero_grad = "A"',
                "test_why_zero_grad", "32장 평균 두 개를 더한 것이"),
    WrongAnswer("concept-zero-grad-overwritten", "why_zero_grad", 'why_zero_grad = "B"',
                "test_why_zero_grad", "새 값으로 바꿔 쓰지 않습니다"),
    WrongAnswer("concept-zero-grad-graph-error", "why_zero_grad", 'why_zero_grad = "C"',
                "test_why_zero_grad", "새 순전파가 새 계산 그래프를"),
    WrongAnswer("concept-zero-grad-number", "why_zero_grad", "why_zero_grad = 2",
                "test_why_zero_grad", "보기 하나의 글자를 문자열로"),
    # Concept check (why_parameter): one wrong choice here; every choice is checked in tests/test_concepts.py.
    WrongAnswer("concept-why-parameter-a", "why_parameter", 'why_parameter = "A"',
                "test_why_parameter", "Half 의 두 속성이"),
]

RIGHT = [
    # The lesson names its parameters weights and bias; nothing after it depends on the names.
    RightAnswer("other-names-addmm", {
        "why_parameter": 'why_parameter = "c"',
        "mnist_logistic": """
class Mnist_Logistic(nn.Module):
    def __init__(self):
        super(Mnist_Logistic, self).__init__()
        self.w = nn.Parameter(torch.randn(784, 10) / 28)
        self.b = nn.Parameter(torch.zeros(10))

    def forward(self, x):
        return torch.addmm(self.b, x, self.w)
""",
        "parameter_count": edit(PARAMETER_COUNT, ("sum(p.numel() for p in model.parameters())",
                                                  "sum(map(torch.numel, list(model.parameters())))")),
    }, why="parameters named w and b, super(Class, self), / 28, torch.addmm(b, x, w), "
           "map over list(model.parameters()); the concept check's letter in another case"),
    RightAnswer("fit-zero-first-set-to-none-sub", {
        "fit": edit(FIT, ("            pred = model(xb)",
                          "            model.zero_grad(set_to_none=True)\n            pred = model(xb)"),
                    ("                    p -= p.grad * lr\n                model.zero_grad()",
                     "                    p.sub_(lr * p.grad)")),
        "parameter_count": edit(PARAMETER_COUNT, ("sum(p.numel() for p in model.parameters())",
                                                  "model.weights.numel() + model.bias.numel()")),
    }, why="model.zero_grad(set_to_none=True) at the top of the loop body, p.sub_(lr * p.grad)"),
    RightAnswer("fit-split-loop-zero-no-none", {
        "why_zero_grad": 'why_zero_grad = " d "',
        "fit": """
def fit():
    for epoch in range(epochs):
        for xb, yb in zip(x_train.split(bs), y_train.split(bs)):
            loss = loss_func(model(xb), yb)
            losses.append(loss.item())
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= param.grad * lr
            model.zero_grad(set_to_none=False)
""",
    }, why="zip over split() batches, another loop variable, zero_grad(set_to_none=False) "
           "after the no_grad block; the concept check's letter in lower case with spaces"),
    RightAnswer("fit-while-loop-data-seeded", {
        "mnist_logistic": "torch.manual_seed(1234)\n" + MODULE,
        "fit": """
def fit():
    for epoch in range(epochs):
        i = 0
        while i * bs < n:
            xb, yb = x_train[i * bs:(i + 1) * bs], y_train[i * bs:(i + 1) * bs]
            loss = loss_func(model(xb), yb)
            losses.append(loss.item())
            loss.backward()
            for p in model.parameters():
                p.data -= p.grad.data * lr
                p.grad.zero_()
            i += 1
""",
    }, why="an extra torch.manual_seed(1234) before the model is built, a while loop, "
           "the update through p.data, p.grad.zero_() per parameter"),
]
