"""Reads and validates a FocusStation export (manifest.csv + dataset.json), and nothing else of the app."""
import csv
import json
import math
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..errors import TrainingError

MANIFEST_COLUMNS = [
    "path", "split", "stack_id", "slide_id", "setup_id", "defocus_um", "z_um", "z_focus_um", "pixel_size_um",
    "magnification", "na", "channels", "bit_depth", "width", "height", "patch_x", "patch_y", "source",
]
SPLITS = ("train", "test")


@dataclass(frozen=True)
class ImageRow:
    line: int  # 1-based line in manifest.csv, for error messages
    path: str  # absolute
    relpath: str
    split: str
    stack_id: str
    slide_id: str
    setup_id: str
    defocus_um: float
    pixel_size_um: float
    magnification: float
    na: float
    channels: int
    bit_depth: int
    width: int
    height: int
    is_patch: bool


@dataclass
class Export:
    root: str
    rows: List[ImageRow]
    info: dict = field(default_factory=dict)  # dataset.json, {} when absent

    def split_rows(self, split: str) -> List[ImageRow]:
        return [row for row in self.rows if row.split == split]

    def setup(self, setup_id: str) -> Optional[dict]:
        for setup in self.info.get("setups", []) or []:
            if str(setup.get("id")) == setup_id:
                return setup
        return None


def read_export(root: str, check_files: bool = True) -> Export:
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise TrainingError("export_missing", f"Export folder not found: {root}")
    info = _read_dataset_json(root)
    rows = _read_manifest(root)
    if check_files:
        _check_files_exist(rows)
    return Export(root=root, rows=rows, info=info)


def _read_dataset_json(root: str) -> dict:
    path = os.path.join(root, "dataset.json")
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except (OSError, ValueError) as error:
        raise TrainingError("dataset_json_invalid", f"{path} is not valid JSON: {error}") from error
    if not isinstance(info, dict) or info.get("format") != "focus-station-export":
        raise TrainingError("dataset_json_invalid",
                            f"{path} is not a FocusStation export description (format must be 'focus-station-export')")
    if info.get("format_version") != 1:
        raise TrainingError("dataset_json_version",
                            f"{path} has format_version {info.get('format_version')!r}; this trainer reads version 1")
    return info


def _read_manifest(root: str) -> List[ImageRow]:
    path = os.path.join(root, "manifest.csv")
    if not os.path.exists(path):
        raise TrainingError("manifest_missing",
                            f"No manifest.csv in {root}: point --data at a folder written by the app's dataset export")
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise TrainingError("manifest_empty", f"{path} is empty")
            header = [name.strip() for name in header]
            if header != MANIFEST_COLUMNS:
                raise TrainingError("manifest_header",
                                    f"{path}: header does not match the export format.\n  expected: "
                                    f"{','.join(MANIFEST_COLUMNS)}\n  found:    {','.join(header)}")
            rows = [_parse_row(root, cells, line) for line, cells in enumerate(reader, start=2) if any(cells)]
    except UnicodeDecodeError as error:
        raise TrainingError("manifest_encoding", f"{path} is not UTF-8 text: {error}") from error
    except csv.Error as error:
        raise TrainingError("manifest_row", f"{path}: unreadable CSV ({error})") from error
    if not rows:
        raise TrainingError("manifest_empty", f"{path} lists no images")
    return rows


def _parse_row(root: str, cells: List[str], line: int) -> ImageRow:
    where = f"manifest.csv line {line}"
    if len(cells) != len(MANIFEST_COLUMNS):
        raise TrainingError("manifest_row", f"{where}: {len(cells)} columns, expected {len(MANIFEST_COLUMNS)}")
    value = dict(zip(MANIFEST_COLUMNS, (cell.strip() for cell in cells)))
    relpath = value["path"]
    if not relpath or relpath.startswith("/") or ".." in relpath.split("/") or "\\" in relpath:
        raise TrainingError("manifest_row", f"{where}: path must be relative with forward slashes, got {relpath!r}")
    if value["split"] not in SPLITS:
        raise TrainingError("manifest_row", f"{where}: split must be train or test, got {value['split']!r}")
    if not value["stack_id"]:
        raise TrainingError("manifest_row", f"{where}: stack_id is empty")
    is_patch = value["patch_x"] != "" or value["patch_y"] != ""
    bit_depth = _int(value, "bit_depth", where)
    channels = _int(value, "channels", where)
    if bit_depth not in (8, 16):
        raise TrainingError("manifest_row", f"{where}: bit_depth must be 8 or 16, got {bit_depth}")
    if channels not in (1, 3):
        raise TrainingError("manifest_row", f"{where}: channels must be 1 or 3, got {channels}")
    return ImageRow(
        line=line,
        path=os.path.join(root, *relpath.split("/")),
        relpath=relpath,
        split=value["split"],
        stack_id=value["stack_id"],
        slide_id=value["slide_id"],
        setup_id=value["setup_id"],
        defocus_um=_float(value, "defocus_um", where),
        pixel_size_um=_float(value, "pixel_size_um", where, positive=True),
        magnification=_float(value, "magnification", where, positive=True),
        na=_float(value, "na", where, positive=True),
        channels=channels,
        bit_depth=bit_depth,
        width=_int(value, "width", where),
        height=_int(value, "height", where),
        is_patch=is_patch,
    )


def _float(value: Dict[str, str], name: str, where: str, positive: bool = False) -> float:
    try:
        number = float(value[name])
    except ValueError:
        raise TrainingError("manifest_row", f"{where}: {name} is not a number ({value[name]!r})") from None
    if not math.isfinite(number) or (positive and number <= 0):
        raise TrainingError("manifest_row", f"{where}: {name} must be a finite{' positive' if positive else ''} "
                                            f"number, got {value[name]!r}")
    return number


def _int(value: Dict[str, str], name: str, where: str) -> int:
    try:
        return int(value[name])
    except ValueError:
        raise TrainingError("manifest_row", f"{where}: {name} is not an integer ({value[name]!r})") from None


def _check_files_exist(rows: List[ImageRow]) -> None:
    missing = [row for row in rows if not os.path.isfile(row.path)]
    if missing:
        listed = ", ".join(f"{row.relpath} (line {row.line})" for row in missing[:3])
        raise TrainingError("image_missing", f"{len(missing)} image(s) listed in manifest.csv are missing: {listed}"
                                             f"{' ...' if len(missing) > 3 else ''}")


def check_split(rows: List[ImageRow]) -> None:
    """The split is by stack (or slide): a stack on both sides would leak test images into training."""
    sides: Dict[str, set] = {}
    for row in rows:
        sides.setdefault(row.stack_id, set()).add(row.split)
    leaked = sorted(stack for stack, splits in sides.items() if len(splits) > 1)
    if leaked:
        raise TrainingError("split_leak", f"{len(leaked)} stack(s) appear in both train and test "
                                          f"(e.g. {', '.join(leaked[:3])}): re-export with a split by stack")
    for split in SPLITS:
        if not any(row.split == split for row in rows):
            raise TrainingError("split_empty", f"The export has no {split} images: cannot train and early-stop")


def select_rows(rows: List[ImageRow], setup_id: Optional[str]) -> List[ImageRow]:
    """One model is trained per optical setup: rows must share one pixel size (the model's)."""
    if setup_id:
        rows = [row for row in rows if row.setup_id == setup_id]
        if not rows:
            raise TrainingError("setup_empty", f"No images of setup '{setup_id}' in the export")
    setups = sorted({row.setup_id for row in rows})
    pixel_sizes = sorted({round(row.pixel_size_um, 9) for row in rows})
    if len(pixel_sizes) > 1 and not _close(pixel_sizes[0], pixel_sizes[-1]):
        raise TrainingError("mixed_pixel_size",
                            f"The export mixes pixel sizes {pixel_sizes} um (setups {setups}): a model is trained for "
                            "one pixel size, choose one with --setup <id>")
    return rows


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def slide_names(info: dict) -> Dict[str, str]:
    """slide_id (as the manifest writes it) -> the slide's name, from dataset.json's "slides" list where it has one."""
    return {str(s["id"]): str(s["name"]) for s in info.get("slides") or [] if "id" in s and "name" in s}
