"""`curator`: the library's command line, no Dagster needed.

curator check-recipes [--filters DIR] [--mixtures DIR]   validate every recipe and evaluation set (benchmarks/);
                                                         exit 1 if any is refused
curator postgres start|stop|status [--folder DIR]        a local PostgreSQL server for the lake catalog
"""

import argparse
import sys

from curation.project import FILTER_RECIPES_DIR, MIXTURE_RECIPES_DIR


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
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
