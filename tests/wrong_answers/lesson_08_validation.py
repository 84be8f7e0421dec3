"""Wrong answers for 08_validation."""

from wrong_answers import RightAnswer, WrongAnswer, edit, lesson_solutions


solution = lesson_solutions("08_validation")  # the solution's code of an answer cell: what the variants edit


LOADERS = solution("loaders")
VALIDATION_LOOP = solution("validation_loop")
LOSS_BATCH = solution("loss_batch")
FIT = solution("fit")
GET_DATA = solution("get_data")
FINAL_RUN = solution("final_run")

# The solution's validation: the loss of every batch weighted by its size, over the whole set.
WEIGHTED_VALIDATION = """\
        total = 0.0
        for xb, yb in valid_dl:
            total += loss_func(model(xb), yb).item() * len(xb)
    valid_loss = total / len(valid_ds)
"""

# torch.no_grad() on a line of its own: made, never entered, so the validation records gradients.
BARE_NO_GRAD_LOOP = edit(VALIDATION_LOOP, ("    with torch.no_grad():\n" + WEIGHTED_VALIDATION, """\
    torch.no_grad()
    total = 0.0
    for xb, yb in valid_dl:
        total += loss_func(model(xb), yb).item() * len(xb)
    valid_loss = total / len(valid_ds)
"""))

# The upstream tutorial's first version: the plain mean of the 79 per-batch means.
PLAIN_MEAN_LOOP = edit(VALIDATION_LOOP, ("    with torch.no_grad():\n" + WEIGHTED_VALIDATION, """\
    with torch.no_grad():
        valid_loss = sum(loss_func(model(xb), yb) for xb, yb in valid_dl)
    valid_loss = valid_loss.item() / len(valid_dl)
"""))

WRONG = [
    # Metrics of the last mini-batch instead of the whole validation set.
    WrongAnswer("loop-valid-last-batch", "validation_loop",
                edit(VALIDATION_LOOP, (WEIGHTED_VALIDATION, """\
        for xb, yb in valid_dl:
            valid_loss = loss_func(model(xb), yb).item()
""")),
                "test_validation_loop", "마지막 검증 배치(16장)의 손실만"),
    WrongAnswer("fit-valid-last-batch", "fit",
                edit(FIT, ('history["valid_loss"].append(np.average(losses, weights=nums))',
                           'history["valid_loss"].append(losses[-1])')),
                "test_fit", "마지막 검증 배치의 손실만"),
    # exercise 1: the two loaders
    WrongAnswer("train-not-shuffled", "loaders",
                edit(LOADERS, ("batch_size=bs, shuffle=True", "batch_size=bs")),
                "test_loaders", "shuffle=True 를 넘기세요"),
    WrongAnswer("valid-shuffled", "loaders",
                edit(LOADERS, ("batch_size=bs * 2)", "batch_size=bs * 2, shuffle=True)")),
                "test_loaders", "검증 데이터는 섞을 필요가 없습니다"),
    WrongAnswer("valid-same-batch-size", "loaders",
                edit(LOADERS, ("batch_size=bs * 2", "batch_size=bs")),
                "test_loaders", "검증 로더의 배치 크기는 bs * 2"),
    WrongAnswer("valid-ds-from-train", "loaders",
                edit(LOADERS, ("TensorDataset(x_valid, y_valid)", "TensorDataset(x_train, y_train)")),
                "test_loaders", "훈련 데이터를 넣었습니다"),
    # exercise 2: the loop with validation
    WrongAnswer("loop-plain-mean", "validation_loop", PLAIN_MEAN_LOOP,
                "test_validation_loop", "배치마다의 평균 손실을 그냥 평균 냈습니다"),
    WrongAnswer("loop-valid-loss-with-grad", "validation_loop",
                edit(VALIDATION_LOOP, ("    with torch.no_grad():\n" + WEIGHTED_VALIDATION, """\
    valid_loss = sum(loss_func(model(xb), yb) * len(xb) for xb, yb in valid_dl) / len(valid_ds)
""")),
                "test_validation_loop", "with torch.no_grad(): 안에서"),
    # Two mistakes no number shows for a logistic regression, read from the cell's code:
    # model.train() never called again after the first validation, and torch.no_grad() on a line
    # of its own (made, never entered).
    WrongAnswer("loop-train-not-restored", "validation_loop",
                edit(VALIDATION_LOOP, ("    model.train()\n", "")),
                "test_validation_loop", "에포크마다 훈련 루프 앞에서 model.train() 을 부르세요"),
    WrongAnswer("loop-no-grad-bare-line", "validation_loop", BARE_NO_GRAD_LOOP,
                "test_validation_loop", "with 문으로 들어가야 효과가 있습니다"),
    # The same mistake with the kernel's history wiped: the judge reads the code from the
    # submitted notebook, not from the kernel's In.
    WrongAnswer("loop-no-grad-bare-line-history-wiped", "validation_loop",
                edit(BARE_NO_GRAD_LOOP, ("print(f", "In[:] = [''] * len(In)\n    print(f")),
                "test_validation_loop", "with 문으로 들어가야 효과가 있습니다"),
    # get_model() without the lesson's rate: lessons 06-07's 0.5, which the shuffle makes a lottery.
    WrongAnswer("loop-lr-from-06", "validation_loop",
                edit(VALIDATION_LOOP, ("get_model(lr)", "get_model()")),
                "test_validation_loop", "get_model() 을 인자 없이"),
    # Half of every epoch: the loop stops in the middle of train_dl.
    WrongAnswer("loop-half-epoch", "validation_loop",
                edit(VALIDATION_LOOP, ("""\
    for xb, yb in train_dl:
""", """\
    for step, (xb, yb) in enumerate(train_dl):
        if step == len(train_dl) // 2:
            break
""")),
                "test_validation_loop", "에포크마다 train_dl 을 한 번씩 돌았는지"),
    WrongAnswer("loop-no-zero-grad", "validation_loop",
                edit(VALIDATION_LOOP, ("        opt.zero_grad()\n", "")),
                "test_validation_loop", "기울기가 계속 쌓입니다"),
    # exercise 3: loss_batch
    WrongAnswer("loss-batch-no-zero-grad", "loss_batch",
                edit(LOSS_BATCH, ("        opt.zero_grad()\n", "")),
                "test_loss_batch", "opt.step() 다음에 opt.zero_grad()"),
    WrongAnswer("loss-batch-returns-tensor", "loss_batch",
                edit(LOSS_BATCH, ("return loss.item(), len(xb)", "return loss, len(xb)")),
                "test_loss_batch", ".item() 으로 파이썬 숫자를 꺼내"),
    WrongAnswer("loss-batch-backward-always", "loss_batch",
                edit(LOSS_BATCH, ("""\
    if opt is not None:
        loss.backward()
        opt.step()""", """\
    loss.backward()
    if opt is not None:
        opt.step()""")),
                "test_loss_batch", "if opt is not None: 안에서만"),
    WrongAnswer("loss-batch-returns-bs", "loss_batch",
                edit(LOSS_BATCH, ("return loss.item(), len(xb)", "return loss.item(), bs")),
                "test_loss_batch", "bs(64)를 그대로 돌려줬습니다"),
    WrongAnswer("loss-batch-loss-only", "loss_batch",
                edit(LOSS_BATCH, ("return loss.item(), len(xb)", "return loss.item()")),
                "test_loss_batch", "손실만 돌려줬습니다"),
    # exercise 4: fit
    WrongAnswer("fit-divides-by-global-valid-size", "fit",
                edit(FIT, ("""\
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        history["valid_loss"].append(np.average(losses, weights=nums))""", """\
            total = sum(loss * num for loss, num in [loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        history["valid_loss"].append(total / len(valid_ds))""")),
                "test_fit", "전역 변수 len(valid_ds)"),
    WrongAnswer("fit-average-positional-weights", "fit",
                edit(FIT, ("np.average(losses, weights=nums)", "np.average(losses, nums)")),
                "test_fit", "weights= 로 이름을 붙여"),
    WrongAnswer("fit-no-eval", "fit", edit(FIT, ("        model.eval()\n", "")),
                "test_fit", "검증 루프 앞에서 model.eval()"),
    WrongAnswer("fit-no-train", "fit", edit(FIT, ("        model.train()\n", "")),
                "test_fit", "훈련 루프 앞에서 model.train()"),
    WrongAnswer("fit-valid-with-grad", "fit",
                edit(FIT, ("with torch.no_grad():", "if True:")),
                "test_fit", "with torch.no_grad(): 안에서"),
    WrongAnswer("fit-plain-mean", "fit",
                edit(FIT, ('history["valid_loss"].append(np.average(losses, weights=nums))',
                           'history["valid_loss"].append(np.mean(losses))')),
                "test_fit", "배치마다의 평균 손실을 그냥 평균 냈습니다"),
    WrongAnswer("fit-trains-on-valid", "fit",
                edit(FIT, ("xb, yb, opt) for xb, yb in train_dl", "xb, yb, opt) for xb, yb in valid_dl")),
                "test_fit", "fit 이 valid_dl 로 학습했습니다"),
    WrongAnswer("fit-validates-with-opt", "fit",
                edit(FIT, ("loss_batch(model, loss_func, xb, yb) for", "loss_batch(model, loss_func, xb, yb, opt) for")),
                "test_fit", "loss_batch 에 opt 를 넘기지 말고"),
    WrongAnswer("fit-no-return", "fit", edit(FIT, ("\n    return history", "")),
                "test_fit", "함수 끝의 return 을 빠뜨리지"),
    # torch.no_grad() called as a statement, not as a context manager: it changes nothing.
    WrongAnswer("fit-no-grad-without-with", "fit",
                edit(FIT, ("""\
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])""", """\
        torch.no_grad()
        losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])""")),
                "test_fit", "with torch.no_grad(): 안에서"),
    # exercise 5: get_data
    WrongAnswer("get-data-valid-shuffled", "get_data",
                edit(GET_DATA, ("batch_size=bs * 2)", "batch_size=bs * 2, shuffle=True)")),
                "test_get_data", "검증 데이터는 섞을 필요가 없습니다"),
    WrongAnswer("get-data-global-bs", "get_data",
                edit(GET_DATA, ("batch_size=bs,", "batch_size=64,"), ("bs * 2", "64 * 2")),
                "test_get_data", "get_data 안에서 인자로 받은 bs"),
    # The parameters renamed, the body still on the notebook's global train_ds and valid_ds.
    WrongAnswer("get-data-global-datasets", "get_data",
                edit(GET_DATA, ("def get_data(train_ds, valid_ds, bs):", "def get_data(train, valid, bs):")),
                "test_get_data", "인자로 받은 데이터셋을 쓰지 않습니다"),
    # the final run
    WrongAnswer("final-one-epoch", "final_run",
                edit(FINAL_RUN, ("fit(epochs,", "fit(1,")),
                "test_training", "첫 인자로 epochs"),
    WrongAnswer("final-lr-from-06", "final_run",
                edit(FINAL_RUN, ("get_model(lr)", "get_model()")),
                "test_training", "get_model() 을 인자 없이"),
    # No new model: the final run keeps training exercise 2's model (and its optimizer).
    WrongAnswer("final-continues-loop-model", "final_run",
                edit(FINAL_RUN, ("model, opt = get_model(lr)\n", "")),
                "test_training", "앞 연습에서 학습한 model 을 이어서"),
    WrongAnswer("final-datasets-swapped", "final_run",
                edit(FINAL_RUN, ("get_data(train_ds, valid_ds, bs)", "get_data(valid_ds, train_ds, bs)")),
                "test_training", "인자 순서가 맞는지"),
    # Concept checks: each wrong choice gets its own explanation.
    WrongAnswer("concept-valid-batch-unshuffled", "why_bigger_valid_batch", 'why_bigger_valid_batch = "A"',
                "test_why_bigger_valid_batch", "섞는지는 배치를 키울 수 있는지와 상관없습니다"),
    WrongAnswer("concept-valid-batch-smaller-loss", "why_bigger_valid_batch", 'why_bigger_valid_batch = "B"',
                "test_why_bigger_valid_batch", "배치 크기와 상관없이 같은 값"),
    WrongAnswer("concept-valid-batch-generalises", "why_bigger_valid_batch", 'why_bigger_valid_batch = "D"',
                "test_why_bigger_valid_batch", "매개변수를 바꾸지 않습니다"),
    WrongAnswer("concept-eval-still-drops", "what_eval_changes", 'what_eval_changes = "A"',
                "test_what_eval_changes", "그것은 훈련 모드의 동작입니다"),
    WrongAnswer("concept-eval-halves", "what_eval_changes", 'what_eval_changes = "C"',
                "test_what_eval_changes", "0.5 를 곱하면 평균이"),
    WrongAnswer("concept-eval-zeroes", "what_eval_changes", 'what_eval_changes = "D"',
                "test_what_eval_changes", "층을 꺼 버리지 않습니다"),
]

RIGHT = [
    # The seed is not part of the answer: the reference band holds what the seed and the
    # machine change (issue: a grade must not depend on luck), so a loop seeded after building
    # the model, or with another seed, is right.
    RightAnswer("loop-seed-after-model", {
        "validation_loop": edit(VALIDATION_LOOP, ("seed_everything(0)\nmodel, opt = get_model(lr)\n",
                                                  "model, opt = get_model(lr)\ntorch.manual_seed(0)\n")),
    }, why="the seed set after get_model(): another initialisation, still a right loop"),
    RightAnswer("loop-other-seed", {
        "why_bigger_valid_batch": 'why_bigger_valid_batch = "c"',
        "what_eval_changes": "what_eval_changes = 'B '",
        "validation_loop": edit(VALIDATION_LOOP, ("seed_everything(0)\n", "torch.manual_seed(1234)\n")),
    }, why="torch.manual_seed(1234) instead of seed 0: other first weights and shuffling; the "
           "concept checks' letters in lower case or with a space"),
    RightAnswer("loaders-keywords", {
        "loaders": edit(LOADERS, ("DataLoader(train_ds,", "DataLoader(dataset=train_ds,"),
                        ("DataLoader(valid_ds, batch_size=bs * 2)",
                         "DataLoader(dataset=valid_ds, batch_size=2 * bs, shuffle=False)")),
        "get_data": """
def get_data(train_ds, valid_ds, bs):
    train_dl = DataLoader(train_ds, bs, shuffle=True)
    valid_dl = DataLoader(valid_ds, bs * 2)
    return train_dl, valid_dl
""",
    }, why="keyword arguments, 2 * bs, shuffle=False spelled out; get_data with batch_size by position"),
    RightAnswer("sampler-one-hot-loss", {
        "loaders": edit(LOADERS, ("DataLoader(train_ds, batch_size=bs, shuffle=True)",
                                  "DataLoader(train_ds, batch_size=bs, sampler=torch.utils.data.RandomSampler(train_ds))")),
        "validation_loop": edit(VALIDATION_LOOP, ("        loss = loss_func(pred, yb)\n",
                                                  "        loss = -(F.one_hot(yb, 10) * F.log_softmax(pred, dim=1)).sum(dim=1).mean()\n")),
    }, why="the shuffling spelled out as sampler=RandomSampler(train_ds); the training loss as one-hot "
           "cross-entropy written by hand (the same number as F.cross_entropy)"),
    # The validation in a helper of its own (a no_grad decorator, eval inside it), the model put
    # back in training mode at the end of each epoch instead of its start.
    RightAnswer("loop-validation-helper", {
        "validation_loop": """
seed_everything(0)
model, opt = get_model(lr)
valid_losses = []


@torch.no_grad()
def validation_loss(net):
    net.eval()
    return sum(loss_func(net(xb), yb).item() * len(xb) for xb, yb in valid_dl) / len(valid_ds)


model.train()
for epoch in range(epochs):
    for xb, yb in train_dl:
        loss = loss_func(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
    valid_losses.append(validation_loss(model))
    model.train()
""",
    }, why="the validation in a function under @torch.no_grad() that calls net.eval(); model.train() "
           "before the loop and again after each validation"),
    RightAnswer("loop-inference-mode-zero-first", {
        "validation_loop": """
loss_func = torch.nn.CrossEntropyLoss()
torch.manual_seed(0)
model, opt = get_model(lr)
valid_losses = []

for epoch in range(epochs):
    model.train()
    for xb, yb in train_dl:
        opt.zero_grad(set_to_none=True)
        loss = loss_func(model(xb), yb)
        loss.backward()
        opt.step()

    model.eval()
    with torch.inference_mode():
        loss_sum, count = 0.0, 0
        for xb, yb in valid_dl:
            loss_sum += loss_func(model(xb), yb).item() * len(yb)
            count += len(yb)
    valid_losses.append(loss_sum / count)
    print(f"에포크 {epoch + 1}: 검증 손실 {valid_losses[-1]:.4f}")
""",
        "loss_batch": edit(LOSS_BATCH, ("""\
        loss.backward()
        opt.step()
        opt.zero_grad()
""", """\
        opt.zero_grad()
        loss.backward()
        opt.step()
"""), ("len(xb)", "xb.shape[0]")),
    }, why="loss_func = nn.CrossEntropyLoss() (then used by every later cell), gradients zeroed "
           "before backward (set_to_none=True in the loop), torch.inference_mode() for validation, "
           "the count summed from the batches, xb.shape[0]"),
    RightAnswer("fit-explicit-loops-extra-seed", {
        "fit": """
def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    history = {"train_loss": [], "valid_loss": []}
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        for xb, yb in train_dl:
            loss, size = loss_batch(model, loss_func, xb, yb, opt)
            total += loss * size
            count += size
        history["train_loss"].append(total / count)

        model.eval()
        with torch.inference_mode():
            total, count = 0.0, 0
            for xb, yb in valid_dl:
                loss, size = loss_batch(model, loss_func, xb, yb)
                total += loss * size
                count += size
        history["valid_loss"].append(total / count)
    return history
""",
        # The check trains a fresh model from its own seed through get_data and fit, so a
        # learner's extra seed before their own run changes nothing in the score.
        "final_run": edit(FINAL_RUN, ("""\
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
model, opt = get_model(lr)
""", """\
model, opt = get_model(lr)
torch.manual_seed(1234)
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
""")),
    }, why="fit with plain loops and sums instead of zip(*...) and np.average, torch.inference_mode(); "
           "the final run with an extra torch.manual_seed(1234) and get_model() before get_data()"),
]
