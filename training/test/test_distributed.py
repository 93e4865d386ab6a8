import json
import os
import shutil
import subprocess

import pytest

from .conftest import train_args

TORCHRUN = shutil.which("torchrun")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(TORCHRUN is None, reason="torchrun is not installed")
def test_torchrun_two_cpu_processes_gloo(patch_export, tmp_path):
    out = str(tmp_path / "ddp")
    # --redirects/--tee 2: Debian's torch 1.13 torchrun crashes on Python 3.11 with the default "0" (see README).
    command = [TORCHRUN, "--standalone", "--redirects", "2", "--tee", "2", "--nproc_per_node=2",
               "-m", "training.train", *train_args(patch_export, out, "--epochs", "2", "--batch-size", "4", "--max-test", "5")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert completed.returncode == 0, completed.stderr[-2000:]
    with open(os.path.join(out, "summary.json")) as handle:
        summary = json.load(handle)
    assert summary["epochs_run"] == 2 and "DDP gloo" in summary["device"]
    # 5 test patches over 2 ranks at 2 per batch: 2 batches on rank 0, 1 on rank 1 (uneven shards must not hang)
    assert summary["n_train"] == 36 and summary["n_test"] == 5 and summary["final_test_loss"] is not None
    assert os.path.exists(os.path.join(out, "best.pt"))
