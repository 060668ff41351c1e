"""Mixture recipes: YAML files that say how many tokens to train on and which documents make them up.

A recipe is validated completely before anything reads the lake: types and ranges by a typed schema, then the
cross-field rules (shares and phase fractions sum to 1, a filter recipe that exists, options that belong to the
chosen method). Every refusal names the file, the field and the reason.

    name: qurating_like
    token_budget: 60B                      # an integer or a number with K, M, B or T
    token_counting: {method: estimate, chars_per_token: 4.0}   # or {method: tokenizer, tokenizer: gpt-neox-20b}
    seed: 17
    max_repeats: 4                         # per document, over all phases and streams
    boilerplate_lines: drop                # repeated template lines left out of counts and shards (or keep)
    decontamination: exclude               # documents sharing n-grams with benchmarks/ sets left out (or keep)
    streams:
      - name: web
        filter_recipe: fineweb             # recipes/filters/fineweb.yaml
        dedup: {mode: rehydrate, weights: data}
        selection: {method: qurating, score: overall_score_expected, tau: 2.0}
        domain_weights: {mode: natural}
    phases:
      - {name: main, fraction: 0.85}
      - {name: final, fraction: 0.15, upsample: {Coding: 3, Mathematics: 3}}
"""

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from curation.project import TOKENIZERS_DIR
from curation.rating.criteria import CRITERIA, DOMAINS
from curation.recipe_files import RecipeError, first_problem, load_folder, read_yaml
from curation.tokens.tokenizer_files import TokenizerError, open_tokenizer

NAME = r"^[a-z][a-z0-9_]{0,62}$"
_BUDGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMBT]?)\s*$", re.IGNORECASE)
_SCALE = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
# quality_ratings / documents columns a selection may compare or rank by
SCORE_COLUMNS = (*CRITERIA, "overall_score_expected", "fasttext_quality", "domain_probability", "language_score")
SHARE_TOLERANCE = 1e-6

Name = Annotated[str, Field(pattern=NAME)]
Domain = Literal[DOMAINS]
Score = Literal[SCORE_COLUMNS]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,8}$")]
Fraction = Annotated[float, Field(gt=0, le=1)]


class MixtureRecipeError(RecipeError):
    """A mixture recipe that cannot run: names the file, the field and the reason."""


class _Strict(BaseModel):
    # NaN and infinity are refused with the field (they would pass every range check and break the SQL)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)


class TokenCounting(_Strict):
    """How a document's tokens are counted. `tokenizer`: real counts by the named file of the tokenizers folder
    (lake table document_tokens; `tokenizer: gpt-neox-20b`), the end-of-document token `eos_token` added once per
    document in token shards. `estimate` (default): characters / chars_per_token, 4 characters per token being the
    usual figure for English under GPT-style BPE vocabularies (CJK text runs near 1-1.5: set
    `chars_per_token_by_language`). `words`: words x tokens_per_word (1.3, i.e. ~0.75 words per token)."""

    method: Literal["estimate", "words", "tokenizer"] = "estimate"
    tokenizer: str | None = None
    eos_token: str = Field(default="<|endoftext|>", min_length=1, max_length=64)
    chars_per_token: float = Field(default=4.0, ge=0.1, le=100)
    chars_per_token_by_language: dict[Language, Annotated[float, Field(ge=0.1, le=100)]] = {}
    tokens_per_word: float = Field(default=1.3, ge=0.01, le=100)


class Dedup(_Strict):
    """`representatives`: one document per duplicate cluster. `rehydrate` (FineWeb2): the representative repeated
    by its cluster size, with weights given ({smallest cluster size: repeats}) or derived from the data: cluster
    sizes whose representatives the filters removed at or above the overall rate get 1, the least-removed size gets
    `max_weight`, linear in between (FineWeb2 used 10); sizes seen fewer than `min_cluster_documents` times are
    pooled into one tail bucket."""

    mode: Literal["representatives", "rehydrate"] = "representatives"
    weights: Literal["data"] | dict[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1, le=1000)]] = "data"
    max_weight: int = Field(default=10, ge=1, le=1000)
    min_cluster_documents: int = Field(default=20, ge=1)


class Selection(_Strict):
    """Which candidates a stream draws from and in which order it takes them until its targets are met.

    all: every document, in seeded random order. threshold: those within `min`/`max` on ratings, random order.
    top_k: ordered by `score` (highest first), optionally only the best `k` or `fraction`. qurating (Wettig et al.
    2024): order by z-normalised score / tau + Gumbel(0, 1) noise, i.e. sampling without replacement from
    softmax(score / tau). dataman (Peng et al. 2025): documents rated `min_overall_score` (5) or above, random
    order, the budget split by source (crawl file) and then by domain share. `min`/`max` apply to every method."""

    method: Literal["all", "threshold", "top_k", "qurating", "dataman"] = "all"
    min: dict[Score, float] = {}
    max: dict[Score, float] = {}
    score: Score = "overall_score_expected"
    k: int | None = Field(default=None, ge=1)
    fraction: Fraction | None = None
    tau: float = Field(default=2.0, gt=0, le=1000)
    min_overall_score: int = Field(default=5, ge=1, le=5)


class DomainWeights(_Strict):
    """Each domain's share of a stream's tokens. natural: as the data has it (the share of `natural_from`: the
    selection's candidates, or the whole pool before selection); explicit: `weights`, normalised (domains left out
    get none); temperature: natural shares raised to 1/temperature and normalised (temperature > 1 flattens)."""

    mode: Literal["natural", "explicit", "temperature"] = "natural"
    weights: dict[Domain, Annotated[float, Field(ge=0)]] = {}
    temperature: float = Field(default=1.0, gt=0, le=100)
    natural_from: Literal["candidates", "pool"] = "candidates"


class Stream(_Strict):
    name: Name
    filter_recipe: Name
    share: Fraction = 1.0
    languages: list[Language] | None = None
    dedup: Dedup = Dedup()
    selection: Selection = Selection()
    domain_weights: DomainWeights = DomainWeights()
    split_by_source: bool | None = None  # None: yes for dataman, no otherwise


class Phase(_Strict):
    name: Name
    fraction: Fraction
    upsample: dict[Domain, Annotated[float, Field(gt=0, le=1000)]] = {}


class Shards(_Strict):
    """parquet or jsonl: texts; megatron: token ids in Megatron-LM's indexed dataset (.bin + .idx, MMIDIDX), which
    needs `token_counting.method: tokenizer`. A shard closes after `max_bytes` of text (token bytes for megatron)."""

    format: Literal["parquet", "jsonl", "megatron"] = "parquet"
    max_bytes: int = Field(default=256 * 2**20, ge=1024, description="bytes after which a shard closes")


class MixtureRecipe(_Strict):
    name: Name
    description: str = ""
    token_budget: Annotated[int, Field(gt=0)]
    token_counting: TokenCounting = TokenCounting()
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    # Muennighoff et al. 2023 ("Scaling Data-Constrained Language Models"): up to ~4 epochs of repeated data are
    # almost as good as unique data.
    max_repeats: int = Field(default=4, ge=1, le=100)
    prefer_unseen: bool = True  # a later phase or stream takes documents not yet used before repeating any
    streams: list[Stream] = Field(min_length=1)
    phases: list[Phase] = [Phase(name="main", fraction=1.0)]
    shards: Shards = Shards()
    # drop: each text goes into token counts and shards without its repeated boilerplate lines (lake table
    # document_boilerplate, curation.dedup.boilerplate); keep: as the lake stores it
    boilerplate_lines: Literal["drop", "keep"] = "drop"
    # exclude: documents the `contamination` scan flags for a registered evaluation set (benchmarks/benchmarks.yaml)
    # are not in the pool; keep: they may be selected, and the summary counts them
    decontamination: Literal["exclude", "keep"] = "exclude"

    @pydantic.field_validator("token_budget", mode="before")
    @classmethod
    def _budget(cls, value):
        if isinstance(value, str):
            match = _BUDGET.match(value)
            if not match:
                raise ValueError(f"{value!r} is not a token count (an integer, or a number with K, M, B or T)")
            return round(float(match.group(1)) * _SCALE[match.group(2).upper()])
        return value

    def canonical_json(self) -> str:
        """Every setting, defaults filled in, in a stable order: what the recipe hash covers."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def phase_names(self) -> list[str]:
        return [p.name for p in self.phases]


def split_by_source(stream: Stream) -> bool:
    return stream.selection.method == "dataman" if stream.split_by_source is None else stream.split_by_source


def _field(loc: tuple, data) -> str:
    """A pydantic error location as a dotted path, list items named by their `name` where they have one."""
    parts, node = [], data
    for item in loc:
        if item == "[key]":  # a mapping's key was refused: the path already ends in it
            continue
        if isinstance(item, int) and isinstance(node, list):
            named = node[item].get("name") if item < len(node) and isinstance(node[item], dict) else None
            parts[-1] += f"[{named}]" if isinstance(named, str) else f"[{item}]"
            node = node[item] if item < len(node) else None
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(recipe)"


def _cross_checks(recipe: MixtureRecipe, source: str, filter_recipes: set[str] | None, tokenizers_folder: Path) -> None:
    def refuse(field, reason):
        raise MixtureRecipeError(source, field, reason)

    counting = recipe.token_counting
    if counting.method == "tokenizer":
        if counting.tokenizer is None:
            refuse("token_counting.tokenizer", "method tokenizer needs the name of a file in the tokenizers folder")
        try:
            open_tokenizer(counting.tokenizer, counting.eos_token, tokenizers_folder)
        except TokenizerError as error:
            refuse("token_counting.tokenizer", str(error))
    elif counting.tokenizer is not None:
        refuse("token_counting.tokenizer", f"only for method tokenizer, not {counting.method}")
    if recipe.shards.format == "megatron" and counting.method != "tokenizer":
        refuse("shards.format", "megatron shards hold token ids: set token_counting.method: tokenizer")

    for group, names in (("streams", [s.name for s in recipe.streams]), ("phases", recipe.phase_names())):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            refuse(f"{group}[{duplicates[0]}].name", "used twice; names must be unique")
    total = sum(s.share for s in recipe.streams)
    if abs(total - 1) > SHARE_TOLERANCE:
        refuse("streams.share", f"stream shares sum to {total:g}; they must sum to 1")
    total = sum(p.fraction for p in recipe.phases)
    if abs(total - 1) > SHARE_TOLERANCE:
        refuse("phases.fraction", f"phase fractions sum to {total:g}; they must sum to 1")
    for stream in recipe.streams:
        at = f"streams[{stream.name}]"
        if filter_recipes is not None and stream.filter_recipe not in filter_recipes:
            known = ", ".join(sorted(filter_recipes)) or "none"
            refuse(f"{at}.filter_recipe", f"no filter recipe {stream.filter_recipe!r} (recipes/filters has: {known})")
        sel = stream.selection
        given = sel.model_fields_set
        if sel.method == "threshold" and not (sel.min or sel.max):
            refuse(f"{at}.selection.min", "threshold selection needs `min` or `max` on at least one rating")
        for key in sorted(set(sel.min) & set(sel.max)):
            if sel.min[key] > sel.max[key]:
                refuse(f"{at}.selection.min.{key}", f"{sel.min[key]} is above max ({sel.max[key]})")
        own = {"top_k": {"k", "fraction", "score"}, "qurating": {"tau", "score"}, "dataman": {"min_overall_score"}}
        for option in ("k", "fraction", "score", "tau", "min_overall_score"):
            if option in given and option not in own.get(sel.method, set()):
                users = " and ".join(m for m, opts in own.items() if option in opts)
                refuse(f"{at}.selection.{option}", f"only for method {users}, not {sel.method}")
        if sel.k is not None and sel.fraction is not None:
            refuse(f"{at}.selection.k", "give k or fraction, not both")
        weights = stream.domain_weights
        if weights.mode == "explicit" and not any(v > 0 for v in weights.weights.values()):
            refuse(f"{at}.domain_weights.weights", "explicit mode needs a positive weight for at least one domain")
        if weights.mode != "explicit" and weights.weights:
            refuse(f"{at}.domain_weights.weights", f"only for mode explicit, not {weights.mode}")
        if "temperature" in weights.model_fields_set and weights.mode != "temperature":
            refuse(f"{at}.domain_weights.temperature", f"only for mode temperature, not {weights.mode}")
        dedup = stream.dedup
        if dedup.mode == "representatives" and dedup.model_fields_set - {"mode"}:
            option = sorted(dedup.model_fields_set - {"mode"})[0]
            refuse(f"{at}.dedup.{option}", "only for mode rehydrate")
        if isinstance(dedup.weights, dict):
            if 1 not in dedup.weights:
                refuse(f"{at}.dedup.weights", "must give the weight of cluster size 1 (sizes are lower bounds)")
            if any(w > recipe.max_repeats for w in dedup.weights.values()):
                refuse(f"{at}.dedup.weights", f"a weight above max_repeats ({recipe.max_repeats})")


def parse_mixture_recipe(
    data, name: str, source: str, filter_recipes: set[str] | None = None, tokenizers_folder: Path = TOKENIZERS_DIR
) -> MixtureRecipe:
    """Validate one recipe (a parsed YAML mapping); `filter_recipes`: the names a stream may use; a tokenizer it
    names must load from `tokenizers_folder`."""
    if not isinstance(data, dict):
        raise MixtureRecipeError(source, "(file)", f"expected a mapping, got {type(data).__name__}")
    if data.get("name", name) != name:
        raise MixtureRecipeError(source, "name", f"{data['name']!r} differs from the file name {name!r}")
    try:
        recipe = MixtureRecipe.model_validate({**data, "name": name})
    except pydantic.ValidationError as error:
        loc, reason, kind = first_problem(error)
        if kind == "extra_forbidden":
            reason = "unknown field"
        raise MixtureRecipeError(source, _field(loc, data), reason) from None
    _cross_checks(recipe, source, filter_recipes, tokenizers_folder)
    return recipe


def load_mixture_recipe(path: str | Path, filter_recipes: set[str] | None = None) -> MixtureRecipe:
    path = Path(path)
    return parse_mixture_recipe(read_yaml(path, MixtureRecipeError), path.stem, str(path), filter_recipes)


def load_mixture_recipes(
    folder: str | Path, filter_recipes: set[str] | None = None, errors: dict[str, MixtureRecipeError] | None = None
) -> dict[str, MixtureRecipe]:
    """Every `*.yaml` mixture recipe in a folder, each validated. The first invalid one raises, unless `errors` is
    given: then it collects the refusals by file stem, so one bad file takes down only what depends on it."""
    return load_folder(folder, lambda path: load_mixture_recipe(path, filter_recipes), errors)
