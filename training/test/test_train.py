import json
import os

import pytest
import torch

from training import train
from training.focusnet import checkpoint as ckpt

from .conftest import train_args
from .synthetic_export import write_export


def _summary(out):
    with open(os.path.join(out, "summary.json")) as handle:
        return json.load(handle)


def _history(out):
    with open(os.path.join(out, "history.jsonl")) as handle:
        return [json.loads(line) for line in handle]


def test_loss_falls_on_a_learnable_export(trained_run):
    history = _history(trained_run)
    assert len(history) == 8
    first, best = history[0], min(history, key=lambda r: r["test_loss"])
    # Batch-8 BatchNorm makes single epochs noisy: compare the best of the last three with the first.
    assert min(r["train_loss"] for r in history[-3:]) < 0.5 * first["train_loss"]
    # Labels span -5..+5 um (variance ~9 um^2): a model that learnt nothing stays near that.
    assert best["test_loss"] < 0.35 * first["test_loss"] and best["test_loss"] < 1.5
    assert all(r["lr"] == pytest.approx(2e-3 if r["epoch"] <= 4 else 1e-3) for r in history)  # StepLR


def test_checkpoints_and_summary(trained_run):
    summary = _summary(trained_run)
    assert summary["status"] == "done" and summary["epochs_run"] == 8
    assert summary["n_train"] == 36 and summary["n_test"] == 12
    assert summary["time_s"] > 0 and summary["device"].startswith("cpu")
    last = ckpt.load(os.path.join(trained_run, ckpt.LAST))
    best = ckpt.load(os.path.join(trained_run, ckpt.BEST))
    for key in ("model_state", "optimizer_state", "scheduler_state", "rng_state"):
        assert key in last
    assert last["epoch"] == 8 and best["best_epoch"] == summary["best_epoch"]
    assert best["best_metrics"]["test_loss"] == pytest.approx(summary["final_test_loss"])
    assert best["dataset"]["train_slides"] == ["slide0", "slide1", "slide2"]
    assert best["dataset"]["test_slides"] == ["slide3"]


def test_split_is_respected(patch_export, tmp_path):
    run = train.Run(train.parse_args(train_args(patch_export, str(tmp_path / "r"), "--epochs", "1")),
                    [], _single_process())
    train_stacks = {row.stack_id for row in run.train_rows}
    test_stacks = {row.stack_id for row in run.test_rows}
    assert train_stacks == {f"s00{i}" for i in range(6)} and test_stacks == {"s006", "s007"}


def _single_process():
    from training.focusnet.distributed import Runtime
    return Runtime(1, 0, 0, torch.device("cpu"))


def test_resume_matches_an_uninterrupted_run(patch_export, tmp_path):
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    common = ("--seed", "7", "--max-train", "24")
    assert train.main(train_args(patch_export, straight, "--epochs", "2", *common)) == 0
    assert train.main(train_args(patch_export, resumed, "--epochs", "1", *common)) == 0
    assert _summary(resumed)["epochs_run"] == 1
    assert train.main(train_args(patch_export, resumed, "--epochs", "2", "--resume", *common)) == 0
    a = ckpt.load(os.path.join(straight, ckpt.LAST))["model_state"]
    b = ckpt.load(os.path.join(resumed, ckpt.LAST))["model_state"]
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert [r["train_loss"] for r in _history(straight)] == [r["train_loss"] for r in _history(resumed)]


def test_existing_run_needs_resume(trained_run, patch_export, capsys):
    assert train.main(train_args(patch_export, trained_run, "--epochs", "1", "--json")) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "run_exists" and "--resume" in error["message"]


def test_resume_without_checkpoint_is_a_clear_error(patch_export, tmp_path, capsys):
    assert train.main(train_args(patch_export, str(tmp_path / "empty"), "--resume", "--json")) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "nothing_to_resume"


def test_missing_manifest_fails_cleanly(tmp_path, capsys):
    assert train.main(train_args(str(tmp_path), str(tmp_path / "r"), "--json")) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"]["code"] == "manifest_missing"
    assert "manifest.csv" in captured.err


def test_early_stopping_on_test_loss(tmp_path):
    # Labels unrelated to the images: the test loss cannot keep improving, patience 1 stops the run.
    root = write_export(str(tmp_path / "noise"), stacks=6, planes=4, size=32, test_stacks=2, seed=3)
    import csv
    path = os.path.join(root, "manifest.csv")
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    for index, row in enumerate(rows[1:]):
        row[5] = str((-1) ** index * 3.0)
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    out = str(tmp_path / "run")
    assert train.main(train_args(root, out, "--epochs", "12", "--patience", "1", "--lr", "1e-2")) == 0
    summary = _summary(out)
    assert summary["status"] == "early_stopped" and summary["epochs_run"] < 12
    assert summary["epochs_run"] == summary["best_epoch"] + 1


def test_json_summary_on_stdout(patch_export, tmp_path, capsys):
    out = str(tmp_path / "json")
    assert train.main(train_args(patch_export, out, "--epochs", "1", "--max-train", "8", "--json")) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == "ldse-net" and summary["epochs_run"] == 1 and summary["n_train"] == 8
    assert summary["best_checkpoint"] == os.path.join(out, "best.pt")


def test_progress_bar_shows_loss_rate_and_eta():
    import io
    from training.focusnet.progress import ProgressBar
    stream = io.StringIO()  # not a terminal: one line per update interval
    bar = ProgressBar(100, "epoch 1/3 train", stream=stream, log_interval_s=0.0, epochs_after=2)
    bar.update(50, loss=1.25)
    bar.update(50, loss=0.5)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()
    assert "50/100 loss 1.25" in lines[0] and "img/s ETA " in lines[0] and "run ETA " in lines[0]
    assert lines[1].startswith("epoch 1/3 train [########################] 100/100 loss 0.5")


def test_magnitude_target_trains_on_absolute_defocus(patch_export, tmp_path):
    out = str(tmp_path / "magnitude")
    args = train.parse_args(train_args(patch_export, out, "--epochs", "1", "--target", "magnitude"))
    run = train.Run(args, [], _single_process())
    signed = train.Run(train.parse_args(train_args(patch_export, str(tmp_path / "s"), "--epochs", "1")), [],
                       _single_process())
    assert any(r.defocus_um < 0 for r in signed.train_rows)
    assert [r.defocus_um for r in run.train_rows] == [abs(r.defocus_um) for r in signed.train_rows]
    assert all(label >= 0 for _, label in (run.test_set[i] for i in range(len(run.test_set))))
    run.fit()
    assert ckpt.load(os.path.join(out, ckpt.LAST))["target"] == "magnitude"
    # A run cannot switch targets on resume.
    assert train.main(train_args(patch_export, out, "--epochs", "2", "--resume")) == 2
