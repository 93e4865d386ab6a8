import os

import pytest
import torch

from training import train

from .synthetic_export import write_export

# Two cores are shared with other jobs: keep torch to what the project machines have.
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def two_threads():
    """Training tests run tiny 32 px batches on one thread (faster, and no OpenMP barrier stalls when the
    machine is busy); every test starts again from two threads."""
    torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def patch_export(tmp_path_factory):
    """8 stacks x 6 planes of 32x32 8-bit greyscale patches; stacks 6-7 are the test split."""
    return write_export(str(tmp_path_factory.mktemp("export")), stacks=8, planes=6, size=32)


def train_args(data, out, *extra):
    return ["--data", data, "--model", "ldse-net", "--out", out, "--patch-size", "32", "--batch-size", "8",
            "--workers", "0", "--quiet", "--threads", "1", *extra]


@pytest.fixture(scope="session")
def trained_run(patch_export, tmp_path_factory):
    """One short LDSE-NET run shared by the tests that only read its results (or export it)."""
    out = str(tmp_path_factory.mktemp("run") / "ldse")
    assert train.main(train_args(patch_export, out, "--epochs", "8", "--no-augment", "--lr", "2e-3",
                                 "--step-size", "4")) == 0
    return out
