"""Wrong answers for 01_mnist_data."""

from wrong_answers import RightAnswer, WrongAnswer, edit, lesson_solutions


solution = lesson_solutions("01_mnist_data")  # the solution's code of an answer cell: what the variants edit


WRONG = [
    WrongAnswer("sizes-swapped", "sizes",
                edit(solution("sizes"), ("n_train, n_pixels =", "n_pixels, n_train =")),
                "test_sizes", "두 값이 서로 바뀌지"),
    WrongAnswer("image-index-1", "first_image",
                edit(solution("first_image"), ("x_train[0]", "x_train[1]")),
                "test_first_image", "인덱스는 0부터"),
    WrongAnswer("image-transposed", "first_image",
                edit(solution("first_image"), ("reshape(28, 28)", "reshape(28, 28).T")),
                "test_first_image", "행과 열이 바뀌었습니다"),
    WrongAnswer("range-hardcoded-255", "value_range",
                edit(solution("value_range"),
                     ("x_train.min().item()", "0.0"), ("x_train.max().item()", "255.0")),
                "test_value_range", "0~255 가 아니라 0~1"),
    # min and max stay 0-dim tensors, not Python numbers
    WrongAnswer("range-tensor-not-float", "value_range",
                edit(solution("value_range"), (".item()", "")),
                "test_value_range", ".item()"),
    WrongAnswer("counts-of-valid", "label_counts",
                edit(solution("label_counts"), ("y_train", "y_valid")),
                "test_label_counts", "검증 레이블(y_valid)"),
    # the right counts, shifted one place: the total is right, the places are not (the visible
    # check compares every count, so the learner sees it before grading)
    WrongAnswer("counts-rolled", "label_counts",
                edit(solution("label_counts"), ("minlength=10)", "minlength=10).roll(1)")),
                "test_label_counts", "자리가 바뀌었습니다"),
    # sorted to show the most common digit first: the counts lose their digits
    WrongAnswer("counts-sorted", "label_counts",
                edit(solution("label_counts"), ("minlength=10)", "minlength=10).sort(descending=True).values")),
                "test_label_counts", "자리가 바뀌었습니다"),
    # slices the first bs pixels (columns) of every image instead of the first bs images
    WrongAnswer("batch-columns", "first_batch",
                edit(solution("first_batch"), ("xb = x_train[0:bs]", "xb = x_train[:, :bs]")),
                "test_first_batch", "픽셀(열)을 자릅니다"),
    # floor division drops the last, partial batch
    WrongAnswer("batch-count-floor", "batch_count",
                edit(solution("batch_count"),
                     ("(n_train + bs - 1) // bs", "n_train // bs"),
                     ("(n_batches - 1) * bs", "n_batches * bs")),
                "test_batch_count", "버립니다"),
    # the count is right, but the last batch is taken to be a full one
    # Right for 50,000 images, wrong whenever the images fill the last batch: one batch too many,
    # and the remainder (0) for the last batch's size. The hidden test replays the formulas.
    WrongAnswer("batch-count-plus-one", "batch_count",
                edit(solution("batch_count"), ("(n_train + bs - 1) // bs", "n_train // bs + 1")),
                "test_batch_count", "몫에 늘 1 을 더하면"),
    WrongAnswer("batch-last-remainder", "batch_count",
                edit(solution("batch_count"), ("n_train - (n_batches - 1) * bs", "n_train % bs")),
                "test_batch_count", "나머지(n_train % bs)는"),
    WrongAnswer("batch-last-full", "batch_count",
                edit(solution("batch_count"), ("n_train - (n_batches - 1) * bs", "bs")),
                "test_batch_count", "마지막 배치도 꽉 찬 64장이라고 했습니다"),
    # Concept check: each wrong choice gets its own explanation as the hint.
    WrongAnswer("concept-valid-set-higher", "why_valid_set", 'why_valid_set = "A"',
                "test_why_valid_set", "이미지가 적다고 한 장 한 장이 쉬워지지는"),
    WrongAnswer("concept-valid-set-same-score", "why_valid_set", 'why_valid_set = "B"',
                "test_why_valid_set", "본 바로 그 이미지들은 아닙니다"),
    WrongAnswer("concept-valid-set-near-zero", "why_valid_set", 'why_valid_set = "C"',
                "test_why_valid_set", "알아보지 못하는 것은 아닙니다"),
    # Concept check (what_reshape_does): one wrong choice here; every choice is checked in tests/test_concepts.py.
    # D: the values read column by column (5 × 28 + 2), as if reshape filled the grid top to bottom
    WrongAnswer("concept-what-reshape-does-d", "what_reshape_does", 'what_reshape_does = "D"',
                "test_what_reshape_does", "142 = 5 × 28 + 2"),
]

RIGHT = [
    RightAnswer("size-view-stack", {
        "what_reshape_does": 'what_reshape_does = " b"',
        "why_valid_set": 'why_valid_set = "d"',
        "sizes": "n_train, n_pixels = x_train.size()",
        "first_image": "first_image = x_train[0].view(28, 28)",
        "label_counts": "label_counts = torch.stack([(y_train == digit).sum() for digit in range(10)])",
        "batch_count": "full, rest = divmod(n_train, bs)\nn_batches = full + 1 if rest else full\n"
                       "last_batch_size = rest if rest > 0 else bs",
    }, why="x_train.size() instead of .shape, view instead of reshape, counts by comparison, the batch count "
           "from divmod with a conditional; the concept check's letter in another case or with spaces"),
    RightAnswer("float-and-ceil", {
        "value_range": "pixel_min = float(x_train.min())\npixel_max = float(x_train.max())\n"
                       "pixel_dtype, label_dtype = x_train.dtype, y_train.dtype",
        "first_batch": "xb, yb = x_train[:bs], y_train[:bs]",
        "batch_count": "import math\n\nn_batches = math.ceil(n_train / bs)\n"
                       "last_batch_size = len(x_train[(n_batches - 1) * bs:])",
    }, why="float() instead of .item(), slices without 0, math.ceil and the last slice's length"),
    RightAnswer("len-numel-bincount-method", {
        "sizes": "n_train = len(x_train)\nn_pixels = x_train[0].numel()",
        "first_image": "first_image = x_train[0].reshape(28, -1)",
        "label_counts": "label_counts = y_train.bincount(minlength=10)",
        "batch_count": "n_batches = -(-n_train // bs)\nlast_batch_size = n_train % bs or bs",
    }, why="len() and numel(), reshape(28, -1), the bincount method, ceiling by negative floor"),
]
