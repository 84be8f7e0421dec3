"""The MNIST loader: the split, finding data/ from every folder, and damaged files."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pytest
import torch

from nncourse import MnistDataError, find_mnist_dir, load_mnist
from nncourse.data import DATA_ENV_VAR, MNIST_FILES, TRAIN_IMAGES, TRAIN_LABELS

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = REPO / "data" / "mnist"
PUBLISHED_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
PUBLISHED_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def split():
    return load_mnist()


def test_split_shapes_dtypes_and_range(split):
    expected = {"x_train": (50_000, 784), "x_valid": (10_000, 784), "x_test": (10_000, 784)}
    for name, shape in expected.items():
        images = getattr(split, name)
        assert tuple(images.shape) == shape and images.dtype == torch.float32, name
        assert images.min().item() == 0.0 and images.max().item() == 1.0, name
        labels = getattr(split, name.replace("x_", "y_"))
        assert tuple(labels.shape) == shape[:1] and labels.dtype == torch.int64, name


def test_split_is_the_tutorials(split):
    # train = first 50,000 rows of the training file, valid = its last 10,000.
    whole = torch.cat([split.y_train, split.y_valid]).bincount().tolist()
    assert whole == PUBLISHED_TRAIN_COUNTS
    assert split.y_test.bincount().tolist() == PUBLISHED_TEST_COUNTS
    assert split.y_train[0].item() == 5  # the well-known first digit
    # The first training image's ink really is at its centre rows.
    assert split.x_train[0].reshape(28, 28)[5:23].sum() > split.x_train[0].reshape(28, 28)[:5].sum()


def test_unpacks_in_tutorial_order(split):
    x_train, y_train, x_valid, y_valid, x_test, y_test = split
    assert x_train is split.x_train and y_test is split.y_test


def test_pixels_are_the_bytes_over_255_and_every_caller_owns_its_copy(split):
    """The loader keeps its scaled pixels once per process (a forked grading kernel finds them
    ready); they are exactly ``byte / 255`` in float32, and what one caller does to its tensors
    never reaches the next caller."""
    with gzip.open(MNIST_DIR / TRAIN_IMAGES, "rb") as handle:
        raw = torch.frombuffer(bytearray(handle.read()[16:]), dtype=torch.uint8).reshape(-1, 784)
    assert torch.equal(torch.cat([split.x_train, split.x_valid]), raw.float() / 255.0)
    again = load_mnist()
    again.x_train.zero_()
    again.y_valid.fill_(3)
    fresh = load_mnist()
    assert torch.equal(fresh.x_train, split.x_train) and torch.equal(fresh.y_valid, split.y_valid)


def test_committed_files_match_the_raw_digests():
    recorded = dict(line.split()[::-1] for line in (MNIST_DIR / "SHA256SUMS.raw.txt").read_text().splitlines())
    for name in MNIST_FILES:
        raw = gzip.decompress((MNIST_DIR / name).read_bytes())
        assert hashlib.sha256(raw).hexdigest() == recorded[name.removesuffix(".gz")], name


def test_licence_and_credit_next_to_the_data():
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    for needed in ("LeCun", "Cortes", "Burges", "CC BY-SA 3.0"):
        assert needed in readme


@pytest.mark.parametrize("folder", [
    ".", "notebooks/01_mnist_data", "solutions/01_mnist_data",
    "submitted/student1/01_mnist_data", "autograded/student1/01_mnist_data",
])
def test_finds_data_from_every_course_folder(folder, monkeypatch):
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    # Folders need not exist for the search; nbgrader's appear only while grading.
    assert find_mnist_dir(REPO / folder) == MNIST_DIR


def test_finds_data_through_the_environment_variable(tmp_path, monkeypatch):
    copy = tmp_path / "elsewhere" / "data"
    shutil.copytree(MNIST_DIR, copy / "mnist")
    monkeypatch.setenv(DATA_ENV_VAR, str(copy))
    assert find_mnist_dir(tmp_path) == copy / "mnist"
    monkeypatch.setenv(DATA_ENV_VAR, str(copy / "mnist"))
    assert find_mnist_dir(tmp_path) == copy / "mnist"


def test_a_wrong_environment_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "nothing-here"))
    with pytest.raises(MnistDataError) as error:
        find_mnist_dir()
    message = str(error.value)
    assert DATA_ENV_VAR in message and "고치는 법" in message and "Fix" in message


def test_learner_copy_outside_the_repo_falls_back_to_the_installed_course(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    assert find_mnist_dir(tmp_path) == MNIST_DIR  # editable install knows its repository


def _damaged_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "data" / "mnist"
    shutil.copytree(MNIST_DIR, copy)
    for path in copy.iterdir():
        path.chmod(0o644)
    return copy


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_a_byte(path: Path) -> None:
    payload = bytearray(path.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    path.write_bytes(bytes(payload))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _not_gzip(path: Path) -> None:
    path.write_bytes(gzip.decompress(path.read_bytes()))


@pytest.mark.parametrize("damage", [Path.unlink, _truncate, _flip_a_byte, _empty, _not_gzip],
                         ids=["missing", "truncated", "corrupt", "empty", "uncompressed"])
@pytest.mark.parametrize("name", [TRAIN_IMAGES, TRAIN_LABELS])
def test_damaged_file_gives_a_clear_message_and_nothing_is_overwritten(tmp_path, damage, name):
    copy = _damaged_copy(tmp_path)
    damage(copy / name)
    before = _digests(copy)
    with pytest.raises(MnistDataError) as error:
        load_mnist(copy.parent)
    message = str(error.value)
    assert name in message
    assert "고치는 법" in message and "Fix" in message and f"git checkout -- data/mnist/{name}" in message
    # a clean error, not a gzip/numpy one dressed up
    assert error.value.__cause__ is None and error.value.__context__ is None
    assert _digests(copy) == before and sorted(p.name for p in copy.iterdir()) == sorted(before)


def test_missing_digest_file_is_named(tmp_path):
    copy = _damaged_copy(tmp_path)
    (copy / "SHA256SUMS.gz.txt").unlink()
    with pytest.raises(MnistDataError) as error:
        load_mnist(copy.parent)
    assert "SHA256SUMS.gz.txt" in str(error.value) and "Fix" in str(error.value)


def test_a_clean_copy_loads(tmp_path):
    copy = _damaged_copy(tmp_path)
    assert load_mnist(copy).x_train.shape == (50_000, 784)
