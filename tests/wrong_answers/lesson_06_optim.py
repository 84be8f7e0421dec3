"""Wrong answers for 06_optim."""

from wrong_answers import RightAnswer, WrongAnswer, edit, lesson_solutions


solution = lesson_solutions("06_optim")  # the solution's code of an answer cell: what the variants edit


GET_MODEL = solution("get_model")
TRAINING = solution("training")
# The solution's closing line (it prints the last loss), kept by the right answers that rewrite the loop.
SHOW_LAST = TRAINING[TRAINING.rindex("\nprint(") + 1:] + "\n"

WRONG = [
    # The lesson's earlier cells leave a global `model`; the optimizer is built over it.
    WrongAnswer("optimizer-over-global-model", "get_model",
                edit(GET_MODEL, ("    model = ", "    new_model = "), ("return model,", "return new_model,")),
                "test_get_model", "다른 모델의 매개변수"),
    # One model built once, outside the function: not an edit of the solution's code, so written out.
    WrongAnswer("same-model-every-call", "get_model",
                "the_model = Mnist_Logistic()\n\n"
                "def get_model():\n    return the_model, optim.SGD(the_model.parameters(), lr=lr)",
                "test_get_model", "같은 모델이 나왔습니다"),
    WrongAnswer("lr-too-small", "get_model",
                edit(GET_MODEL, ("lr=lr", "lr=0.1")),
                "test_get_model", "준비 셀의 학습률을 그대로 넘기세요"),
    WrongAnswer("momentum-added", "get_model",
                edit(GET_MODEL, ("lr=lr", "lr=lr, momentum=0.9")),
                "test_get_model", "momentum 인자를 빼세요"),
    WrongAnswer("adam-instead-of-sgd", "get_model",
                edit(GET_MODEL, ("optim.SGD", "optim.Adam")),
                "test_get_model", "Adam 입니다"),
    WrongAnswer("only-the-weight-optimized", "get_model",
                edit(GET_MODEL, ("model.parameters()", "[model.lin.weight]")),
                "test_get_model", "lin.bias 이(가) 빠졌습니다"),
    WrongAnswer("returns-optimizer-first", "get_model",
                edit(GET_MODEL, ("return model, optim.SGD(model.parameters(), lr=lr)",
                                 "return optim.SGD(model.parameters(), lr=lr), model")),
                "test_get_model", "(옵티마이저, 모델) 순서"),
    WrongAnswer("weight-decay-added", "get_model",
                edit(GET_MODEL, ("lr=lr", "lr=lr, weight_decay=0.01")),
                "test_get_model", "weight_decay=0.01 를 빼고"),
    # n // bs + 1 batches: 782 for 50,000 images, as it should be, and one empty batch (a NaN
    # loss) whenever bs divides n; the hidden test replays the loop's range on other sizes.
    WrongAnswer("batch-range-plus-one", "training",
                edit(TRAINING, ("range((n - 1) // bs + 1)", "range(n // bs + 1)")),
                "test_training", "몫에 늘 1 을 더하는 반복은"),
    WrongAnswer("zero-grad-never-called", "training",
                edit(TRAINING, ("        opt.zero_grad()\n", "")),
                "test_training", "기울기가 계속 쌓입니다"),
    WrongAnswer("step-never-called", "training",
                edit(TRAINING, ("        opt.step()\n", "")),
                "test_training", "opt.step() 이 한 번도 불리지 않았습니다"),
    WrongAnswer("zero-grad-before-step", "training",
                edit(TRAINING, ("        opt.step()\n        opt.zero_grad()\n",
                                "        opt.zero_grad()\n        opt.step()\n")),
                "test_training", "기울기는 step 이 쓴 뒤, 다음 backward 전에"),
    # The hand-written update of lesson 05 trains just as well but never calls opt.step().
    WrongAnswer("manual-update-kept", "training",
                edit(TRAINING, ("        opt.step()\n        opt.zero_grad()\n",
                                "        with torch.no_grad():\n"
                                "            for p in model.parameters():\n"
                                "                p -= p.grad * lr\n"
                                "            model.zero_grad()\n")),
                "test_training", "옵티마이저가 대신합니다"),
    WrongAnswer("get-model-inside-epoch-loop", "training",
                edit(TRAINING, ("for epoch in range(epochs):\n",
                                "for epoch in range(epochs):\n    model, opt = get_model()\n")),
                "test_training", "get_model() 은 학습 전에 한 번만"),
    # The cell again from `losses = []`, without a new get_model(): the trained model trains on.
    WrongAnswer("trained-twice", "training",
                TRAINING + "\n" + TRAINING[TRAINING.index("losses = []"):],
                "test_training", "같은 모델을 여러 번 학습시켰습니다"),
    # Concept check: opt.step() twice after one backward(). Each wrong choice gets its own explanation.
    WrongAnswer("concept-step-uses-up-grad", "what_step_does", 'what_step_does = "A"',
                "test_what_step_does", "첫 step() 이 끝난 뒤 .grad 에"),
    WrongAnswer("concept-step-forward", "what_step_does", 'what_step_does = "B"',
                "test_what_step_does", "옵티마이저는 모델을 부르지 않습니다"),
    WrongAnswer("concept-step-twice-error", "what_step_does", 'what_step_does = "C"',
                "test_what_step_does", "몇 번이든 부를 수 있는 호출이라"),
    # Concept check (zero_grad_between): one wrong choice here; every choice is checked in tests/test_concepts.py.
    WrongAnswer("concept-zero-grad-between-d", "zero_grad_between", 'zero_grad_between = "D"',
                "test_zero_grad_between", "오류 메시지로는 알 수 없습니다"),
]

RIGHT = [
    RightAnswer("torch-optim-list-other-names", {
        "zero_grad_between": 'zero_grad_between = "a"',
        "get_model": """
def get_model():
    net = Mnist_Logistic()
    optimizer = torch.optim.SGD(list(net.parameters()), lr=lr)
    return net, optimizer
""",
    }, why="torch.optim.SGD over list(model.parameters()), other local names; "
           "the concept check's letter in another case"),
    RightAnswer("zero-grad-set-to-none", {
        "training": edit(TRAINING, ("opt.zero_grad()", "opt.zero_grad(set_to_none=True)")),
    }, why="opt.zero_grad(set_to_none=True)"),
    RightAnswer("zero-grad-first-no-none", {
        "training": edit(TRAINING, ("        opt.zero_grad()\n", ""),
                         ("        pred = model(xb)\n",
                          "        opt.zero_grad(set_to_none=False)\n        pred = model(xb)\n")),
    }, why="opt.zero_grad(set_to_none=False) at the top of the loop body, before backward"),
    RightAnswer("split-loop", {
        "what_step_does": "what_step_does = 'd'",
        "training": """
model, opt = get_model()
criterion = nn.CrossEntropyLoss()
losses = []
for epoch in range(epochs):
    for xb, yb in zip(x_train.split(bs), y_train.split(bs)):
        loss = criterion(model(xb), yb)
        losses.append(loss.item())
        loss.backward()
        opt.step()
        opt.zero_grad()
""" + SHOW_LAST,
    }, why="zip over split() batches, nn.CrossEntropyLoss() instead of F.cross_entropy; the "
           "concept check's letter in lower case"),
    RightAnswer("seeded-while-loop", {
        "training": """
torch.manual_seed(1234)
model, opt = get_model()
losses = []
for epoch in range(epochs):
    start = 0
    while start < n:
        xb, yb = x_train[start:start + bs], y_train[start:start + bs]
        loss = loss_func(model(xb), yb)
        losses.append(loss.item())
        loss.backward()
        opt.step()
        opt.zero_grad()
        start += bs
""" + SHOW_LAST,
    }, why="an extra torch.manual_seed(1234) before get_model(), a while loop"),
]
