"""Wrong answers for 10_device.

On this CPU-only machine a batch or model that was never moved works anyway; the checks find
those mistakes by calling the learner's function with ``device`` swapped for the meta device.
The hard-coded accelerators below assume a machine without CUDA or MPS, like the test machines.
"""

from wrong_answers import RightAnswer, WrongAnswer

LOADERS = """
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
train_dl = WrappedDataLoader(train_dl, preprocess)
valid_dl = WrappedDataLoader(valid_dl, preprocess)
"""

CUDA = 'device = torch.device("cuda")'
MPS = 'device = torch.device("mps")'
ACCELERATOR_HINT = "torch.accelerator.is_available() 로 고른 device 를 쓰세요"
OLD_MODEL_HINT = "이미 학습된 cpu_model 을 이어서 학습했습니다"


def training(body: str) -> str:
    return ("torch.manual_seed(0)\nstart = time.perf_counter()\n" + body.strip("\n")
            + "\ndevice_seconds = time.perf_counter() - start\n")


def get_model(body: str) -> str:
    return "def get_model():\n" + "".join(f"    {line}\n" for line in body.strip("\n").splitlines())


WRONG = [
    # Hard-coded CUDA (or Apple's MPS) on a machine without it: the device check names the fix,
    # and the later checks that touch the device give the same hint instead of an uncaught error.
    WrongAnswer("device-hardcoded-cuda", "device", CUDA, "test_device", ACCELERATOR_HINT),
    WrongAnswer("device-hardcoded-cuda-loaders", "device", CUDA, "test_loaders", ACCELERATOR_HINT),
    WrongAnswer("device-hardcoded-cuda-get-model", "device", CUDA, "test_get_model", ACCELERATOR_HINT),
    WrongAnswer("device-hardcoded-mps", "device", MPS, "test_device", ACCELERATOR_HINT),
    WrongAnswer("device-hardcoded-mps-get-model", "device", MPS, "test_get_model", ACCELERATOR_HINT),
    WrongAnswer("batches-not-moved", "loaders",
                "def preprocess(x, y):\n    return x.view(-1, 1, 28, 28), y\n" + LOADERS,
                "test_loaders", "preprocess 가 이미지를 device 로 옮기지 않았습니다"),
    WrongAnswer("labels-not-moved", "loaders",
                "def preprocess(x, y):\n    return x.view(-1, 1, 28, 28).to(device), y\n" + LOADERS,
                "test_loaders", "preprocess 가 레이블을 device 로 옮기지 않았습니다"),
    WrongAnswer("preprocess-calls-cuda", "loaders",
                "def preprocess(x, y):\n    return x.view(-1, 1, 28, 28).cuda(), y.cuda()\n" + LOADERS,
                "test_loaders", ACCELERATOR_HINT),
    WrongAnswer("loaders-not-wrapped", "loaders",
                "def preprocess(x, y):\n    return x.view(-1, 1, 28, 28).to(device), y.to(device)\n"
                "\ntrain_dl, valid_dl = get_data(train_ds, valid_ds, bs)\n",
                "test_loaders", "로 get_data 의 로더를 감싸세요"),
    WrongAnswer("get-model-returns-trained-model", "get_model",
                get_model("model = cpu_model.to(device)\n"
                          "return model, optim.SGD(model.parameters(), lr=lr, momentum=0.9)"),
                "test_get_model", OLD_MODEL_HINT),
    WrongAnswer("get-model-not-moved", "get_model",
                get_model("model = mnist_cnn()\n"
                          "return model, optim.SGD(model.parameters(), lr=lr, momentum=0.9)"),
                "test_get_model", "mnist_cnn().to(device) 처럼 모델을 device 로 옮기세요"),
    WrongAnswer("get-model-no-momentum", "get_model",
                get_model("model = mnist_cnn().to(device)\n"
                          "return model, optim.SGD(model.parameters(), lr=lr)"),
                "test_get_model", "momentum 을 빠뜨렸습니다"),
    # The upstream tutorial's way: keep training the model of the previous section.
    WrongAnswer("continues-cpu-model", "training",
                training("model = cpu_model.to(device)\n"
                         "opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)\n"
                         "history = fit(epochs, model, loss_func, opt, train_dl, valid_dl)"),
                "test_training", OLD_MODEL_HINT),
    WrongAnswer("continues-copy-of-cpu-model", "training",
                training("import copy\n"
                         "model = copy.deepcopy(cpu_model).to(device)\n"
                         "opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)\n"
                         "history = fit(epochs, model, loss_func, opt, train_dl, valid_dl)"),
                "test_training", OLD_MODEL_HINT),
    WrongAnswer("fit-loaders-swapped", "training",
                training("model, opt = get_model()\n"
                         "history = fit(epochs, model, loss_func, opt, valid_dl, train_dl)"),
                "test_training", "train_dl 과 valid_dl 의 자리가 바뀌어"),
    WrongAnswer("two-epochs", "training",
                training("model, opt = get_model()\n"
                         "history = fit(2, model, loss_func, opt, train_dl, valid_dl)"),
                "test_training", "fit 의 첫 인자로 epochs (= 1)"),
    # Concept check: why the labels go to the device too.
    WrongAnswer("concept-labels-accuracy", "why_move_labels", 'why_move_labels = "B"',
                "test_why_move_labels", "정확도를 바꾸지 않습니다"),
    WrongAnswer("concept-labels-automatic", "why_move_labels", 'why_move_labels = "C"',
                "test_why_move_labels", "알아서 옮기지 않습니다"),
    WrongAnswer("concept-labels-with-images", "why_move_labels", 'why_move_labels = "D"',
                "test_why_move_labels", "y = y.to(device) 로 따로"),
    # Concept check (tensor_to_returns): one wrong choice here; every choice is checked in tests/test_concepts.py.
    WrongAnswer("concept-tensor-to-returns-a", "tensor_to_returns", 'tensor_to_returns = "A"',
                "test_tensor_to_returns", "제자리에서 옮기지 않고"),
]

RIGHT = [
    RightAnswer("device-one-call", {
        "tensor_to_returns": 'tensor_to_returns = "c"',
        "device": 'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")',
    }, why="the CUDA-only form (torch.cuda.is_available()), one torch.device call: right on a "
           "machine without MPS or XPU; the concept check's letter in another case"),
    RightAnswer("device-docs-string", {
        "device": 'device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"',
    }, why="the PyTorch docs' spelling: a device name string instead of a torch.device"),
    # Not seeded at all: other first weights and shuffling; the band holds that.
    RightAnswer("training-unseeded", {
        "why_move_labels": "why_move_labels = 'a'",
        "training": "start = time.perf_counter()\nmodel, opt = get_model()\n"
                    "history = fit(epochs, model, loss_func, opt, train_dl, valid_dl)\n"
                    "device_seconds = time.perf_counter() - start\n",
    }, why="the seed line left out: the result depends on the random state, still right; the "
           "concept check's letter in lower case"),
    # The training cell seeds again before it builds the model and shuffles, so the learner's
    # extra seed in an earlier cell changes nothing.
    RightAnswer("move-then-reshape-seeded", {
        "loaders": """
torch.manual_seed(1234)


def preprocess(x, y):
    return x.to(device).reshape(-1, 1, 28, 28), y.to(device)


train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
train_dl, valid_dl = WrappedDataLoader(train_dl, preprocess), WrappedDataLoader(valid_dl, preprocess)
""",
    }, why="moved before reshaped, reshape instead of view, both loaders wrapped in one line, "
           "an extra torch.manual_seed(1234)"),
    RightAnswer("get-model-module-to-torch-optim", {
        "get_model": get_model("net = mnist_cnn()\n"
                               "net.to(device)\n"
                               "optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)\n"
                               "return net, optimizer"),
    }, why="the module moved in place with net.to(device), torch.optim.SGD, other local names"),
]
