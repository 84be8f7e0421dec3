"""The lessons' checks, as the test cells call them (``grader.check_<exercise>(...)``): each looks
at what a learner built and, when it is wrong, names the likely mistake from the value's
behaviour (not from the code's text).

One module per lesson, named after it (``mnist_data`` for 01_mnist_data, ..., ``device`` for
10_device), each with its ``JUDGED`` test cells; lesson modules never import each other. What
several lessons share lives in the shared modules: ``common`` (calling learner code, concept
checks, a trained model scored against the reference), ``logistic`` (05–06: the model of one
``nn.Linear``), ``loaders`` (07–08: datasets and DataLoaders) and ``convnet`` (09–10: the CNN,
its history and optimizer, devices). A failed check raises ``nncourse.checks.CheckFailed`` through
``check.fail`` with its parts (what, the learner's value, the expected one, a hint).
"""
