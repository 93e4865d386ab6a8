"""A small progress bar on stderr: items done, running loss, images/s and ETA (no extra dependency)."""
import sys
import time
from typing import Optional, TextIO


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}"


class ProgressBar:
    def __init__(self, total: int, label: str, stream: Optional[TextIO] = None, enabled: bool = True,
                 min_interval_s: float = 0.5, log_interval_s: float = 30.0, epochs_after: int = 0):
        self.total = max(total, 1)
        self.epochs_after = epochs_after  # later epochs of the run, for the run's ETA
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        # A log file gets one line every log_interval_s instead of carriage-return redraws.
        self.interval = min_interval_s if self.interactive else log_interval_s
        self.start = time.monotonic()
        self.last_draw = 0.0
        self.done = 0

    def update(self, count: int, loss: Optional[float] = None, extra: str = "") -> None:
        self.done += count
        now = time.monotonic()
        if self.enabled and (now - self.last_draw >= self.interval or self.done >= self.total):
            self.last_draw = now
            self._draw(now, loss, extra)

    def close(self) -> None:
        if self.enabled and self.interactive:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, now: float, loss: Optional[float], extra: str) -> None:
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        fraction = min(self.done / self.total, 1.0)
        bar = "#" * int(fraction * 24) + "." * (24 - int(fraction * 24))
        loss_text = f" loss {loss:.4g}" if loss is not None else ""
        run_eta = ""
        if self.epochs_after and rate > 0:
            run_eta = f", run ETA {format_duration(eta + self.epochs_after * self.total / rate)}"
        line = (f"{self.label} [{bar}] {self.done}/{self.total}{loss_text} {rate:.1f} img/s "
                f"ETA {format_duration(eta)}{run_eta}{extra}")
        self.stream.write(("\r" + line + "\x1b[K") if self.interactive else line + "\n")
        self.stream.flush()
