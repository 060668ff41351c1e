"""Where the project's own folders are: recipes, expectation suites, the dbt project (the library reads no other)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FILTER_RECIPES_DIR = PROJECT_ROOT / "recipes" / "filters"
MIXTURE_RECIPES_DIR = PROJECT_ROOT / "recipes" / "mixtures"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DBT_DIR = PROJECT_ROOT / "dbt_project"
TOKENIZERS_DIR = PROJECT_ROOT / "tokenizers"
BENCHMARKS_DIR = PROJECT_ROOT / "benchmarks"
ANNOTATION_GUIDELINES = PROJECT_ROOT / "data" / "annotations" / "annotation-guidelines.md"
