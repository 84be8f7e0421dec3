"""MNIST loading for every lesson and grader.

The split is the one the upstream tutorial uses (``mnist.pkl.gz``): the first 50,000 rows of
the training file are for training, its last 10,000 rows for validation, and the 10,000-image
file is the test set. Images come back as float32 tensors of shape (N, 784) in [0, 1], labels
as int64 tensors.

The loader only reads. It checks every file's SHA-256 digest before it decompresses anything,
so a missing, truncated or corrupt file gives a :class:`MnistDataError` that names the file
and the fix (in Korean and English) instead of a gzip or numpy traceback.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

#: Environment variable that points at a ``data/`` folder (or at ``data/mnist`` itself)
#: for a learner who copied a notebook somewhere outside the repository.
DATA_ENV_VAR = "NNCOURSE_DATA"

MNIST_SUBDIR = "mnist"
DIGEST_FILE = "SHA256SUMS.gz.txt"

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
MNIST_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

N_TRAIN = 50_000
N_VALID = 10_000
IMAGE_SIDE = 28
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE
N_CLASSES = 10

# IDX header magic numbers: 0x00000801 = uint8 vector, 0x00000803 = uint8 3-d array.
_IDX_LABELS_MAGIC = 2049
_IDX_IMAGES_MAGIC = 2051

_RESTORE_HINT = (
    "고치는 법: 저장소에서 `git checkout -- data/{sub}/{name}` 으로 원본을 되살리세요.\n"
    "Fix: restore the original with `git checkout -- data/{sub}/{name}` in the repository."
)


class MnistDataError(RuntimeError):
    """The MNIST files cannot be found or do not match their recorded digests."""


@dataclass(frozen=True)
class MnistSplit:
    """The tutorial's split. Unpacks as ``x_train, y_train, x_valid, y_valid, x_test, y_test``."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_valid: torch.Tensor
    y_valid: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def __iter__(self):
        return iter(
            (self.x_train, self.y_train, self.x_valid, self.y_valid, self.x_test, self.y_test)
        )


def _is_mnist_dir(folder: Path) -> bool:
    return (folder / DIGEST_FILE).is_file()


def _candidate_dirs(start: Path) -> list[Path]:
    """``data/mnist`` in ``start`` and each of its parents, nearest first."""
    return [parent / "data" / MNIST_SUBDIR for parent in (start, *start.parents)]


def find_mnist_dir(start: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds the MNIST files.

    Looked up in this order: the ``NNCOURSE_DATA`` environment variable; ``data/mnist`` in the
    working folder or any folder above it (the repository, ``notebooks/<id>/``,
    ``solutions/<id>/``, nbgrader's ``submitted/<student>/<id>/`` and
    ``autograded/<student>/<id>/`` all sit below the repository root); and finally the
    repository this package was installed from in editable mode.
    """
    from_env = os.environ.get(DATA_ENV_VAR)
    if from_env:
        env_path = Path(from_env).expanduser()
        for folder in (env_path, env_path / MNIST_SUBDIR):
            if _is_mnist_dir(folder):
                return folder
        raise MnistDataError(
            f"환경 변수 {DATA_ENV_VAR}={from_env!r} 가 가리키는 곳에 MNIST 파일이 없습니다.\n"
            f"고치는 법: 저장소의 data 폴더 경로로 바꾸세요. 예) export {DATA_ENV_VAR}=/path/to/repo/data\n"
            f"The {DATA_ENV_VAR} environment variable points at {from_env!r}, which holds no "
            f"MNIST files ({DIGEST_FILE} is missing).\n"
            f"Fix: point it at the repository's data folder, e.g. "
            f"export {DATA_ENV_VAR}=/path/to/repo/data"
        )

    start_dir = Path(start) if start is not None else Path.cwd()
    package_repo = Path(__file__).resolve().parents[2]
    searched = _candidate_dirs(start_dir.resolve()) + [package_repo / "data" / MNIST_SUBDIR]
    for folder in searched:
        if _is_mnist_dir(folder):
            return folder
    raise MnistDataError(
        "MNIST 데이터 폴더(data/mnist)를 찾지 못했습니다.\n"
        f"고치는 법: 노트북을 저장소 안에서 열거나, 환경 변수 {DATA_ENV_VAR} 에 저장소의 data 폴더 "
        "경로를 지정하세요.\n"
        "Could not find the MNIST data folder (data/mnist).\n"
        f"Fix: open the notebook inside the repository, or set {DATA_ENV_VAR} to the "
        "repository's data folder.\n"
        "Searched / 찾아본 곳:\n  " + "\n  ".join(str(p) for p in searched)
    )


def read_digests(mnist_dir: Path) -> dict[str, str]:
    """File name → expected SHA-256 of the .gz file, from ``SHA256SUMS.gz.txt``."""
    digests = {}
    for line in (mnist_dir / DIGEST_FILE).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:  # a garbled line just leaves its file without a digest
            digest, name = parts
            digests[name.lstrip("*")] = digest
    return digests


def _verified_bytes(mnist_dir: Path, name: str, expected: str | None) -> bytes:
    path = mnist_dir / name
    hint = _RESTORE_HINT.format(sub=MNIST_SUBDIR, name=name)
    if not path.is_file():
        raise MnistDataError(
            f"MNIST 파일이 없습니다: {path}\nMissing MNIST file: {path}\n{hint}"
        )
    if expected is None:
        raise MnistDataError(
            f"{DIGEST_FILE} 에 {name} 의 체크섬이 없습니다: {mnist_dir / DIGEST_FILE}\n"
            f"{DIGEST_FILE} has no digest for {name}.\n"
            + _RESTORE_HINT.format(sub=MNIST_SUBDIR, name=DIGEST_FILE)
        )
    payload = path.read_bytes()
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        raise MnistDataError(
            f"MNIST 파일이 손상되었거나 잘렸습니다: {path}\n"
            f"  크기 {len(payload):,} 바이트, SHA-256 {actual}\n"
            f"  기대한 SHA-256 {expected}\n"
            f"The MNIST file is damaged or truncated: {path} "
            f"({len(payload):,} bytes; SHA-256 {actual}, expected {expected}).\n{hint}"
        )
    return gzip.decompress(payload)


def _parse_idx(raw: bytes, magic: int, name: str) -> np.ndarray:
    header_len = 16 if magic == _IDX_IMAGES_MAGIC else 8
    header = np.frombuffer(raw[:header_len], dtype=">u4")
    if header[0] != magic:  # digests matched, so this only fires if file names were swapped
        raise MnistDataError(f"{name}: IDX 형식이 아닙니다 / not an IDX file of the expected kind")
    shape = tuple(int(n) for n in header[1:])
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(shape)


def _file_stamps(mnist_dir: Path) -> tuple:
    """Size and modification time of every file the split is read from (the cache key)."""
    stamps = []
    for name in (DIGEST_FILE, *MNIST_FILES):
        try:
            info = (mnist_dir / name).stat()
            stamps.append((name, info.st_size, info.st_mtime_ns))
        except OSError:
            stamps.append((name, None, None))
    return tuple(stamps)


@functools.lru_cache(maxsize=2)
def _verified_arrays(mnist_dir: Path, stamps: tuple) -> dict[str, np.ndarray]:
    """The four IDX files, checked and unpacked once per process (about 0.3 s).

    Test cells ask for a fresh copy of the data many times; the arrays here are read-only
    and every caller gets new tensors made from them, so nothing a learner does to their
    tensors reaches the next caller. ``stamps`` makes a changed file load again.
    """
    digests = read_digests(mnist_dir)
    arrays = {}
    for name in MNIST_FILES:
        magic = _IDX_IMAGES_MAGIC if "images" in name else _IDX_LABELS_MAGIC
        arrays[name] = _parse_idx(_verified_bytes(mnist_dir, name, digests.get(name)), magic, name)
    return arrays


@functools.lru_cache(maxsize=2)
def _scaled_images(mnist_dir: Path, stamps: tuple) -> dict[str, np.ndarray]:
    """The image files as read-only float32 pixels in [0, 1], shape (N, 784), once per process.

    Scaled by torch itself (``float().div_(255.0)``), so they are exactly what every lesson
    computed before; a grading kernel forked from the zygote finds them ready (warm_kernel).
    """
    import torch

    arrays = _verified_arrays(mnist_dir, stamps)
    scaled = {}
    for name in (TRAIN_IMAGES, TEST_IMAGES):
        pixels = torch.from_numpy(arrays[name].reshape(-1, N_PIXELS).copy()).float().div_(255.0).numpy()
        pixels.flags.writeable = False
        scaled[name] = pixels
    return scaled


def load_mnist(data_dir: str | os.PathLike | None = None) -> MnistSplit:
    """Load the tutorial's MNIST split, verified against the recorded digests.

    ``data_dir`` may name the ``data/`` folder or ``data/mnist`` directly; by default the
    folder is found with :func:`find_mnist_dir`.
    """
    if data_dir is None:
        mnist_dir = find_mnist_dir()
    else:
        given = Path(data_dir)
        mnist_dir = given if _is_mnist_dir(given) else given / MNIST_SUBDIR
        if not _is_mnist_dir(mnist_dir):
            raise MnistDataError(
                f"{given} 에 MNIST 체크섬 파일({DIGEST_FILE})이 없습니다.\n"
                f"{given} holds no MNIST digest file ({DIGEST_FILE}).\n"
                + _RESTORE_HINT.format(sub=MNIST_SUBDIR, name=DIGEST_FILE)
            )
    return _split(mnist_dir, copy=True)


def shared_mnist() -> MnistSplit:
    """The split over this process's cached arrays, with no copy of the pixels (220 MB).

    Only for the grading judge's agent in a kernel that grades one submission and ends: the
    judge trusts nothing the kernel holds, so a learner who writes into these tensors only spoils
    the inputs of their own answers. Never for a learner's notebook (:func:`load_mnist` gives each
    caller its own copies, so an in-place ``x_train /= 255`` cannot reach the next run of the setup
    cell). Copying the split again for the agent cost about a third of a light submission's grading
    time in a sandboxed kernel.
    """
    return _split(find_mnist_dir(), copy=False)


def _split(mnist_dir: Path, copy: bool) -> MnistSplit:
    stamps = _file_stamps(mnist_dir)
    arrays = _verified_arrays(mnist_dir, stamps)
    pixels = _scaled_images(mnist_dir, stamps)
    import warnings

    import torch  # here, not at the top: the grader finds the data folder without torch

    # Every caller gets its own copies (numpy's copy: a quarter of the time torch's conversion
    # from bytes takes, which each notebook paid twice, for its own data and the checks').
    def images(name: str) -> torch.Tensor:
        if copy:
            return torch.from_numpy(pixels[name].copy())
        with warnings.catch_warnings():  # the cache is read-only to numpy; see shared_mnist
            warnings.simplefilter("ignore", UserWarning)
            return torch.from_numpy(pixels[name])

    def labels(name: str) -> torch.Tensor:
        return torch.from_numpy(arrays[name].astype(np.int64))

    train_x, train_y = images(TRAIN_IMAGES), labels(TRAIN_LABELS)
    return MnistSplit(
        x_train=train_x[:N_TRAIN],
        y_train=train_y[:N_TRAIN],
        x_valid=train_x[-N_VALID:],
        y_valid=train_y[-N_VALID:],
        x_test=images(TEST_IMAGES),
        y_test=labels(TEST_LABELS),
    )
