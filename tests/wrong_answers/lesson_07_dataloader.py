"""Wrong answers for 07_dataloader."""

from wrong_answers import RightAnswer, WrongAnswer

TRAINING_LOOP = """
torch.manual_seed(0)
model, opt = get_model()
losses = []

for epoch in range(epochs):
    for xb, yb in train_dl:
        pred = model(xb)
        loss = loss_func(pred, yb)
        losses.append(loss.item())

        loss.backward()
        opt.step()
        opt.zero_grad()
"""

WRONG = [
    WrongAnswer("dataset-from-valid", "dataset",
                "train_ds = TensorDataset(x_valid, y_valid)",
                "test_dataset", "검증 데이터를 넣었습니다"),
    WrongAnswer("dataset-swapped", "dataset",
                "train_ds = TensorDataset(y_train, x_train)",
                "test_dataset", "텐서 순서가 바뀌었습니다"),
    WrongAnswer("dataset-tuple", "dataset",
                "train_ds = (x_train, y_train)",
                "test_dataset", "튜플이 아니라"),
    WrongAnswer("loader-no-batch-size", "loader",
                "train_dl = DataLoader(train_ds)",
                "test_loader", "한 장씩(batch_size=1)"),
    WrongAnswer("loader-valid-batch-size", "loader",
                "train_dl = DataLoader(train_ds, batch_size=bs * 2)",
                "test_loader", "DataLoader(train_ds, batch_size=bs)"),
    WrongAnswer("loader-shuffled", "loader",
                "train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)",
                "test_loader", "섞기는 08 강의에서"),
    WrongAnswer("loader-drop-last", "loader",
                "train_dl = DataLoader(train_ds, batch_size=bs, drop_last=True)",
                "test_loader", "drop_last=True 를 지우세요"),
    WrongAnswer("loader-over-valid", "loader",
                "train_dl = DataLoader(TensorDataset(x_valid, y_valid), batch_size=bs)",
                "test_loader", "검증 데이터를 넣었습니다"),
    WrongAnswer("loop-no-zero-grad", "training",
                TRAINING_LOOP.replace("        opt.zero_grad()\n", ""),
                "test_training", "기울기가 계속 쌓입니다"),
    WrongAnswer("loop-one-epoch", "training",
                TRAINING_LOOP.replace("for epoch in range(epochs):", "for epoch in range(1):"),
                "test_training", "한 에포크만 학습했습니다"),
    WrongAnswer("loop-losses-tensors", "training",
                TRAINING_LOOP.replace("losses.append(loss.item())", "losses.append(loss)"),
                "test_training", ".item() 으로 꺼내세요"),
    # Concept check: each wrong choice gets its own explanation as the hint.
    WrongAnswer("concept-same-model-shuffled", "why_same_model", 'why_same_model = "A"',
                "test_why_same_model", "shuffle=True 라고 할 때만"),
    WrongAnswer("concept-same-model-drops-last", "why_same_model", 'why_same_model = "B"',
                "test_why_same_model", "drop_last 의 기본값은 False"),
    WrongAnswer("concept-same-model-any-order", "why_same_model", 'why_same_model = "C"',
                "test_why_same_model", "배치를 보는 순서에 따라 달라집니다"),
    # Concept check (dataset_slice): one wrong choice here; every choice is checked in tests/test_concepts.py.
    WrongAnswer("concept-dataset-slice-a", "dataset_slice", 'dataset_slice = "A"',
                "test_dataset_slice", "리스트로 만들지 않습니다"),
]

RIGHT = [
    RightAnswer("positional-batch-size", {
        "dataset_slice": 'dataset_slice = "b"',
        "why_same_model": 'why_same_model = "d"',
        "loader": "train_dl = DataLoader(train_ds, bs)",
    }, why="batch_size passed by position; the concept check's letter in another case or with spaces"),
    RightAnswer("zero-grad-first-set-to-none", {
        "loader": "train_dl = DataLoader(dataset=train_ds, batch_size=bs, shuffle=False)",
        "training": TRAINING_LOOP.replace(
            "        pred = model(xb)\n",
            "        opt.zero_grad(set_to_none=True)\n        pred = model(xb)\n")
        .replace("        opt.zero_grad()\n", ""),
    }, why="keyword arguments with shuffle=False spelled out, opt.zero_grad(set_to_none=True) "
           "at the top of the loop body"),
    # The loader does not shuffle, so the seed only changes the model's first weights.
    RightAnswer("extra-seed-batch-names", {
        "training": """
torch.manual_seed(0)
torch.manual_seed(1234)
model, opt = get_model()
losses = []

for epoch in range(epochs):
    for batch in train_dl:
        images, labels = batch
        loss = loss_func(model(images), labels)
        losses.append(loss.item())
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=False)
""",
    }, why="an extra torch.manual_seed(1234) before get_model(), the batch unpacked in the loop "
           "body, zero_grad(set_to_none=False)"),
]
