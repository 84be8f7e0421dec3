"""Wrong answers for 07_dataloader."""

from wrong_answers import RightAnswer, WrongAnswer, edit, lesson_solutions


solution = lesson_solutions("07_dataloader")  # the solution's code of an answer cell: what the variants edit


DATASET = solution("dataset")
LOADER = solution("loader")
TRAINING = solution("training")

WRONG = [
    WrongAnswer("dataset-from-valid", "dataset",
                edit(DATASET, ("x_train, y_train", "x_valid, y_valid")),
                "test_dataset", "검증 데이터를 넣었습니다"),
    WrongAnswer("dataset-swapped", "dataset",
                edit(DATASET, ("x_train, y_train", "y_train, x_train")),
                "test_dataset", "텐서 순서가 바뀌었습니다"),
    WrongAnswer("dataset-tuple", "dataset",
                edit(DATASET, ("TensorDataset(x_train, y_train)", "(x_train, y_train)")),
                "test_dataset", "튜플이 아니라"),
    WrongAnswer("loader-no-batch-size", "loader",
                edit(LOADER, (", batch_size=bs", "")),
                "test_loader", "한 장씩(batch_size=1)"),
    WrongAnswer("loader-valid-batch-size", "loader",
                edit(LOADER, ("batch_size=bs", "batch_size=bs * 2")),
                "test_loader", "batch_size 인자로 준비 셀의 bs(64)"),
    WrongAnswer("loader-shuffled", "loader",
                edit(LOADER, ("batch_size=bs", "batch_size=bs, shuffle=True")),
                "test_loader", "섞기는 08 강의에서"),
    WrongAnswer("loader-drop-last", "loader",
                edit(LOADER, ("batch_size=bs", "batch_size=bs, drop_last=True")),
                "test_loader", "drop_last=True 를 지우세요"),
    WrongAnswer("loader-over-valid", "loader",
                edit(LOADER, ("DataLoader(train_ds,", "DataLoader(TensorDataset(x_valid, y_valid),")),
                "test_loader", "검증 데이터를 넣었습니다"),
    WrongAnswer("loop-no-zero-grad", "training",
                edit(TRAINING, ("\n        opt.zero_grad()", "")),
                "test_training", "기울기가 계속 쌓입니다"),
    WrongAnswer("loop-one-epoch", "training",
                edit(TRAINING, ("for epoch in range(epochs):", "for epoch in range(1):")),
                "test_training", "한 에포크만 학습했습니다"),
    # A schedule the lesson does not ask for: the rate halved after each epoch. The second epoch
    # at 0.25 lands inside the band; the optimizer's rate at the end tells.
    WrongAnswer("loop-lr-halved", "training",
                edit(TRAINING, ("        opt.zero_grad()", "        opt.zero_grad()\n    for group in opt.param_groups:\n        group[\"lr\"] /= 2")),
                "test_training", "학습률을 바꾸는(줄이는) 일정은"),
    # A loop over a shuffled loader of its own (shuffling is lesson 08's): inside the band at this
    # rate; the second epoch's losses do not follow train_dl's batches.
    WrongAnswer("loop-shuffled-loader", "training",
                edit(TRAINING, ("for xb, yb in train_dl:", "for xb, yb in DataLoader(train_ds, batch_size=bs, shuffle=True):")),
                "test_training", "train_dl 의 순서대로 학습했다면"),
    WrongAnswer("loop-losses-tensors", "training",
                edit(TRAINING, ("losses.append(loss.item())", "losses.append(loss)")),
                "test_training", ".item() 으로 꺼내세요"),
    # Concept check: each wrong choice gets its own explanation as the hint.
    WrongAnswer("concept-same-model-same-order", "why_same_model", 'why_same_model = "A"',
                "test_why_same_model", "이미지를 보는 순서가 같다는 것만으로"),
    WrongAnswer("concept-same-model-mean-loss", "why_same_model", 'why_same_model = "B"',
                "test_why_same_model", "첫 걸음으로 이미 바뀐 매개변수에서"),
    WrongAnswer("concept-same-model-drops-last", "why_same_model", 'why_same_model = "C"',
                "test_why_same_model", "drop_last 의 기본값은 False"),
    # Concept check (dataset_sizes): one wrong choice here; every choice is checked in tests/test_concepts.py.
    WrongAnswer("concept-dataset-sizes-zip", "dataset_sizes", 'dataset_sizes = "B"',
                "test_dataset_sizes", "짧은 쪽에 맞춰 자르지 않습니다"),
]

RIGHT = [
    RightAnswer("positional-batch-size", {
        "dataset_sizes": 'dataset_sizes = "a"',
        "why_same_model": 'why_same_model = "d"',
        "loader": edit(LOADER, ("batch_size=bs", "bs")),
    }, why="batch_size passed by position; the concept check's letter in another case or with spaces"),
    RightAnswer("zero-grad-first-set-to-none", {
        "loader": edit(LOADER, ("DataLoader(train_ds, batch_size=bs)",
                                "DataLoader(dataset=train_ds, batch_size=bs, shuffle=False)")),
        "training": edit(TRAINING, ("\n        opt.zero_grad()", ""),
                         ("        pred = model(xb)\n",
                          "        opt.zero_grad(set_to_none=True)\n        pred = model(xb)\n")),
    }, why="keyword arguments with shuffle=False spelled out, opt.zero_grad(set_to_none=True) "
           "at the top of the loop body"),
    # The loader does not shuffle, so the seed only changes the model's first weights.
    RightAnswer("extra-seed-batch-names", {
        "training": edit(TRAINING,
                         ("model, opt = get_model()", "torch.manual_seed(1234)\nmodel, opt = get_model()"),
                         ("    for xb, yb in train_dl:\n"
                          "        pred = model(xb)\n"
                          "        loss = loss_func(pred, yb)\n",
                          "    for batch in train_dl:\n"
                          "        images, labels = batch\n"
                          "        loss = loss_func(model(images), labels)\n"),
                         ("opt.zero_grad()", "opt.zero_grad(set_to_none=False)")),
    }, why="an extra torch.manual_seed(1234) before get_model(), the batch unpacked in the loop "
           "body, zero_grad(set_to_none=False)"),
]
