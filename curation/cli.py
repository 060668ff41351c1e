"""`curator`: the library's command line, no Dagster needed.

curator check-recipes [--filters DIR] [--mixtures DIR]   validate every recipe and evaluation set (benchmarks/);
                                                         exit 1 if any is refused
curator postgres start|stop|status [--folder DIR]        a local PostgreSQL server for the lake catalog
curator explain DOC_ID|URL [--snapshot S] [--json]        everything the lake holds about one document
curator diff --from S [--to S] [--json]                  what changed between two lake snapshots
curator report [--folder DIR]                            the corpus report (HTML charts) from the statistics

The lake is the deployment's (CURATOR_LAKE_CATALOG, CURATOR_LAKE_DATA_PATH, CURATOR_SHARDS_PATH; the embedded
defaults under data/ when unset) or --catalog/--data-path/--shards. A snapshot S: an id, `latest`, `previous`, an ISO
time, or words of its commit message.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from curation.project import FILTER_RECIPES_DIR, MIXTURE_RECIPES_DIR, PROJECT_ROOT

# the embedded defaults (.env), for a lake the demo built
DEFAULTS = {
    "CURATOR_LAKE_CATALOG": f"sqlite:{PROJECT_ROOT / 'data' / 'lake' / 'catalog.sqlite'}",
    "CURATOR_LAKE_DATA_PATH": str(PROJECT_ROOT / "data" / "lake" / "files"),
    "CURATOR_SHARDS_PATH": str(PROJECT_ROOT / "data" / "shards"),
}


def check_recipes(args: argparse.Namespace) -> int:
    from curation.recipes import load_all

    recipes = load_all(args.filters, args.mixtures)
    for recipe in recipes.filters.values():
        print(f"ok  {recipe.source}: {' -> '.join(recipe.filter_names)} (fingerprint {recipe.fingerprint})")
    for recipe in recipes.mixtures.values():
        streams = ", ".join(f"{s.name} {s.share:g} ({s.selection.method})" for s in recipe.streams)
        print(f"ok  {recipe.name}: {recipe.token_budget:,} tokens; {streams} (sha256 {recipe.sha256[:12]})")
    for error in recipes.refused:
        print(f"BAD {error}")
    return max(1 if recipes.refused else 0, check_benchmarks())


def check_benchmarks() -> int:
    """Every registered evaluation set read and indexed, as the contamination scan will."""
    from curation.decontamination.benchmarks import BenchmarkError, load_registry
    from curation.decontamination.ngram_index import index_of

    try:
        for name, benchmark in sorted(load_registry().items()):
            index = index_of(benchmark)
            print(
                f"ok  benchmark {name}: {index.item_count:,} items, {index.hashes.size:,} {index.n_grams}-grams "
                f"(version {benchmark.version})"
            )
    except BenchmarkError as error:
        print(f"BAD {error}")
        return 1
    return 0


def postgres(args: argparse.Namespace) -> int:
    from pathlib import Path

    from curation.lake.local_postgres import LocalPostgres, PostgresError

    server = LocalPostgres(Path(args.folder).resolve())
    try:
        if args.action == "start":
            server.start((args.database,))
        elif args.action == "stop":
            server.stop()
            print(f"stopped the server in {server.folder}")
            return 0
    except PostgresError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not server.is_running():
        print(f"no server is running in {server.folder}")
        return 1
    print(f"running in {server.folder} (unix socket only, no TCP port); for .env or the environment:")
    print(f'CURATOR_LAKE_CATALOG="{server.catalog(args.database)}"')
    return 0


def _setting(value: str | None, name: str) -> str:
    return value or os.environ.get(name) or DEFAULTS[name]


def _lake(args: argparse.Namespace):
    from curation.lake.client import Lake

    return Lake(_setting(args.catalog, "CURATOR_LAKE_CATALOG"), _setting(args.data_path, "CURATOR_LAKE_DATA_PATH"))


def _print(answer: dict, markdown, as_json: bool) -> None:
    print(json.dumps(answer, indent=2, default=str) if as_json else markdown(answer), end="" if not as_json else "\n")


def explain(args: argparse.Namespace) -> int:
    from curation.insight import explain as insight
    from curation.insight.snapshots import SnapshotError, resolve, snapshots
    from curation.lake.client import LakeError

    lake = _lake(args)
    try:
        snapshot = None
        if args.snapshot is not None:
            with lake.connect(read_only=True) as con:
                snapshot = resolve(snapshots(con), args.snapshot).id
        shards = Path(_setting(args.shards, "CURATOR_SHARDS_PATH"))
        answer = insight.explain(lake, args.key, snapshot=snapshot, shards_root=shards)
    except (insight.ExplainError, SnapshotError, LakeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print(answer, insight.to_markdown, args.json)
    return 0


def diff(args: argparse.Namespace) -> int:
    from curation.insight import diff as insight
    from curation.insight.snapshots import SnapshotError
    from curation.lake.client import LakeError

    try:
        result = insight.diff(_lake(args), args.before, args.after)
    except (SnapshotError, LakeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print(result, insight.to_markdown, args.json)
    return 0


def report(args: argparse.Namespace) -> int:
    from curation.insight.report import write_report
    from curation.lake.client import LakeError

    lake = _lake(args)
    try:
        with lake.connect(read_only=True) as con:
            path, charts = write_report(con, Path(args.folder), lake.snapshot_id(con))
    except LakeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{charts} charts: {path}")
    return 0


def _lake_options(parser: argparse.ArgumentParser, shards: bool = False) -> None:
    parser.add_argument("--catalog", help="the lake's catalog (default: $CURATOR_LAKE_CATALOG or the demo's)")
    parser.add_argument("--data-path", help="the lake's data path (default: $CURATOR_LAKE_DATA_PATH or the demo's)")
    if shards:
        parser.add_argument("--shards", help="training shards root (default: $CURATOR_SHARDS_PATH or the demo's)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="curator", description="Curation library commands (no Dagster needed).")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-recipes", help="validate every filter and mixture recipe")
    check.add_argument("--filters", default=str(FILTER_RECIPES_DIR), help="filter recipe folder")
    check.add_argument("--mixtures", default=str(MIXTURE_RECIPES_DIR), help="mixture recipe folder")
    check.set_defaults(run=check_recipes)
    server = commands.add_parser("postgres", help="start, stop or show a local PostgreSQL server for the lake catalog")
    server.add_argument("action", choices=("start", "stop", "status"))
    server.add_argument("--folder", default=".postgres", help="the server's folder (cluster, socket, log)")
    server.add_argument("--database", default="lake", help="the lake's database (created if missing)")
    server.set_defaults(run=postgres)
    about = commands.add_parser("explain", help="everything the lake holds about one document, page or URL")
    about.add_argument("key", metavar="DOC_ID|URL", help="a document or page id, a WARC record id, or a URL")
    about.add_argument("--snapshot", help="read the lake as of this snapshot (id, time or commit-message words)")
    about.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    _lake_options(about, shards=True)
    about.set_defaults(run=explain)
    changes = commands.add_parser("diff", help="what changed between two lake snapshots")
    changes.add_argument("--from", dest="before", required=True, help="the older snapshot")
    changes.add_argument("--to", dest="after", default="latest", help="the newer snapshot (default: latest)")
    changes.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    _lake_options(changes)
    changes.set_defaults(run=diff)
    charts = commands.add_parser("report", help="write the corpus report (HTML charts over lake.stats)")
    charts.add_argument("--folder", default=str(PROJECT_ROOT / "data" / "lake" / "reports"), help="where to write it")
    _lake_options(charts)
    charts.set_defaults(run=report)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
