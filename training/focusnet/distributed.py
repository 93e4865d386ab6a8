"""torchrun support: DistributedDataParallel when WORLD_SIZE > 1 (NCCL on CUDA, gloo on CPU)."""
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .errors import TrainingError


@dataclass(frozen=True)
class Runtime:
    world_size: int
    rank: int
    local_rank: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def start(device_choice: str) -> Runtime:
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device_choice == "cuda" or (device_choice == "auto" and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        raise TrainingError("no_cuda", "--device cuda asked for, but this PyTorch build sees no CUDA device")
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return Runtime(world_size, rank, local_rank, device)


def describe_device(runtime: Runtime) -> str:
    """The device line of checkpoints and cards, e.g. 'cuda (1 x NVIDIA H200)' or 'cpu (2 threads)'."""
    if runtime.device.type == "cuda":
        name = torch.cuda.get_device_name(runtime.device)
        return f"cuda ({runtime.world_size} x {name}{', DDP' if runtime.distributed else ''})"
    threads = torch.get_num_threads()
    if runtime.distributed:
        return f"cpu ({runtime.world_size} processes x {threads} threads, DDP gloo)"
    return f"cpu ({threads} thread{'s' if threads != 1 else ''})"


def stop(runtime: Runtime) -> None:
    if runtime.distributed and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def all_sum(values, runtime: Runtime):
    """Sums a list of floats over all ranks (identity in a single process)."""
    tensor = torch.tensor(values, dtype=torch.float64,
                          device=runtime.device if runtime.device.type == "cuda" else "cpu")
    if runtime.distributed:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.cpu().tolist()


def barrier(runtime: Runtime) -> None:
    if runtime.distributed:
        dist.barrier()
