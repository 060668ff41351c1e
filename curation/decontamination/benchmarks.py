"""The registry of evaluation sets (benchmarks/benchmarks.yaml) and their items, read and checked before any
document is touched: a bad entry is refused with its field, a bad line with its line number, never its contents."""

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from curation.project import BENCHMARKS_DIR

REGISTRY = "benchmarks.yaml"
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_FILE_BYTES = 512 << 20
# words hashed from code points (minhash.NormalizedText), numbers-only n-grams left out; bump on change: every set
# is scanned again
NORMALIZATION = "3"


class BenchmarkError(ValueError):
    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


@dataclass(frozen=True)
class Benchmark:
    name: str
    path: Path
    fields: tuple[str, ...]
    n_grams: int
    sha256: str

    @property
    def version(self) -> str:
        """What a scan's verdicts depend on: the file's contents, the fields, the n-gram size, the normalisation."""
        fields = hashlib.sha256("\0".join(self.fields).encode()).hexdigest()[:6]
        return f"{self.sha256[:12]}-{self.n_grams}gram-f{fields}-norm{NORMALIZATION}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_registry(folder: Path = BENCHMARKS_DIR) -> dict[str, Benchmark]:
    """Every registered evaluation set, checked: names, files inside the folder, fields, n-gram size."""
    folder = Path(folder).resolve()
    registry = folder / REGISTRY
    if not registry.is_file():
        return {}
    try:
        entries = yaml.safe_load(registry.read_text()) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{registry}:{mark.line + 1}" if mark else str(registry)
        raise BenchmarkError(where, "not valid YAML") from None
    if not isinstance(entries, dict):
        raise BenchmarkError(str(registry), "must map set names to their settings")
    return {name: _benchmark(registry, folder, name, entry) for name, entry in entries.items()}


def _benchmark(registry: Path, folder: Path, name, entry) -> Benchmark:
    where = f"{registry}: {name}"
    if not isinstance(name, str) or not NAME.match(name):
        raise BenchmarkError(f"{registry}: {name!r}", "a set name is lowercase letters, digits, '.', '_' or '-'")
    if not isinstance(entry, dict):
        raise BenchmarkError(where, "must be a mapping with file, fields and n_grams")
    unknown = set(entry) - {"file", "fields", "n_grams"}
    if unknown:
        raise BenchmarkError(f"{where}.{sorted(unknown)[0]}", "unknown field (known: file, fields, n_grams)")
    file, fields, n_grams = entry.get("file"), entry.get("fields"), entry.get("n_grams", 13)
    if not isinstance(file, str) or not file:
        raise BenchmarkError(f"{where}.file", "required: a file name in the benchmarks folder")
    path = (folder / file).resolve()
    if path.parent != folder:
        raise BenchmarkError(f"{where}.file", f"not in the benchmarks folder {folder}")
    if not path.is_file():
        raise BenchmarkError(f"{where}.file", f"no such file: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BenchmarkError(f"{where}.file", f"larger than {MAX_FILE_BYTES >> 20} MiB")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) and f for f in fields):
        raise BenchmarkError(f"{where}.fields", "required: a list of field names of each JSONL item")
    if isinstance(n_grams, bool) or not isinstance(n_grams, int) or not 5 <= n_grams <= 50:
        raise BenchmarkError(f"{where}.n_grams", "an integer from 5 to 50")
    return Benchmark(name, path, tuple(fields), n_grams, _sha256(path))


def read_items(benchmark: Benchmark) -> list[str]:
    """Each item's text to match: its fields joined by a newline, in the registry's order. A line that is not a
    JSON object with those fields as strings (or lists of strings) is refused with its number."""
    items = []
    with open(benchmark.path, encoding="utf-8", errors="strict") as lines:
        number = 0
        try:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                items.append(_item(benchmark, number, line))
        except UnicodeDecodeError:
            raise BenchmarkError(f"{benchmark.path}:{number + 1}", "not UTF-8") from None
    if not items:
        raise BenchmarkError(str(benchmark.path), "no items")
    return items


def _item(benchmark: Benchmark, number: int, line: str) -> str:
    where = f"{benchmark.path}:{number}"
    try:
        item = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "nested too deeply"
        raise BenchmarkError(where, f"not valid JSON ({reason})") from None
    if not isinstance(item, dict):
        raise BenchmarkError(where, f"an item must be a JSON object, not {type(item).__name__}")
    parts = []
    for field in benchmark.fields:
        if field not in item:
            raise BenchmarkError(where, f"no field {field!r}")
        value = item[field]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n".join(value)
        if not isinstance(value, str):
            raise BenchmarkError(where, f"field {field!r} must be a string or a list of strings")
        parts.append(value)
    return "\n".join(parts)
