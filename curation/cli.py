"""`curator`: the library's command line, no Dagster needed.

curator check-recipes [--filters DIR] [--mixtures DIR]   validate every recipe; exit 1 if any is refused
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
    return 1 if recipes.refused else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="curator", description="Curation library commands (no lake is touched).")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-recipes", help="validate every filter and mixture recipe")
    check.add_argument("--filters", default=str(FILTER_RECIPES_DIR), help="filter recipe folder")
    check.add_argument("--mixtures", default=str(MIXTURE_RECIPES_DIR), help="mixture recipe folder")
    check.set_defaults(run=check_recipes)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
