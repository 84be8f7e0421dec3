"""Wrong answers for 05_nn_linear."""

from wrong_answers import RightAnswer, WrongAnswer, edit, solution_answer

MODEL = solution_answer("05_nn_linear", "model_class")
FIT = solution_answer("05_nn_linear", "fit")

WRONG = [
    WrongAnswer("linear-in-out-swapped", "model_class",
                edit(MODEL, ("nn.Linear(784, 10)", "nn.Linear(10, 784)")),
                "test_model_class", "입력과 출력의 순서가 바뀌었습니다"),
    WrongAnswer("linear-without-bias", "model_class",
                edit(MODEL, ("nn.Linear(784, 10)", "nn.Linear(784, 10, bias=False)")),
                "test_model_class", "bias=False 를 지우세요"),
    WrongAnswer("softmax-in-forward", "model_class",
                edit(MODEL, ("return self.lin(xb)", "return F.softmax(self.lin(xb), dim=1)")),
                "test_model_class", "forward 에서 소프트맥스를 적용했습니다"),
    # F.cross_entropy of log-probabilities trains exactly like logits, so only the model's
    # test can see this one.
    WrongAnswer("log-softmax-in-forward", "model_class",
                edit(MODEL, ("return self.lin(xb)", "return F.log_softmax(self.lin(xb), dim=-1)")),
                "test_model_class", "forward 에서 로그 소프트맥스를 적용했습니다"),
    # lesson 04's parameters left next to the new layer
    WrongAnswer("old-parameters-kept", "model_class",
                edit(MODEL, ("        self.lin = nn.Linear(784, 10)\n",
                             "        self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))\n"
                             "        self.bias = nn.Parameter(torch.zeros(10))\n"
                             "        self.lin = nn.Linear(784, 10)\n")),
                "test_model_class", "self.weights, self.bias (nn.Parameter) 를 지우세요"),
    # x @ W with nn.Linear's (out, in) weight: the shapes do not fit
    WrongAnswer("weight-multiplied-by-hand", "model_class",
                edit(MODEL, ("return self.lin(xb)", "return xb @ self.lin.weight + self.lin.bias")),
                "test_model_class", "self.lin(xb) 로 계산하세요"),
    WrongAnswer("super-init-missing", "model_class",
                edit(MODEL, ("        super().__init__()\n", "")),
                "test_model_class", "super().__init__()"),
    WrongAnswer("layer-stored-in-local-variable", "model_class",
                edit(MODEL, ("self.lin = nn.Linear(784, 10)", "lin = nn.Linear(784, 10)")),
                "test_model_class", "self 의 속성이어야"),
    # One layer shared by every instance: only the hidden test notices.
    WrongAnswer("one-layer-shared-by-all-models", "model_class",
                "shared_lin = nn.Linear(784, 10)\n"
                + edit(MODEL, ("self.lin = nn.Linear(784, 10)", "self.lin = shared_lin")),
                "test_model_class", "모델마다 새로 만드세요"),
    WrongAnswer("grad-never-zeroed", "fit",
                edit(FIT, ("\n                model.zero_grad()", "")),
                "test_training", "기울기가 계속 쌓입니다"),
    WrongAnswer("lr-too-small", "fit",
                edit(FIT, ("p -= p.grad * lr", "p -= p.grad * 0.05")),
                "test_training", "lr=0.5"),
    WrongAnswer("one-epoch-only", "fit",
                edit(FIT, ("for epoch in range(epochs)", "for epoch in range(1)")),
                "test_training", "에포크 수는 epochs = 2"),
    WrongAnswer("last-batch-dropped", "fit",
                edit(FIT, ("range((n - 1) // bs + 1)", "range(n // bs)")),
                "test_training", "마지막 16장짜리 배치를 빠뜨렸습니다"),
    # Concept check (the shapes of nn.Linear(784, 128) on 32 images): each wrong choice gets its
    # own explanation as the hint.
    WrongAnswer("concept-linear-weight-as-built", "what_linear_computes", 'what_linear_computes = "A"',
                "test_what_linear_computes", "만들 때 적은 인자의 순서를 따른다고"),
    WrongAnswer("concept-linear-batch-last", "what_linear_computes", 'what_linear_computes = "C"',
                "test_what_linear_computes", "들어간 이미지 수가 출력의 어느 자리에"),
    WrongAnswer("concept-linear-features-kept", "what_linear_computes", 'what_linear_computes = "D"',
                "test_what_linear_computes", "층이 특성의 수를 바꾸지 못합니다"),
    # Concept check (layer_in_forward): one wrong choice here; every choice is checked in tests/test_concepts.py.
    WrongAnswer("concept-layer-in-forward-c", "layer_in_forward", 'layer_in_forward = "C"',
                "test_layer_in_forward", "모델에 쌓인다고 본 것입니다"),
]

RIGHT = [
    RightAnswer("functional-linear-forward", {
        "layer_in_forward": 'layer_in_forward = " a"',
        "what_linear_computes": 'what_linear_computes = "b"',
        "model_class": edit(MODEL, ("self.lin = nn.Linear(784, 10)",
                                    "self.lin = nn.Linear(in_features=784, out_features=10)"),
                            ("return self.lin(xb)", "return F.linear(xb, self.lin.weight, self.lin.bias)")),
    }, why="keyword arguments to nn.Linear, forward through F.linear with the layer's weight; the concept check's letter in another case or with spaces"),
    # The model the lesson trains is built after this cell, so the extra seed changes its start.
    RightAnswer("seeded-addmm-forward", {
        "model_class": "torch.manual_seed(1234)\n" + edit(
            MODEL, ("return self.lin(xb)", "return torch.addmm(self.lin.bias, xb, self.lin.weight.t())")),
    }, why="an extra torch.manual_seed(1234) before the model is built, torch.addmm(b, x, w.t())"),
    RightAnswer("fit-zero-first-set-to-none", {
        "fit": edit(FIT, ("            pred = model(xb)",
                          "            model.zero_grad(set_to_none=True)\n            pred = model(xb)"),
                    ("\n                model.zero_grad()", "")),
    }, why="model.zero_grad(set_to_none=True) at the top of the loop body, before backward"),
    RightAnswer("fit-range-step-sub", {
        "fit": """
def fit():
    for epoch in range(epochs):
        for start in range(0, n, bs):
            out = model(x_train[start:start + bs])
            loss = loss_func(out, y_train[start:start + bs])
            losses.append(loss.item())
            loss.backward()
            with torch.no_grad():
                for weight in model.parameters():
                    weight.sub_(weight.grad * lr)
            model.zero_grad(set_to_none=False)
""",
    }, why="range(0, n, bs), other local names, sub_(), zero_grad(set_to_none=False)"),
]
