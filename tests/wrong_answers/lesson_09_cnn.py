"""Wrong answers for 09_cnn.

Every variant still trains the CNN once (the training cell comes early), so the list is kept to
the mistakes that matter; a stride-1 network is tried on seq_model, which is never trained
(trained at full resolution it would take minutes).
"""

from wrong_answers import RightAnswer, WrongAnswer, edit, lesson_solutions


solution = lesson_solutions("09_cnn")  # the solution's code of an answer cell: what the variants edit


CNN_CLASS = solution("cnn_class")
OPTIMIZER = solution("optimizer")
TRAINING = solution("training")
LOWER_LR = 'for group in opt.param_groups:\n    group["lr"] = last_lr\n'
LAMBDA = solution("lambda_module")
SEQUENTIAL = solution("sequential")
WRAPPED_LOADER = solution("wrapped_loader")
ADAPTIVE = solution("adaptive_model")

WRONG = [
    WrongAnswer("cnn-missing-relu", "cnn_class",
                edit(CNN_CLASS, ("xb = F.relu(self.conv2(xb))", "xb = self.conv2(xb)")),
                "test_cnn_class", "2번째 합성곱 뒤의 ReLU 가 빠졌습니다"),
    WrongAnswer("cnn-no-reshape", "cnn_class",
                edit(CNN_CLASS, ("        xb = xb.view(-1, 1, 28, 28)\n", "")),
                "test_cnn_class", "(배치, 채널 1, 높이 28, 너비 28) 모양으로 바꾸세요"),
    WrongAnswer("optimizer-no-momentum", "optimizer",
                edit(OPTIMIZER, (", momentum=0.9", "")),
                "test_optimizer", "momentum 을 빠뜨렸습니다"),
    # PyTorch's default initialisation kept: the result then depends much more on the seed.
    WrongAnswer("init-missing", "optimizer",
                edit(OPTIMIZER, ("model.apply(init_weights)\n", "")),
                "test_optimizer", "init_weights 를 model.apply 로"),
    # squeeze() flattens (N, 10, 1, 1) for N > 1, and a batch of one to (10,)
    WrongAnswer("cnn-squeeze", "cnn_class",
                edit(CNN_CLASS, ("return xb.view(-1, xb.size(1))", "return xb.squeeze()")),
                "test_cnn_class", "배치 차원까지 사라졌습니다"),
    # The last epoch at the same learning rate: four epochs at lr 0.1, a result inside the band on
    # many seeds; the optimizer's learning rate after training shows it.
    WrongAnswer("lr-not-lowered", "training",
                edit(TRAINING, (LOWER_LR, "")),
                "test_training", "param_groups 에 있습니다"),
    # The learning rate lowered before the first fit: all five epochs at lr 0.01. The optimizer
    # ends at last_lr as it should; the last epoch's training loss falls no more than the one
    # before (and the model is far less accurate than the reference).
    WrongAnswer("lr-lowered-from-start", "training",
                LOWER_LR + edit(TRAINING, (LOWER_LR, "")),
                "test_training", "마지막 fit 을 부르기 바로 전에 낮춥니다"),
    WrongAnswer("optimizer-lr-0.5", "optimizer",
                edit(OPTIMIZER, ("lr=lr", "lr=0.5")),
                "test_optimizer", "0.5 는 앞 강의의 로지스틱 회귀에 쓴 학습률"),
    # the solution's line twice: the second fit trains the already trained model on
    WrongAnswer("fit-called-twice", "training",
                TRAINING + "\n" + TRAINING,
                "test_training", "이미 학습된 모델을 이어서 학습했습니다"),
    # Loaders swapped: trained on the validation data, "validated" on the training data. The
    # wide reference band (seeds × machines) alone might let it through; the history check
    # compares fit's number with the model in the same kernel.
    WrongAnswer("fit-loaders-swapped", "training",
                edit(TRAINING, ("train_dl, valid_dl)", "valid_dl, train_dl)")),
                "test_training", "train_dl 과 valid_dl 의 자리가 바뀌어"),
    WrongAnswer("lambda-function-not-called", "lambda_module",
                edit(LAMBDA, ("return self.func(x)", "return self.func")),
                "test_lambda", "함수를 호출하지 않고"),
    # stride=1 in all three layers
    WrongAnswer("seq-stride-1", "sequential", edit(SEQUENTIAL, ("stride=2", "stride=1")),
                "test_sequential", "stride=2 로 필터를 두 칸씩"),
    # channels 1→16→32→10
    WrongAnswer("seq-wrong-channels", "sequential",
                edit(SEQUENTIAL, ("nn.Conv2d(16, 16,", "nn.Conv2d(16, 32,"), ("nn.Conv2d(16, 10,", "nn.Conv2d(32, 10,")),
                "test_sequential", "채널 수는 1→16→16→10"),
    WrongAnswer("seq-no-relu", "sequential", edit(SEQUENTIAL, ("    nn.ReLU(),\n", "")),
                "test_sequential", "nn.ReLU() 층을 합성곱 층마다 바로 뒤에"),
    # preprocess returns only the images
    WrongAnswer("wrapper-drops-labels", "wrapped_loader",
                edit(WRAPPED_LOADER, ("return x.view(-1, 1, 28, 28), y", "return x.view(-1, 1, 28, 28)")),
                "test_wrapped_loader", "레이블을 빠뜨렸습니다"),
    WrongAnswer("preprocess-no-channel", "wrapped_loader",
                edit(WRAPPED_LOADER, ("x.view(-1, 1, 28, 28)", "x.view(-1, 28, 28)")),
                "test_wrapped_loader", "채널 차원이 빠졌습니다"),
    # __iter__ yields the batch without calling preprocess
    # Batches made once and replayed: every epoch would see the first epoch's shuffle again.
    WrongAnswer("wrapper-caches-batches", "wrapped_loader",
                edit(WRAPPED_LOADER, ("""\
        for b in self.dl:
            yield self.func(*b)""", """\
        if not hasattr(self, "batches"):
            self.batches = [self.func(*b) for b in self.dl]
        return iter(self.batches)""")),
                "test_wrapped_loader", "미리 만들어 두거나 저장해 두었다가"),
    WrongAnswer("wrapper-ignores-func", "wrapped_loader",
                edit(WRAPPED_LOADER, ("yield self.func(*b)", "yield b")),
                "test_wrapped_loader", "배치를 그대로 내보냈습니다"),
    WrongAnswer("fixed-avg-pool-kept", "adaptive_model",
                edit(ADAPTIVE, ("nn.AdaptiveAvgPool2d(1)", "nn.AvgPool2d(4)")),
                "test_adaptive_model", "nn.AdaptiveAvgPool2d(1) 로 바꾸세요"),
    # seq_model's first layer, the reshape Lambda, kept in front of the adaptive model
    WrongAnswer("reshape-lambda-kept", "adaptive_model",
                edit(ADAPTIVE, ("adaptive_model = nn.Sequential(\n",
                                "adaptive_model = nn.Sequential(\n    Lambda(lambda x: x.view(-1, 1, 28, 28)),\n")),
                "test_adaptive_model", "맨 앞의 Lambda"),
    # Concept check: the (16, 16, 3, 3) weight of conv2.
    WrongAnswer("concept-weight-constructor-order", "conv_weight_shape", 'conv_weight_shape = "A"',
                "test_conv_weight_shape", "생성자에 적은 인자의 순서를 그대로 따르지 않습니다"),
    WrongAnswer("concept-weight-no-input-channels", "conv_weight_shape", 'conv_weight_shape = "B"',
                "test_conv_weight_shape", "5×5 가중치가 한 장뿐입니다"),
    WrongAnswer("concept-weight-shared-channels", "conv_weight_shape", 'conv_weight_shape = "C"',
                "test_conv_weight_shape", "빨강과 파랑을 구별할 수 없습니다"),
    # Concept check (conv_output_shape): one wrong choice here; every choice is checked in tests/test_concepts.py.
    WrongAnswer("concept-conv-output-shape-c", "conv_output_shape", 'conv_output_shape = "C"',
                "test_conv_output_shape", "입력 채널 수는 출력에 남지 않습니다"),
]

# Each variant trains the CNN once more (about 20 s), so each one changes several cells.
RIGHT = [
    RightAnswer("functional-spellings-flatten", {
        "conv_output_shape": 'conv_output_shape = "a"',
        "cnn_class": edit(CNN_CLASS, ("xb.view(-1, 1, 28, 28)", "xb.reshape(-1, 1, 28, 28)"),
                          ("F.relu(", "torch.relu("),
                          ("xb = F.avg_pool2d(xb, 4)\n        return xb.view(-1, xb.size(1))",
                           "xb = F.adaptive_avg_pool2d(xb, 1)\n        return torch.flatten(xb, 1)")),
        "optimizer": edit(OPTIMIZER, ("optim.SGD(model.parameters()", "torch.optim.SGD(list(model.parameters())")),
        "lambda_module": edit(LAMBDA, ("self.func", "self.fn")),
        "training": edit(TRAINING, (LOWER_LR, 'opt.param_groups[0]["lr"] = lr * 0.1\n')),
        "sequential": edit(SEQUENTIAL,
                           ("Lambda(lambda x: x.view(-1, 1, 28, 28))", "nn.Unflatten(1, (1, 28, 28))"),
                           ("Lambda(lambda x: x.view(x.size(0), -1))", "nn.Flatten()")),
        "wrapped_loader": edit(WRAPPED_LOADER, ("x.view(-1, 1, 28, 28)", "x.reshape(len(x), 1, 28, 28)"),
                               ("        for b in self.dl:\n            yield self.func(*b)",
                                "        return (self.func(xb, yb) for xb, yb in self.dl)"),
                               ("train_dl = WrappedDataLoader(train_dl, preprocess)\n"
                                "valid_dl = WrappedDataLoader(valid_dl, preprocess)",
                                "train_dl, valid_dl = WrappedDataLoader(train_dl, preprocess), "
                                "WrappedDataLoader(valid_dl, preprocess)")),
        "adaptive_model": edit(ADAPTIVE, ("nn.AdaptiveAvgPool2d(1)", "nn.AdaptiveAvgPool2d((1, 1))"),
                               ("Lambda(lambda x: x.view(x.size(0), -1))", "nn.Flatten()")),
    }, why="reshape, torch.relu, F.adaptive_avg_pool2d(x, 1), torch.flatten; torch.optim.SGD over "
           "list(model.parameters()); Lambda storing its function under another name; the concept "
           "check's letter in another case; the one parameter group's learning rate set by index, "
           "as lr * 0.1; nn.Unflatten and nn.Flatten instead of the view Lambdas, "
           "AdaptiveAvgPool2d((1, 1)), a generator expression in __iter__, reshape(len(x), ...) in "
           "preprocess"),
    # The training loader shuffles, so the seed changes the batches; the reference band covers
    # what five seeds gave.
    RightAnswer("seeded-uniform-init-permute", {
        "conv_weight_shape": 'conv_weight_shape = " d"',
        "training": "torch.manual_seed(1234)\n" + TRAINING,
        "optimizer": edit(OPTIMIZER, ("model.apply(init_weights)\n", """\
for conv in (model.conv1, model.conv2, model.conv3):
    nn.init.kaiming_uniform_(conv.weight, nonlinearity="relu")
    nn.init.zeros_(conv.bias)
""")),
        "wrapped_loader": edit(WRAPPED_LOADER, ("x.view(-1, 1, 28, 28)", "x.view(-1, 28, 28, 1).permute(0, 3, 1, 2)")),
    }, why="an extra torch.manual_seed(1234) right before fit; He initialisation written out with "
           "kaiming_uniform_ (the same standard deviation); a permute-based reshape in preprocess; "
           "the concept check's letter in lower case with a space"),
]
