"""One training epoch and one evaluation pass (loss = MSE in um^2, as in the paper; models/head.py for the
side-magnitude head). The test loss is always the MSE of the signed output."""
import math
from typing import Dict, List, Optional

import torch
from torch import nn

from .distributed import Runtime, all_sum
from .models.head import defocus_loss
from .progress import ProgressBar

SIGN_MIN_UM = 1.0  # sign errors count where |d| >= this, as `focus-station evaluate` counts them
CENTRAL_UM = 5.0  # the central range, -5..+5 um


def train_one_epoch(model: nn.Module, loader, optimizer, runtime: Runtime, progress: ProgressBar) -> float:
    model.train()
    loss_sum, count = 0.0, 0
    for patches, labels in loader:
        patches = patches.to(runtime.device, non_blocking=True)
        labels = labels.to(runtime.device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        loss = defocus_loss(model, model(patches), labels)
        loss.backward()
        optimizer.step()
        batch = labels.shape[0]
        loss_value = float(loss.detach())
        if not math.isfinite(loss_value):
            raise FloatingPointError("training loss is not finite (diverged): lower --lr")
        loss_sum += loss_value * batch
        count += batch
        progress.update(batch * runtime.world_size, loss_sum / count)
    total, n = all_sum([loss_sum, float(count)], runtime)
    return total / max(n, 1.0)


@torch.no_grad()
def evaluate(model: nn.Module, loader, runtime: Runtime,
             predictions: Optional[List[torch.Tensor]] = None) -> Dict[str, float]:
    """Test loss and the card's metrics; error = |predicted - true| (um), as `focus-station evaluate` uses. Given a
    list, `predictions` also receives each batch's predictions (float64, on the CPU), for figures of its own."""
    model.eval()
    sq, absolute, absolute_sq, signed, count, side_wrong, side_n = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    central_absolute, central_n = 0.0, 0.0
    for patches, labels in loader:
        predicted = model(patches.to(runtime.device, non_blocking=True)).double().cpu()
        if predictions is not None:
            predictions.append(predicted)
        truth = labels.double()
        error = predicted - truth
        sq += float((error ** 2).sum())
        absolute += float(error.abs().sum())
        absolute_sq += float((error.abs() ** 2).sum())
        signed += float(error.sum())
        count += error.numel()
        sided = truth.abs() >= SIGN_MIN_UM
        side_wrong += float((torch.sign(predicted) != torch.sign(truth))[sided].sum())
        side_n += float(sided.sum())
        central = truth.abs() <= CENTRAL_UM
        central_absolute += float(error.abs()[central].sum())
        central_n += float(central.sum())
    sq, absolute, absolute_sq, signed, count, side_wrong, side_n, central_absolute, central_n = all_sum(
        [sq, absolute, absolute_sq, signed, count, side_wrong, side_n, central_absolute, central_n], runtime)
    n = max(count, 1.0)
    mae = absolute / n
    return {
        # Sign errors for |d| >= 1 um (meaningless for |d| targets).
        "test_sign_error_rate": side_wrong / side_n if side_n else None,
        "test_mae_central_um": central_absolute / central_n if central_n else None,
        "test_loss": sq / n,
        "test_rmse_um": math.sqrt(sq / n),
        "test_mae_um": mae,
        "test_error_std_um": math.sqrt(max(absolute_sq / n - mae * mae, 0.0)),
        "test_bias_um": signed / n,
        "n": int(count),
    }
