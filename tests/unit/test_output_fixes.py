"""The output fixes (curation/output) on real crawl text: planted e-mail and IP addresses leave with FineWeb's
placeholders, look-alikes (versions, dates, times, MAC and private addresses) stay; mojibake is repaired and `|`
table lines collapse as FineWeb-2 does; the shard scan finds what is left."""

import pytest
from support.samples import documents

from curation.output import fixes
from curation.output.pii import (
    EMAIL_PLACEHOLDERS,
    IPV4_PLACEHOLDERS,
    IPV6_PLACEHOLDERS,
    PIICounts,
    addresses_left,
    anonymize,
)
from curation.output.text_fixes import fix_table_lines

PLANTED = {
    "jane.doe+news@mail.example-shop.de": "email",
    "j_smith@uni-heidelberg.de": "email",
    "8.8.4.4": "ipv4",
    "142.250.185.78": "ipv4",
    "2606:4700:4700::1111": "ipv6",
    "2a00:1450:4001:82b::200e": "ipv6",
}
LOOK_ALIKES = (
    "Python 3.11.4",
    "version 2.0.1",
    "Windows 10.0.19045.2965",
    "15.01.2024",
    "2024-01-15",
    "at 12:30:45",
    "MAC 00:1A:2B:3C:4D:5E",
    "router 192.168.1.1",
    "10.0.0.138",
    "loopback 127.0.0.1 and ::1",
    "std::vector<int>",
    "ratio 3:2:1",
    "user at example dot com",
)


@pytest.fixture(scope="module")
def real_text() -> str:
    return next(t for t in documents() if len(t) > 2000 and "@" not in t)


def test_planted_addresses_in_real_text_leave_with_fineweb_placeholders(real_text):
    words = real_text.split(" ")
    step = len(words) // (len(PLANTED) + 1)
    for i, address in enumerate(PLANTED, 1):
        words.insert(i * step, f"({address})" if i % 2 else address + ",")
    planted = " ".join(words)
    text, counts = anonymize(planted)
    assert (counts.emails, counts.ipv4, counts.ipv6) == (2, 2, 2)
    assert not any(address in text for address in PLANTED)
    assert addresses_left(text) == [] and addresses_left(planted) != []
    # placeholders in turn, from the first of each list in every document
    order = [p for p in (*EMAIL_PLACEHOLDERS, *IPV4_PLACEHOLDERS[:2], *IPV6_PLACEHOLDERS[:2]) if p in text]
    assert len(order) == 6
    assert text.index(EMAIL_PLACEHOLDERS[0]) < text.index(EMAIL_PLACEHOLDERS[1])
    assert text.replace(EMAIL_PLACEHOLDERS[0], "").count(IPV4_PLACEHOLDERS[0]) == 1
    # the rest of the text is untouched
    assert text.split(" ")[:step] == planted.split(" ")[:step]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_survive(text):
    assert anonymize(text) == (text, anonymize("")[1])
    assert addresses_left(text) == []


def test_the_placeholder_turn_restarts_with_every_document():
    first, _ = anonymize("a 8.8.8.8 b 1.1.1.1")
    second, _ = anonymize("c 9.9.9.9")
    assert first == f"a {IPV4_PLACEHOLDERS[0]} b {IPV4_PLACEHOLDERS[1]}"
    assert second == f"c {IPV4_PLACEHOLDERS[0]}"


def test_fineweb_quirk_kept_an_ipv4_inside_a_longer_number_run_is_replaced():
    # datatrove's pattern has no boundaries: FineWeb replaces "56.1.1.1" inside "256.1.1.1"; so do we (README)
    assert anonymize("256.1.1.1")[0] == "2" + IPV4_PLACEHOLDERS[0]


def test_mojibake_is_repaired_and_table_lines_collapse_as_fineweb2_does():
    fixed = fixes.fix("her pastâ€”and now\n| |\n|\n||\nnext line")
    assert fixed.mojibake_fixed and fixed.table_lines == 3
    assert fixed.text == "her past—and now\n\n\nnext line"  # one run of `|` lines -> one empty line
    assert fix_table_lines("a | b\n|x|") == ("a | b\n|x|", 0)  # a line with other characters stays
    assert fix_table_lines("no pipes\r\nhere") == ("no pipes\r\nhere", 0)  # untouched when nothing to collapse
    clean = fixes.fix("Curly “quotes”, ﬁ ligatures and full-width ＡＢＣ stay.")
    assert not clean.changed and clean.text == "Curly “quotes”, ﬁ ligatures and full-width ＡＢＣ stay."


def test_fix_signals_count_per_document_and_examples_never_show_an_address():
    import pyarrow as pa

    batch = pa.table(
        {
            "doc_id": ["a", "b"],
            "crawl_file": ["f", "f"],
            "text": ["Mail me: someone@example.net or 8.8.8.8 — café", "plain text"],
        }
    )
    signals = fixes.fix_signals(batch).to_pylist()
    import hashlib

    assert signals[1]["text_md5"] == hashlib.md5(b"plain text").hexdigest()
    assert signals[0]["fixes_version"] == fixes.version() and signals[1]["fixed_text"] is None  # nothing changed
    assert signals[0]["fixed_text"] == "Mail me: email@example.com or 22.214.171.124 — café"
    assert signals[0] | {
        "chars_before": 0,
        "chars_after": 0,
        "text_md5": "",
        "fixes_version": "",
        "fixed_text": "",
    } == {
        "doc_id": "a",
        "crawl_file": "f",
        "mojibake_fixed": False,
        "emails": 1,
        "ipv4": 1,
        "ipv6": 0,
        "table_lines": 0,
        "chars_before": 0,
        "chars_after": 0,
        "text_md5": "",
        "fixes_version": "",
        "fixed_text": "",
    }
    assert signals[1]["emails"] == signals[1]["table_lines"] == 0 and not signals[1]["mojibake_fixed"]
    before, after = fixes.change_example("Contact someone@example.net, pastâ€”and")
    assert "someone@example.net" not in before and "past—and" in after


def test_stored_fixed_texts_are_taken_and_only_the_others_are_fixed(monkeypatch):
    """output_texts fixes only the texts with no stored fixed form (NULL known_output_text), and takes the others."""
    import pyarrow as pa

    texts = ["plain text", "no row: b@example.net", "stored: c@example.net"]
    calls = []
    real = fixes.output_text
    monkeypatch.setattr(fixes, "output_text", lambda t: calls.append(t) or real(t))
    known = ["plain text", None, "stored: email@example.com"]
    out = fixes.output_texts(pa.table({"doc_id": list("abc"), "text": texts, fixes.KNOWN: known}))
    assert out.column_names == ["doc_id", "text"] and calls == ["no row: b@example.net"]
    assert out["text"].to_pylist() == ["plain text", "no row: email@example.com", "stored: email@example.com"]
    assert fixes.output_texts(pa.table({"text": ["c@example.net"]}))["text"].to_pylist() == ["email@example.com"]


def test_a_stored_fixed_text_is_used_only_for_the_text_and_fixes_it_was_made_from(tmp_path):
    """stored_fixes_sql in a real lake: the stored form where md5 and fixes version match, the text itself where
    the fixes changed nothing, NULL for an edited text, an older fixes version or a document with no row."""
    import pyarrow as pa

    from curation.lake.client import Lake

    lake = Lake(f"sqlite:{tmp_path}/catalog.sqlite", str(tmp_path / "files"))
    docs = pa.table(
        {"doc_id": list("abcd"), "crawl_file": ["f"] * 4, "text": ["plain", "x@example.net", "y@example.net", "new"]}
    )
    stored = fixes.fix_signals(docs.slice(0, 3))
    stored = stored.set_column(
        stored.schema.get_field_index("fixes_version"),
        "fixes_version",
        pa.array([fixes.version(), fixes.version(), "ftfy+pii+table_lines:0:ftfy6.0"]),
    )
    with lake.transaction("test") as con:
        con.register("_docs", docs)
        con.execute("CREATE TABLE documents AS SELECT * FROM _docs")
        con.register("_fixes", stored)
        con.execute("CREATE TABLE document_output_fixes AS SELECT * FROM _fixes")
    with lake.connect(read_only=True) as con:
        known, join = fixes.stored_fixes_sql(con, "d.text")
        rows = dict(con.execute(f"SELECT d.doc_id, {known} FROM documents AS d {join} ORDER BY 1").fetchall())
        assert rows == {"a": "plain", "b": "email@example.com", "c": None, "d": None}
        edited, _ = fixes.stored_fixes_sql(con, "(d.text || '!')")
        assert con.execute(f"SELECT {edited} FROM documents AS d {join} WHERE d.doc_id = 'a'").fetchone() == (None,)


def test_the_fixes_version_names_the_steps_and_ftfy():
    assert fixes.version().startswith("ftfy+pii+table_lines:") and "ftfy6.3.1" in fixes.version()


def test_ftfy_is_skipped_only_where_it_would_change_nothing():
    """fix_mojibake skips ftfy when whole-text checks show no step can act (7.5x less CPU on the sample's texts),
    and runs it only on the lines where one can: it must return exactly what ftfy returns, on real crawl text and
    on random strings and lines dense in mojibake characters, control characters, entities, tags, escapes and lone
    surrogates."""
    import random

    import ftfy

    from curation.output.text_fixes import _could_change, _ftfy_config, fix_mojibake

    config = _ftfy_config()
    texts = documents()
    texts += ["Grüße aus Köln", "cafÃ© crème", "Ã la carte", "AT&T &amp; co", "x\x1b[31my", "œuvre", "Œ.", "a\x85b"]
    assert [fix_mojibake(t) for t in texts] == [ftfy.fix_text(t, config=config) for t in texts]
    assert sum(not _could_change(t) for t in texts) > len(texts) // 2  # the skip is taken on most real text

    import numpy as np

    from curation.output.text_fixes import _checks

    _, _, (_, suspicious), _ = _checks()
    mojibake = [chr(c) for c in np.flatnonzero(suspicious[:-1])]  # every character the badness pattern names
    pool = [*"abc XY\n\t.,;:!?-'\"äöüßéàñ€™“”…–ÃÂŒœ\x85\x00\x07\x7f\ufeff&#;", *mojibake]
    pool += ["&amp;", "&eacute;", "Ã ", "\nÃ ", "Â ", "â€™", "\udc80", "\ud83d\ude00", "ГўВЂВ", "вЂ", "aaaaa", "   "]
    rng = random.Random(9)
    skipped = 0
    for _ in range(40_000):
        text = "".join(rng.choices(pool, k=rng.randint(1, 40)))
        if not _could_change(text):
            skipped += 1
            assert ftfy.fix_text(text, config=config) == text, text
    assert skipped > 1_000
    # ftfy runs only on the lines that can change: texts of many such lines, HTML tags ("auto" entities) included
    pool += ["<b>", "<", "\n", "\n\n"]
    for _ in range(1_000):
        text = "\n".join("".join(rng.choices(pool, k=rng.randint(0, 12))) for _ in range(rng.randint(1, 12)))
        assert fix_mojibake(text) == ftfy.fix_text(text, config=config), text


def test_the_badness_pattern_has_the_shape_the_skip_relies_on():
    """The skip searches only around characters the pattern names that have another within 7 characters, or are
    one of Œ œ Ã Â: true while every alternative of ftfy's badness pattern is at most 7 characters long, has at
    most 2 characters before its first that cannot be ASCII, holds two such characters unless its one is a C1
    control or one of Œ œ Ã Â, and each such character is in the skip's table of what the pattern names. Checked
    on the pattern itself, so an ftfy upgrade that breaks it fails here."""
    import re
    from re import _compiler, _parser
    from re import _constants as sre

    from ftfy.badness import BADNESS_RE

    (branch,) = _parser.parse(BADNESS_RE.pattern, re.VERBOSE).data
    assert branch[0] == sre.BRANCH
    from curation.output.text_fixes import _checks

    lone = set("ŒœÃÂ") | {chr(c) for c in range(0x80, 0xA0)}
    _, _, (_, suspicious), _ = _checks()
    for alternative in branch[1][1]:
        length, forced, before, members = 0, 0, None, set()
        for op, av in alternative.data:
            if op == sre.AT:  # ^: searched on its own at every line start
                continue
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):  # \s? may be ASCII
                length += av[1]
                continue
            matches = _compiler.compile(_parser.SubPattern(_parser.State(), [(op, av)]), 0).fullmatch
            length += 1
            if not any(matches(chr(i)) for i in range(128)):
                before = length - 1 if before is None else before
                forced += 1
                members = {chr(i) for i in range(0x80, 0x10000) if matches(chr(i))}
                assert all(suspicious[ord(c)] for c in members)
        assert length <= 7 and before is not None and before <= 2
        assert forced >= 2 or members <= lone, members


def test_an_ipv6_address_with_an_ipv4_tail_and_no_double_colon_is_replaced():
    """Six colons and a dotted tail make a full IPv6 address (RFC 4291 2.2.3): a text holding only that one used to
    pass the "'::' or seven colons" pre-check and leave the address in the shards."""
    text, counts = anonymize("Server at 2a00:1450:4001:82b:0:0:8.8.8.8 today.")
    assert text == "Server at 2001:db8::1 today." and counts.ipv6 == 1
    assert anonymize("Times 12:30:45, 1:2:3 and a:b:c:d:e:f:g stay.")[1] == PIICounts()
