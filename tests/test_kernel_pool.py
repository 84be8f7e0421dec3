"""The worker's pool of warm kernels (nncourse.grading.kernels.pool), with the real sandbox."""

from __future__ import annotations

import gc
import logging

import pytest
from jupyter_core.utils import run_sync

from nbgrader_course import SOLUTIONS
from nncourse.grading.kernels.pool import KernelPool
from nncourse.grading.kernels.sandbox import AheadClient, SandboxProvisioner, sandbox_problem

LESSON = "01_mnist_data"

pytestmark = pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}")


@pytest.fixture
def pool(monkeypatch):
    for name, value in {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NNCOURSE_THREADS": "1"}.items():
        monkeypatch.setenv(name, value)
    pool = KernelPool(lambda lesson: SOLUTIONS / lesson / f"{lesson}.ipynb", size=1,
                      log=logging.getLogger("test_kernel_pool"))
    yield pool
    pool.close()


def test_a_warm_kernel_answers_its_connected_client_at_once(pool):
    pool.warm(LESSON)
    km = pool._warm[LESSON][0]
    assert isinstance(km.provisioner, SandboxProvisioner)  # chosen by jupyter_client from the kernel spec
    client = km.client()
    assert isinstance(client, AheadClient)
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        request = client.execute("6 * 7")
        reply = run_sync(client.get_shell_msg)(timeout=60)
        assert reply["parent_header"]["msg_id"] == request and reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)


def test_a_warm_kernel_discarded_unused_closes_its_client(pool):
    """Its client was connected while it waited; dropped open, the garbage collector's
    ``term()`` of its ZMQ context waits for those sockets forever (it hung a worker once)."""
    pool.warm(LESSON)
    km = pool._warm[LESSON][0]
    client = km._client_ahead
    assert client is not None and client.channels_running
    pool.warm(None)  # the pool is done with the lesson: its warm kernel is shut down unused
    assert not client.channels_running and client.context.closed
    del km, client
    gc.collect()  # with the context open this call would never return


def test_a_submission_is_measured_as_the_safe_copy_will_copy_it(tmp_path):
    """An ordinary grader's warm kernel has SUBMISSION_ROOM for the submission's files; the pool
    starts a kernel with room for a larger one, measured as copy_submission copies: links and
    files over MAX_FILE_BYTES are not copied, and never more than MAX_TOTAL_BYTES in all."""
    from nncourse.grading.kernels.pool import submission_size
    from nncourse.grading.kernels.sandbox import MAX_FILE_BYTES, SUBMISSION_ROOM

    (tmp_path / "lesson.ipynb").write_bytes(bytes(1000))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "images.npy").write_bytes(bytes(SUBMISSION_ROOM))
    (tmp_path / "link").symlink_to(tmp_path / "data" / "images.npy")
    with open(tmp_path / "huge.bin", "wb") as sparse:  # skipped by the copy: over MAX_FILE_BYTES
        sparse.truncate(MAX_FILE_BYTES + 1)
    assert submission_size(tmp_path) == SUBMISSION_ROOM + 1000 > SUBMISSION_ROOM
