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

    def reason_sql(self, sql: SqlColumns) -> str:
        url, host_blocked, url_blocked, list_of = sql.column("url"), sql.host_blocked, sql.url_blocked, sql.list_of
        words = f"list_distinct(string_split_regex({url}, '[^a-zA-Z0-9]+'))"
        normalized = f"lower(regexp_replace({url}, '[^a-zA-Z0-9]+', '', 'g'))"
        subword = f"list_bool_or([contains({normalized}, w) FOR w IN {list_of('banned_subwords')}])"
        return (
            f"CASE WHEN {url} IS NULL OR {url} = '' THEN NULL "
            f"WHEN {host_blocked} THEN 'domain' "
            f"WHEN {url_blocked} THEN 'url' "
            f"WHEN list_has_any({words}, {list_of('banned_words')}) THEN 'hard_blacklisted' "
            f"WHEN len(list_intersect({words}, {list_of('soft_banned_words')})) >= {int(self.soft_word_threshold)} "
            "THEN 'soft_blacklisted' "
            f"WHEN coalesce({subword}, false) THEN 'blacklisted_subword' END"
        )


def host_and_parents_sql(host: str) -> str:
    parts = f"string_split(rtrim(lower({host}), '.'), '.')"
    return f"[array_to_string(list_slice({parts}, i, -1), '.') FOR i IN range(1, len({parts}) + 1)]"
