"""Wrong answers for 09_cnn.

Every variant still trains the CNN once (the training cell comes early), so the list is kept to
the mistakes that matter; a stride-1 network is tried on seq_model, which is never trained
(trained at full resolution it would take minutes).
"""

from wrong_answers import RightAnswer, WrongAnswer

CONV = "nn.Conv2d({}, {}, kernel_size=3, stride={}, padding=1)"


def cnn_class(forward: str) -> str:
    return f"""
class MnistCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
{forward}
"""


FORWARD = """        xb = xb.view(-1, 1, 28, 28)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))"""


def sequential(first=(1, 16), second=(16, 16), third=(16, 10), stride=2, relu=True,
               pool="nn.AvgPool2d(4)", reshape=True, name="seq_model") -> str:
    layers = []
    if reshape:
        layers.append("Lambda(lambda x: x.view(-1, 1, 28, 28))")
    for c_in, c_out in (first, second, third):
        layers.append(CONV.format(c_in, c_out, stride))
        if relu:
            layers.append("nn.ReLU()")
    layers += [pool, "Lambda(lambda x: x.view(x.size(0), -1))"]
    body = "".join(f"    {layer},\n" for layer in layers)
    return f"{name} = nn.Sequential(\n{body})\n"


def adaptive(**kwargs) -> str:
    options = {"pool": "nn.AdaptiveAvgPool2d(1)", "reshape": False, "name": "adaptive_model"}
    options.update(kwargs)
    return sequential(**options)


WRAPPER = """
class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield self.func(*b)
"""

WRAP_LOADERS = """
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
train_dl = WrappedDataLoader(train_dl, preprocess)
valid_dl = WrappedDataLoader(valid_dl, preprocess)
"""

PREPROCESS = """
def preprocess(x, y):
    return x.view(-1, 1, 28, 28), y
"""

WRONG = [
    WrongAnswer("cnn-missing-relu", "cnn_class",
                cnn_class(FORWARD.replace("xb = F.relu(self.conv2(xb))", "xb = self.conv2(xb)")),
                "test_cnn_class", "2번째 합성곱 뒤의 ReLU 가 빠졌습니다"),
    WrongAnswer("cnn-no-reshape", "cnn_class",
                cnn_class(FORWARD.replace("        xb = xb.view(-1, 1, 28, 28)\n", "")),
                "test_cnn_class", "xb.view(-1, 1, 28, 28) 로 바꾸세요"),
    WrongAnswer("optimizer-no-momentum", "optimizer",
                "model = MnistCNN()\nopt = optim.SGD(model.parameters(), lr=lr)",
                "test_optimizer", "momentum 을 빠뜨렸습니다"),
    WrongAnswer("optimizer-lr-0.5", "optimizer",
                "model = MnistCNN()\nopt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)",
                "test_optimizer", "0.5 는 앞 강의의 로지스틱 회귀에 쓴 학습률"),
    WrongAnswer("fit-called-twice", "training",
                "history = fit(epochs, model, loss_func, opt, train_dl, valid_dl)\n"
                "history = fit(epochs, model, loss_func, opt, train_dl, valid_dl)",
                "test_training", "이미 학습된 모델을 이어서 학습했습니다"),
    # Loaders swapped: trained on the validation data, "validated" on the training data. The
    # wide reference band (seeds × machines) alone might let it through; the history check
    # compares fit's number with the model in the same kernel.
    WrongAnswer("fit-loaders-swapped", "training",
                "history = fit(epochs, model, loss_func, opt, valid_dl, train_dl)",
                "test_training", "train_dl 과 valid_dl 의 자리가 바뀌어"),
    WrongAnswer("lambda-function-not-called", "lambda_module",
                "class Lambda(nn.Module):\n    def __init__(self, func):\n        super().__init__()\n"
                "        self.func = func\n\n    def forward(self, x):\n        return self.func",
                "test_lambda", "함수를 호출하지 않고"),
    WrongAnswer("seq-stride-1", "sequential", sequential(stride=1),
                "test_sequential", "stride=2 로 필터를 두 칸씩"),
    WrongAnswer("seq-wrong-channels", "sequential", sequential(second=(16, 32), third=(32, 10)),
                "test_sequential", "채널 수는 1→16→16→10"),
    WrongAnswer("seq-no-relu", "sequential", sequential(relu=False),
                "test_sequential", "nn.ReLU() 층을 합성곱 층마다 바로 뒤에"),
    WrongAnswer("wrapper-drops-labels", "wrapped_loader",
                "def preprocess(x, y):\n    return x.view(-1, 1, 28, 28)\n" + WRAPPER + WRAP_LOADERS,
                "test_wrapped_loader", "레이블을 빠뜨렸습니다"),
    WrongAnswer("preprocess-no-channel", "wrapped_loader",
                "def preprocess(x, y):\n    return x.view(-1, 28, 28), y\n" + WRAPPER + WRAP_LOADERS,
                "test_wrapped_loader", "채널 차원이 빠졌습니다"),
    WrongAnswer("wrapper-ignores-func", "wrapped_loader",
                PREPROCESS + WRAPPER.replace("yield self.func(*b)", "yield b") + WRAP_LOADERS,
                "test_wrapped_loader", "배치를 그대로 내보냈습니다"),
    WrongAnswer("fixed-avg-pool-kept", "adaptive_model", adaptive(pool="nn.AvgPool2d(4)"),
                "test_adaptive_model", "nn.AdaptiveAvgPool2d(1) 로 바꾸세요"),
    WrongAnswer("reshape-lambda-kept", "adaptive_model", adaptive(reshape=True),
                "test_adaptive_model", "맨 앞의 Lambda"),
    # Concept check: the (16, 16, 3, 3) weight of conv2.
    WrongAnswer("concept-weight-big-filters", "conv_weight_shape", 'conv_weight_shape = "A"',
                "test_conv_weight_shape", "필터의 크기는 kernel_size=3"),
    WrongAnswer("concept-weight-image-size", "conv_weight_shape", 'conv_weight_shape = "B"',
                "test_conv_weight_shape", "입력 이미지의 크기와 상관없습니다"),
    WrongAnswer("concept-weight-batch", "conv_weight_shape", 'conv_weight_shape = "C"',
                "test_conv_weight_shape", "배치 크기와 상관없습니다"),
    # Concept check (conv_output_shape): one wrong choice here; every choice is checked in tests/test_concepts.py.
    WrongAnswer("concept-conv-output-shape-c", "conv_output_shape", 'conv_output_shape = "C"',
                "test_conv_output_shape", "패딩을 빠뜨렸습니다"),
]

# Each variant trains the CNN once more (about a minute), so each one changes several cells.
RIGHT = [
    RightAnswer("functional-spellings", {
        "conv_output_shape": 'conv_output_shape = "d"',
        "cnn_class": cnn_class("""        xb = xb.reshape(-1, 1, 28, 28)
        xb = torch.relu(self.conv1(xb))
        xb = torch.relu(self.conv2(xb))
        xb = torch.relu(self.conv3(xb))
        xb = F.adaptive_avg_pool2d(xb, 1)
        return torch.flatten(xb, 1)"""),
        "optimizer": "model = MnistCNN()\n"
                     "opt = torch.optim.SGD(list(model.parameters()), lr=lr, momentum=0.9)",
        "lambda_module": """
class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.fn = func

    def forward(self, x):
        return self.fn(x)
""",
    }, why="reshape, torch.relu, F.adaptive_avg_pool2d(x, 1), torch.flatten; torch.optim.SGD over "
           "list(model.parameters()); Lambda storing its function under another name; the concept "
           "check's letter in another case"),
    RightAnswer("flatten-layers-generator", {
        "sequential": """
seq_model = nn.Sequential(
    nn.Unflatten(1, (1, 28, 28)),
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AvgPool2d(4),
    nn.Flatten(),
)
""",
        "wrapped_loader": """
def preprocess(x, y):
    return x.reshape(len(x), 1, 28, 28), y


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        return (self.func(xb, yb) for xb, yb in self.dl)


train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
train_dl, valid_dl = WrappedDataLoader(train_dl, preprocess), WrappedDataLoader(valid_dl, preprocess)
""",
        "adaptive_model": """
adaptive_model = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten(),
)
""",
    }, why="nn.Unflatten and nn.Flatten instead of the view Lambdas, AdaptiveAvgPool2d((1, 1)), "
           "a generator expression in __iter__, reshape(len(x), ...) in preprocess"),
    # The training loader shuffles, so the seed changes the batches; the reference band covers
    # what five seeds gave.
    RightAnswer("seeded-training", {
        "conv_weight_shape": 'conv_weight_shape = " d"',
        "training": "torch.manual_seed(1234)\n"
                    "history = fit(epochs, model, loss_func, opt, train_dl, valid_dl)",
    }, why="an extra torch.manual_seed(1234) right before fit; the concept check's letter in "
           "lower case with a space"),
]
