"""Both recipe folders, loaded and validated once: what the code location builds its recipe assets from and what
`curator check-recipes` reports. A refused file is kept with its reason instead of raising, so it takes down only
the assets that depend on it."""

from dataclasses import dataclass, field
from pathlib import Path

from curation.filters.recipe import FilterRecipe, load_recipes
from curation.mixtures.recipe import MixtureRecipe, load_mixture_recipes
from curation.project import FILTER_RECIPES_DIR, MIXTURE_RECIPES_DIR
from curation.recipe_files import RecipeError


@dataclass(frozen=True)
class Recipes:
    filters: dict[str, FilterRecipe]
    mixtures: dict[str, MixtureRecipe]
    refused_filters: dict[str, RecipeError] = field(default_factory=dict)  # by file stem
    refused_mixtures: dict[str, RecipeError] = field(default_factory=dict)
    mixture_folder: Path = MIXTURE_RECIPES_DIR

    @property
    def refused(self) -> list[RecipeError]:
        return [*self.refused_filters.values(), *self.refused_mixtures.values()]


def load_all(
    filter_folder: str | Path = FILTER_RECIPES_DIR, mixture_folder: str | Path = MIXTURE_RECIPES_DIR
) -> Recipes:
    """Filter recipes first: a mixture recipe naming a refused or missing filter recipe is refused too."""
    refused_filters, refused_mixtures = {}, {}
    filters = load_recipes(filter_folder, refused_filters)
    mixtures = load_mixture_recipes(mixture_folder, set(filters), refused_mixtures)
    return Recipes(filters, mixtures, refused_filters, refused_mixtures, Path(mixture_folder))
