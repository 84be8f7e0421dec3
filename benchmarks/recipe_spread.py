"""How much lesson 09/10's CNN result varies between honest runs, for candidate training recipes (#24).

    python benchmarks/recipe_spread.py [--seeds 0-5,100-105] [--each] [--recipe lr=0.1,epochs=3,decay=0.1 ...]

Each recipe trains the course's own CNN (``nncourse.built.mnist_cnn``: He initialised, SGD with
momentum, 08's ``fit`` over shuffled loaders) once per seed, with one torch thread, and scores it on
the whole validation set. The table gives each metric's mean, its band by the course's tolerance
rule (``nncourse.reference.tolerance_for``: the rule `make reference` applies to all runs of a
lesson), the range, and seconds per run. Goal of #24: every band ≤ ±0.015 accuracy and ≤ ±0.04 loss.

Recipe keys: ``lr`` (0.1), ``momentum`` (0.9), ``epochs`` (3, all of them), ``bs`` (64), ``decay``
(none; else the last ``decay_epochs`` (1) of the epochs train at ``lr × decay``). Arithmetic settings other than one thread are measured by
running the script with that setting's environment (e.g. ``ATEN_CPU_CAPABILITY=default``); the seeds
spread the runs far more than the settings do. Run it on an otherwise idle machine for the times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NNCOURSE_PROGRESS", "0")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import optim  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from nncourse import load_mnist  # noqa: E402
from nncourse.built import WrappedDataLoader, fit, get_data, mnist_cnn, preprocess  # noqa: E402
from nncourse.lesson import seed_everything  # noqa: E402
from nncourse.reference import tolerance_for  # noqa: E402
from nncourse.training import evaluate  # noqa: E402

DEFAULTS = {"lr": 0.1, "momentum": 0.9, "epochs": 3, "bs": 64, "decay": None, "decay_epochs": 1}
#: The recipe lessons 09 and 10 train with today, then the candidates measured in #24.
RECIPES = ["lr=0.1,epochs=3", "lr=0.1,epochs=3,decay=0.1", "lr=0.1,epochs=4,decay=0.1"]


def parse_recipe(text: str) -> dict:
    recipe = dict(DEFAULTS)
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key not in DEFAULTS:
            raise SystemExit(f"unknown recipe key {key!r}; known: {', '.join(DEFAULTS)}")
        recipe[key] = int(value) if key in ("epochs", "bs", "decay_epochs") else float(value)
    return recipe


def parse_seeds(text: str) -> list[int]:
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds += list(range(int(first), int(last or first) + 1))
    return seeds


def train_once(recipe: dict, seed: int, data) -> tuple[float, float]:
    """(validation loss, validation accuracy) of one run."""
    train_ds, valid_ds, x_valid, y_valid = data
    seed_everything(seed)
    train_dl, valid_dl = get_data(train_ds, valid_ds, recipe["bs"])
    train_dl, valid_dl = WrappedDataLoader(train_dl, preprocess), WrappedDataLoader(valid_dl, preprocess)
    model = mnist_cnn()
    opt = optim.SGD(model.parameters(), lr=recipe["lr"], momentum=recipe["momentum"])
    if recipe["decay"]:
        fit(recipe["epochs"] - recipe["decay_epochs"], model, F.cross_entropy, opt, train_dl, valid_dl)
        for group in opt.param_groups:
            group["lr"] = recipe["lr"] * recipe["decay"]
        fit(recipe["decay_epochs"], model, F.cross_entropy, opt, train_dl, valid_dl)
    else:
        fit(recipe["epochs"], model, F.cross_entropy, opt, train_dl, valid_dl)
    return evaluate(model, x_valid, y_valid, preprocess=lambda xb: xb.view(-1, 1, 28, 28))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-5,100-105", help="seeds, e.g. 0-5,100-105")
    parser.add_argument("--each", action="store_true", help="also print every seed's result")
    parser.add_argument("--recipe", action="append", help="key=value,... (repeatable); default: "
                        + " | ".join(RECIPES))
    args = parser.parse_args()
    torch.set_num_threads(1)
    split = load_mnist()
    data = (TensorDataset(split.x_train, split.y_train), TensorDataset(split.x_valid, split.y_valid),
            split.x_valid, split.y_valid)
    seeds = parse_seeds(args.seeds)
    print(f"{len(seeds)} seeds, one torch thread; band = tolerance rule of nncourse.reference")
    print(f"{'recipe':34} {'acc mean':>8} {'acc band':>9} {'acc range':>15} {'loss mean':>9} {'loss band':>9} {'s/run':>6}")
    for text in args.recipe or RECIPES:
        recipe = parse_recipe(text)
        losses, accuracies = [], []
        started = time.perf_counter()
        for seed in seeds:
            loss, accuracy = train_once(recipe, seed, data)
            if args.each:
                print(f"  seed {seed:4d}: val acc {accuracy:.4f}, val loss {loss:.4f}", flush=True)
            losses.append(loss)
            accuracies.append(accuracy)
        seconds = (time.perf_counter() - started) / len(seeds)
        accuracy_band = f"±{tolerance_for('val_accuracy', accuracies):.4f}"
        loss_band = f"±{tolerance_for('val_loss', losses):.4f}"
        print(f"{text:34} {statistics.fmean(accuracies):8.4f} {accuracy_band:>9} "
              f"{min(accuracies):7.4f}..{max(accuracies):.4f} {statistics.fmean(losses):9.4f} "
              f"{loss_band:>9} {seconds:6.1f}", flush=True)


if __name__ == "__main__":
    main()
