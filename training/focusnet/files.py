"""Small file helpers shared by the training commands."""
import json
import os


def write_json_atomic(path: str, data: dict) -> None:
    """Writes beside the target, then renames: a crash never leaves a half-written file where the old one was."""
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(partial, path)
