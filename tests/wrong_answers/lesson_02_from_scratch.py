"""Wrong answers for 02_from_scratch."""

from wrong_answers import WrongAnswer

TRAINING_LOOP = """
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)
        losses.append(loss.item())

        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
"""

WRONG = [
    WrongAnswer("params-not-leaf", "parameters",
                "weights = torch.randn(784, 10, requires_grad=True) / math.sqrt(784)\n"
                "bias = torch.zeros(10, requires_grad=True)",
                "test_parameters", "잎(leaf) 텐서가 아닙니다"),
    WrongAnswer("params-transposed", "parameters",
                "weights = (torch.randn(10, 784) / math.sqrt(784)).requires_grad_()\n"
                "bias = torch.zeros(10, requires_grad=True)",
                "test_parameters", "행과 열이 바뀌었습니다"),
    WrongAnswer("params-not-scaled", "parameters",
                "weights = torch.randn(784, 10).requires_grad_()\n"
                "bias = torch.zeros(10, requires_grad=True)",
                "test_parameters", "math.sqrt(784) 로 나눠"),
    WrongAnswer("softmax-not-log", "log_softmax",
                "def log_softmax(x):\n    return x.exp() / x.exp().sum(-1).unsqueeze(-1)",
                "test_log_softmax", "소프트맥스 확률이 나왔습니다"),
    WrongAnswer("log-softmax-no-unsqueeze", "log_softmax",
                "def log_softmax(x):\n    return x - x.exp().sum(-1).log()",
                "test_log_softmax", "unsqueeze(-1)"),
    WrongAnswer("model-raw-logits", "model",
                "def model(xb):\n    return xb @ weights + bias",
                "test_model", "log_softmax 를 적용하세요"),
    WrongAnswer("nll-no-minus", "nll",
                "def nll(input, target):\n    return input[range(target.shape[0]), target].mean()",
                "test_nll", "부호가 반대"),
    WrongAnswer("nll-sum", "nll",
                "def nll(input, target):\n    return -input[range(target.shape[0]), target].sum()",
                "test_nll", "합(sum)"),
    WrongAnswer("accuracy-count", "accuracy",
                "def accuracy(out, yb):\n    return (torch.argmax(out, dim=1) == yb).float().sum()",
                "test_accuracy", "맞은 개수"),
    WrongAnswer("grad-never-zeroed", "training",
                TRAINING_LOOP.replace("            weights.grad.zero_()\n            bias.grad.zero_()\n", ""),
                "test_training", "기울기가 계속 쌓입니다"),
    WrongAnswer("lr-too-small", "training", "lr = 0.05\n" + TRAINING_LOOP,
                "test_training", "이 강의는 학습률 0.5 로 학습합니다"),
    WrongAnswer("last-batch-dropped", "training",
                TRAINING_LOOP.replace("range((n - 1) // bs + 1)", "range(n // bs)"),
                "test_training", "마지막 16장짜리 배치를 빠뜨렸습니다"),
    # Cycles through the validation images instead of the training images, so the loop still
    # takes 782 steps an epoch.
    WrongAnswer("trained-on-validation", "training",
                TRAINING_LOOP.replace("xb = x_train[start_i:end_i]", "xb = x_valid[start_i % 9984:start_i % 9984 + bs]")
                .replace("yb = y_train[start_i:end_i]", "yb = y_valid[start_i % 9984:start_i % 9984 + bs]"),
                "test_training", "검증 데이터로 학습"),
]
