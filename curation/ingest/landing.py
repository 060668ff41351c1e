"""Which files of the landing folder may be read: regular files directly inside it, by name. Free of Dagster.

A partition key is a file name chosen by whoever can add partitions (the UI, the API), so it is checked as
untrusted input: no separators, no `..`, no absolute paths, no symlinks (a link could point anywhere on the
machine), a crawl suffix. The file is opened without following links, so a name swapped for a link after the check
is refused too. Errors name the key and the rule, never the file's contents.
"""

import os
import stat
from pathlib import Path

from curation.ingest.formats import is_crawl_file_name


class LandingFileError(ValueError):
    """A partition key that does not name a readable crawl file inside the landing folder."""


def landing_file(folder: Path, name: str) -> Path:
    root = Path(folder).resolve()
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name or Path(name).is_absolute():
        raise LandingFileError(
            f"crawl file {name!r}: a partition key must be a plain file name inside the landing "
            f"folder {root} (no path separators, '..' or absolute paths)"
        )
    if not is_crawl_file_name(name):
        raise LandingFileError(
            f"crawl file {name!r}: not a crawl file name (.warc, .warc.gz, .jsonl, .jsonl.gz, .json.gz; not hidden)"
        )
    path = root / name
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise LandingFileError(f"crawl file {name!r} is not in the landing folder {root}") from None
    if stat.S_ISLNK(info.st_mode):
        raise LandingFileError(f"crawl file {name!r} is a symbolic link; only regular files in {root} are read")
    if not stat.S_ISREG(info.st_mode):
        raise LandingFileError(f"crawl file {name!r} is not a regular file in {root}")
    if path.resolve().parent != root:
        raise LandingFileError(f"crawl file {name!r} resolves outside the landing folder {root}")
    return path


def ready_landing_files(folder: Path, settle_seconds: float, now: float) -> list[str]:
    folder = Path(folder)
    if not folder.is_dir():
        return []
    ready = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False) or not is_crawl_file_name(entry.name):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime >= settle_seconds:
                ready.append(entry.name)
    return sorted(ready)
