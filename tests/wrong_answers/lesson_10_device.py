"""Wrong answers for 10_device.

On this CPU-only machine a batch or model that was never moved works anyway; the checks find
those mistakes by calling the learner's function with ``device`` swapped for the meta device.
The hard-coded accelerators below assume a machine without CUDA or MPS, like the test machines.
"""

from wrong_answers import RightAnswer, WrongAnswer, edit, lesson_solutions


solution = lesson_solutions("10_device")  # the solution's code of an answer cell: what the variants edit


DEVICE = solution("device")
LOADERS = solution("loaders")
GET_MODEL = solution("get_model")
TRAINING = solution("training")
LOWER_LR = 'for group in opt.param_groups:\n    group["lr"] = last_lr\n'
MY_MODEL = solution("my_model")
FINAL_MODEL = solution("final_model")
#: The solution's capstone architecture, as the variants replace it.
LINEAR_HEAD = """\
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 10),
    )
"""
#: The capstone as a class of the learner's own: its forward would run in the learner's kernel when
#: the judge scores it, so the capstone asks for torch's own layers in an nn.Sequential.
CAPSTONE_CLASS = edit(MY_MODEL, (LINEAR_HEAD, """\
    class LinearHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
            self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
            self.head = nn.Linear(16 * 7 * 7, 10)

        def forward(self, xb):
            xb = F.relu(self.conv1(xb))
            xb = F.relu(self.conv2(xb))
            return self.head(torch.flatten(xb, 1))

    model = LinearHead()
"""))
#: A right capstone of another shape: twice the channels, the network written inline and built
#: again for the reload by a lambda, the rate lowered by index.
WIDE_CAPSTONE = """\
make_net = lambda: nn.Sequential(
    nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
    nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
).apply(init_weights).to(device)
my_model = make_net()
my_opt = optim.SGD(my_model.parameters(), lr=lr, momentum=0.9)
fit(1, my_model, loss_func, my_opt, train_dl, valid_dl)
my_opt.param_groups[0]["lr"] = lr / 10
fit(1, my_model, loss_func, my_opt, train_dl, valid_dl)
"""

CUDA = 'device = torch.device("cuda")'
MPS = 'device = torch.device("mps")'
ACCELERATOR_HINT = "torch.accelerator.is_available() 로 고른 device 를 쓰세요"
OLD_MODEL_HINT = "이미 학습된 cpu_model 을 이어서 학습했습니다"

WRONG = [
    # Hard-coded CUDA (or Apple's MPS) on a machine without it: the device check names the fix,
    # and the later checks that touch the device give the same hint instead of an uncaught error.
    # A line of their own, not an edit of the solution's, so written out.
    WrongAnswer("device-hardcoded-cuda", "device", CUDA, "test_device", ACCELERATOR_HINT),
    WrongAnswer("device-hardcoded-cuda-loaders", "device", CUDA, "test_loaders", ACCELERATOR_HINT),
    WrongAnswer("device-hardcoded-cuda-get-model", "device", CUDA, "test_get_model", ACCELERATOR_HINT),
    WrongAnswer("device-hardcoded-mps", "device", MPS, "test_device", ACCELERATOR_HINT),
    WrongAnswer("device-hardcoded-mps-get-model", "device", MPS, "test_get_model", ACCELERATOR_HINT),
    # The CPU written in: right on this machine, never the GPU on a learner's machine that has one.
    WrongAnswer("device-hardcoded-cpu", "device", 'device = torch.device("cpu")', "test_device",
                "torch.accelerator.is_available() 로 가속기가 있는지 물어"),
    # neither images nor labels moved
    WrongAnswer("batches-not-moved", "loaders",
                edit(LOADERS, (".to(device)", "")),
                "test_loaders", "preprocess 가 이미지를 device 로 옮기지 않았습니다"),
    WrongAnswer("labels-not-moved", "loaders",
                edit(LOADERS, (", y.to(device)", ", y")),
                "test_loaders", "preprocess 가 레이블을 device 로 옮기지 않았습니다"),
    # .cuda() instead of .to(device): fails without CUDA
    WrongAnswer("preprocess-calls-cuda", "loaders",
                edit(LOADERS, (".to(device)", ".cuda()")),
                "test_loaders", ACCELERATOR_HINT),
    # Half of the training data: a smaller dataset behind the wrapped loader.
    WrongAnswer("train-on-subset", "loaders",
                edit(LOADERS, ("get_data(train_ds, valid_ds, bs)",
                               "get_data(TensorDataset(x_train[:25000], y_train[:25000]), valid_ds, bs)")),
                "test_loaders", "훈련 데이터 50000장"),
    # get_data's loaders used as they are: preprocess never runs
    WrongAnswer("loaders-not-wrapped", "loaders",
                edit(LOADERS, ("\ntrain_dl = WrappedDataLoader(train_dl, preprocess)"
                               "\nvalid_dl = WrappedDataLoader(valid_dl, preprocess)", "")),
                "test_loaders", "로 get_data 의 로더를 감싸세요"),
    WrongAnswer("get-model-returns-trained-model", "get_model",
                edit(GET_MODEL, ("mnist_cnn()", "cpu_model")),
                "test_get_model", OLD_MODEL_HINT),
    WrongAnswer("get-model-not-moved", "get_model",
                edit(GET_MODEL, ("mnist_cnn().to(device)", "mnist_cnn()")),
                "test_get_model", "만든 모델을 .to(device) 로 device 에 옮기세요"),
    WrongAnswer("get-model-no-momentum", "get_model",
                edit(GET_MODEL, (", momentum=0.9", "")),
                "test_get_model", "momentum 을 빠뜨렸습니다"),
    # The upstream tutorial's way: keep training the model of the previous section.
    WrongAnswer("continues-cpu-model", "training",
                edit(TRAINING, ("model, opt = get_model()\n",
                                "model = cpu_model.to(device)\n"
                                "opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)\n")),
                "test_training", OLD_MODEL_HINT),
    WrongAnswer("continues-copy-of-cpu-model", "training",
                edit(TRAINING, ("model, opt = get_model()\n",
                                "import copy\n"
                                "model = copy.deepcopy(cpu_model).to(device)\n"
                                "opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)\n")),
                "test_training", OLD_MODEL_HINT),
    WrongAnswer("fit-loaders-swapped", "training",
                edit(TRAINING, ("train_dl, valid_dl)", "valid_dl, train_dl)")),
                "test_training", "train_dl 과 valid_dl 의 자리가 바뀌어"),
    WrongAnswer("one-epoch", "training",
                edit(TRAINING, ("fit(epochs,", "fit(1,")),
                "test_training", "fit 의 첫 인자로 epochs (= 4)"),
    # The rate lowered after the last fit: five epochs at lr 0.1, the optimizer ending at last_lr as
    # it should, and a result often inside the band; the last epoch's training loss tells.
    WrongAnswer("lr-lowered-after-training", "training",
                edit(TRAINING, (LOWER_LR, ""), ("device_seconds = ", LOWER_LR + "device_seconds = ")),
                "test_training", "마지막 fit 을 부르기 바로 전에 낮춥니다"),
    # A fresh model (and optimizer) for the epoch at the lower learning rate: one epoch of a new
    # model at lr 0.01 instead of the trained model's last epoch.
    WrongAnswer("last-epoch-fresh-model", "training",
                edit(TRAINING, (LOWER_LR, "model, opt = get_model()\n" + LOWER_LR)),
                "test_training", "방금 학습한 그 model 과 opt 로 이어서"),
    # The CPU baseline's loaders (they never move a batch) in the device's training: the same
    # numbers on a grader without an accelerator, an error on a GPU; read from the cell's code.
    WrongAnswer("training-on-cpu-loaders", "training",
                edit(TRAINING, ("history = fit(epochs, model, loss_func, opt, train_dl, valid_dl)",
                                "history = fit(epochs, model, loss_func, opt, cpu_train_dl, cpu_valid_dl)"),
                     ("last_history = fit(1, model, loss_func, opt, train_dl, valid_dl)",
                      "last_history = fit(1, model, loss_func, opt, cpu_train_dl, cpu_valid_dl)")),
                "test_training", "cpu_train_dl 과 cpu_valid_dl 은"),
    # "Restored" models with the right values that never went through the file, or a whole
    # pickled model instead of its state_dict.
    WrongAnswer("capstone-deep-copied", "final_model",
                edit(FINAL_MODEL, ("final_model = build_my_model()\n", "import copy\nfinal_model = copy.deepcopy(my_model)\n"),
                     ('final_model.load_state_dict(torch.load("my_model.pt", map_location=device))', "")),
                "test_final_model", "파일을 거치지 않고 옮겼습니다"),
    WrongAnswer("capstone-state-dict-handed-over", "final_model",
                edit(FINAL_MODEL, ('torch.load("my_model.pt", map_location=device)', "my_model.state_dict()")),
                "test_final_model", "파일을 거치지 않고 옮겼습니다"),
    WrongAnswer("capstone-whole-model-pickled", "final_model",
                'torch.save(my_model, "my_model.pt")\n'
                'final_model = torch.load("my_model.pt", map_location=device, weights_only=False)\n',
                "test_final_model", "모델 객체 전체를 저장하고 읽었습니다"),
    # Concept check: why the labels go to the device too.
    WrongAnswer("concept-labels-stop-at-model", "why_move_labels", 'why_move_labels = "A"',
                "test_why_move_labels", "모델이 배치를 계산하는 동안 yb 는 쓰이지 않습니다"),
    WrongAnswer("concept-labels-stop-at-backward", "why_move_labels", 'why_move_labels = "C"',
                "test_why_move_labels", "yb 가 처음 쓰이는 줄을 찾아보세요"),
    WrongAnswer("concept-labels-integers", "why_move_labels", 'why_move_labels = "D"',
                "test_why_move_labels", "자료형과 상관없이 모든 텐서에"),
    # Concept check (tensor_to_returns): one wrong choice here; every choice is checked in tests/test_concepts.py.
    WrongAnswer("concept-tensor-to-returns-a", "tensor_to_returns", 'tensor_to_returns = "A"',
                "test_tensor_to_returns", "원래 텐서의 .device 를 출력해 봅니다"),
    # Capstone: the course's own CNN trained again (two epochs): inside its own band, not past it.
    WrongAnswer("capstone-course-cnn-again", "my_model",
                edit(MY_MODEL, (LINEAR_HEAD, "    model = mnist_cnn()\n")),
                "test_my_model", "모델이 정보를 어디서 버리는지"),
    # Capstone as a class of the learner's own: the judge could not compute it itself.
    WrongAnswer("capstone-own-class", "my_model", CAPSTONE_CLASS,
                "test_my_model", "torch 가 주는 층만 nn.Sequential 로"),
    # Capstone fit to the validation data, long enough to pass the bar there.
    WrongAnswer("capstone-trained-on-valid", "my_model",
                edit(MY_MODEL, ("fit(1, my_model, loss_func, my_opt, train_dl, valid_dl)\nfor",
                                "fit(6, my_model, loss_func, my_opt, valid_dl, valid_dl)\nfor"),
                     ("my_last_history = fit(1, my_model, loss_func, my_opt, train_dl, valid_dl)",
                      "my_last_history = fit(1, my_model, loss_func, my_opt, valid_dl, valid_dl)")),
                "test_my_model", "검증 데이터로 학습한 모델입니다"),
    # Saved, but final_model is only another name for my_model.
    WrongAnswer("capstone-another-name", "final_model",
                edit(FINAL_MODEL, ("final_model = build_my_model()\n", "final_model = my_model\n")),
                "test_final_model", "my_model 을 가리키는 다른 이름이 아니라"),
    # A new model, the file never loaded into it.
    WrongAnswer("capstone-state-not-loaded", "final_model",
                edit(FINAL_MODEL, ('final_model.load_state_dict(torch.load("my_model.pt", map_location=device))', "")),
                "test_final_model", "load_state_dict 에 넘겼는지"),
    # The file loaded into the course's CNN: load_state_dict raises (other names), final_model is
    # left a fresh course CNN.
    WrongAnswer("capstone-loaded-into-course-cnn", "final_model",
                edit(FINAL_MODEL, ("final_model = build_my_model()", "final_model = mnist_cnn().to(device)")),
                "test_final_model", "같은 구조로 만들어야"),
]

RIGHT = [
    # Not seeded at all: other first weights and shuffling; the band holds that.
    RightAnswer("device-one-call-unseeded", {
        "tensor_to_returns": 'tensor_to_returns = "c"',
        "device": 'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")',
        "why_move_labels": "why_move_labels = 'b'",
        "training": edit(TRAINING, ("seed_everything(0)\n", "")),
    }, why="the CUDA-only form (torch.cuda.is_available()), one torch.device call: right on a "
           "machine without MPS or XPU, so it keeps its point and gets a note on MPS and XPU; the seed line left out: the result depends on the random "
           "state, still right; the concept checks' letters in another case"),
    # The training cell seeds again before it builds the model and shuffles, so the learner's
    # extra seed in an earlier cell changes nothing.
    RightAnswer("device-docs-string-reshape", {
        "device": edit(DEVICE, ("current_accelerator()", "current_accelerator().type"),
                       ('torch.device("cpu")', '"cpu"')),
        "training": edit(TRAINING, (LOWER_LR, 'for g in opt.param_groups:\n    g["lr"] *= 0.1\n')),
        "final_model": "def restore(path):\n    net = build_my_model()\n    net.load_state_dict(torch.load(path, map_location=device))\n"
                       "    return net\n\n\ntorch.save(my_model.state_dict(), \"capstone.pt\")\nfinal_model = restore(\"capstone.pt\")\n",
        "loaders": "torch.manual_seed(1234)\n\n\n" + edit(
            LOADERS, ("x.view(-1, 1, 28, 28).to(device)", "x.to(device).reshape(-1, 1, 28, 28)"),
            ("train_dl = WrappedDataLoader(train_dl, preprocess)\n"
             "valid_dl = WrappedDataLoader(valid_dl, preprocess)",
             "train_dl, valid_dl = WrappedDataLoader(train_dl, preprocess), "
             "WrappedDataLoader(valid_dl, preprocess)")),
    }, why="the PyTorch docs' spelling: a device name string instead of a torch.device; the learning "
           "rate lowered in place (lr *= 0.1); moved before reshaped, reshape instead of view, both "
           "loaders wrapped in one line, an extra torch.manual_seed(1234); the model restored by a "
           "helper function of the learner's own"),
    # Its own body (the module moved in place, four lines), so written out.
    RightAnswer("get-model-in-place-non-blocking", {
        "get_model": "def get_model():\n"
                     "    net = mnist_cnn()\n"
                     "    net.to(device)\n"
                     "    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)\n"
                     "    return net, optimizer\n",
        "loaders": edit(LOADERS, ("x.view(-1, 1, 28, 28).to(device), y.to(device)",
                                  "x.view(-1, 1, 28, 28).to(device, non_blocking=True), y.to(device, non_blocking=True)")),
        "my_model": WIDE_CAPSTONE,
        "final_model": '%%time\npath = "capstone.pt"\ntorch.save(my_model.state_dict(), path)\n'
                       'final_model = make_net()\nfinal_model.load_state_dict(torch.load(path, weights_only=True))\n'
                       'final_model.eval()\n',
    }, why="the module moved in place with net.to(device), torch.optim.SGD, other local names; "
           "non_blocking=True on both moves of preprocess (asynchronous copies on a GPU, the same values); "
           "a capstone of another shape (32 channels, the network built by a lambda, unseeded), the rate "
           "set by index, another file name, weights_only=True, final_model.eval(), the cell timed "
           "with %%time (its code is read inside the magic)"),
]
