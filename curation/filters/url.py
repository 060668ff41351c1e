"""FineWeb's URL filter (datatrove's URLFilter): block listed domains and URLs, banned words in the URL, two or
more "soft" banned words, banned sub-words anywhere in the normalised URL. Reason strings are datatrove's.

The lists are data, not code: `quality_signals` decides with the bundled datatrove word lists, a recipe names its
own files, and its view decides in SQL against the lists it stored in the lake (`url_filter_lists`).
Domains match the host and every parent domain (`a.b.example.com` is blocked by `example.com`), where datatrove
asks tldextract for the registered domain and the full host: the same for every list entry that is a registered
domain or a full host, and without the Public Suffix List download datatrove needs.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import ClassVar

from curation.filters.base import Document, Filter, SqlColumns, threshold

_NON_ALNUM = re.compile(r"[^a-zA-Z0-9]+")
BUNDLED_LISTS = Path(str(files("curation") / "resources" / "url_filter"))
LIST_KINDS = {
    "blocked_domains": "domains",
    "blocked_urls": "urls",
    "banned_words": "words",
    "soft_banned_words": "words",
    "banned_subwords": "words",
}
LISTS = tuple(LIST_KINDS)


def normalize(text: str) -> str:
    return _NON_ALNUM.sub("", text).lower()


def read_list(path: Path, kind: str) -> frozenset[str]:
    """One entry per line, `#` lines ignored; words are normalised as datatrove normalises them, domains
    lowercased, URLs kept as they are."""
    clean = {"words": normalize, "domains": lambda s: s.strip().lower().rstrip("."), "urls": str.strip}[kind]
    entries = set()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            entry = clean(line)
            if entry and not line.startswith("#"):
                entries.add(entry)
    return frozenset(entries)


@cache
def bundled(name: str) -> frozenset[str]:
    return read_list(BUNDLED_LISTS / f"{name}.txt", "words")


def host_and_parents(host: str | None) -> list[str]:
    if not host:
        return []
    parts = host.lower().rstrip(".").split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


@dataclass(frozen=True)
class URLFilter(Filter):
    """Penedo et al. 2024 (FineWeb), section 3.2: datatrove's URLFilter with its bundled word lists."""

    name: ClassVar[str] = "url"
    paper: ClassVar[str] = "Penedo et al. 2024 (FineWeb), section 3.2"

    soft_word_threshold: int = threshold(2, 1)
    blocked_domains: frozenset[str] = field(default=frozenset(), metadata={"list": True})
    blocked_urls: frozenset[str] = field(default=frozenset(), metadata={"list": True})
    banned_words: frozenset[str] = field(default_factory=lambda: bundled("banned_words"), metadata={"list": True})
    soft_banned_words: frozenset[str] = field(
        default_factory=lambda: bundled("soft_banned_words"), metadata={"list": True}
    )
    banned_subwords: frozenset[str] = field(default_factory=lambda: bundled("banned_subwords"), metadata={"list": True})

    def reason(self, doc: Document, measured: dict | None = None) -> str | None:
        url, host = doc.url, doc.host
        if not url:
            return None
        if any(domain in self.blocked_domains for domain in host_and_parents(host)):
            return "domain"
        if url in self.blocked_urls:
            return "url"
        words = set(_NON_ALNUM.split(url))  # not lowercased, as in datatrove
        if not words.isdisjoint(self.banned_words):
            return "hard_blacklisted"
        if len(words & self.soft_banned_words) >= self.soft_word_threshold:
            return "soft_blacklisted"
        normalized = normalize(url)
        if any(subword in normalized for subword in self.banned_subwords):
            return "blacklisted_subword"
        return None

    def lists(self) -> dict[str, frozenset[str]]:
        return {name: getattr(self, name) for name in LISTS}

    @staticmethod
    def derived_sql(url: str) -> dict[str, str]:
        """Per-document values the rules read, computed once per row in the view's document scan: inside the
        subword rule's list comprehension an expression over the URL is evaluated once per list entry (36x slower
        on 20,000 documents than reading it as a column)."""
        return {
            "url_words": f"list_distinct(string_split_regex({url}, '[^a-zA-Z0-9]+'))",
            "url_normalized": f"lower(regexp_replace({url}, '[^a-zA-Z0-9]+', '', 'g'))",
        }

    def reason_sql(self, sql: SqlColumns) -> str:
        """Word lists of up to INLINE_MAX_WORDS entries are compiled into the view as constant RE2 patterns (one
        pass over the URL per list, ~15x faster than list functions against the stored list); longer ones are
        read from `url_filter_lists`, like the domain and URL lists (joins: those may hold millions)."""
        url, host_blocked, url_blocked = sql.column("url"), sql.host_blocked, sql.url_blocked
        words, normalized = sql.column("url_words"), sql.column("url_normalized")
        hard = _word_match(url, words, self.banned_words, sql.list_of("banned_words"))
        soft_count = (
            f"len(list_intersect({words}, {_words_list(self.soft_banned_words, sql.list_of('soft_banned_words'))}))"
        )
        soft = f"{soft_count} >= {int(self.soft_word_threshold)}"
        if 0 < len(self.soft_banned_words) <= INLINE_MAX_WORDS:  # count only where a soft word occurs at all
            soft = f"CASE WHEN {_token_pattern_match(url, self.soft_banned_words)} THEN {soft} ELSE false END"
        if 0 < len(self.banned_subwords) <= INLINE_MAX_WORDS:
            subword = f"regexp_matches({normalized}, {_sql_literal(_alternation(self.banned_subwords))})"
        else:
            subword = (
                f"coalesce(list_bool_or([contains({normalized}, w) FOR w IN {sql.list_of('banned_subwords')}]), false)"
            )
        return (
            f"CASE WHEN {url} IS NULL OR {url} = '' THEN NULL "
            f"WHEN {host_blocked} THEN 'domain' "
            f"WHEN {url_blocked} THEN 'url' "
            f"WHEN {hard} THEN 'hard_blacklisted' "
            f"WHEN {soft} THEN 'soft_blacklisted' "
            f"WHEN {subword} THEN 'blacklisted_subword' END"
        )


INLINE_MAX_WORDS = 5000  # larger word lists are joined from the lake table (an RE2 pattern has a memory cap)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _alternation(words: frozenset[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words))


def _token_pattern_match(url: str, words: frozenset[str]) -> str:
    """True where some token of the URL (a maximal run of ASCII letters and digits, datatrove's split) is one of
    `words`, case-sensitive as datatrove's set lookup is."""
    pattern = f"(?:^|[^a-zA-Z0-9])(?:{_alternation(words)})(?:[^a-zA-Z0-9]|$)"
    return f"regexp_matches({url}, {_sql_literal(pattern)})"


def _words_list(words: frozenset[str], stored: str) -> str:
    if len(words) > INLINE_MAX_WORDS:
        return stored
    return "[" + ", ".join(_sql_literal(w) for w in sorted(words)) + "]::VARCHAR[]"


def _word_match(url: str, tokens: str, words: frozenset[str], stored: str) -> str:
    if not words:
        return "false"
    if len(words) <= INLINE_MAX_WORDS:
        return _token_pattern_match(url, words)
    return f"list_has_any({tokens}, {stored})"


def host_and_parents_sql(host: str) -> str:
    parts = f"string_split(rtrim(lower({host}), '.'), '.')"
    return f"[array_to_string(list_slice({parts}, i, -1), '.') FOR i IN range(1, len({parts}) + 1)]"
