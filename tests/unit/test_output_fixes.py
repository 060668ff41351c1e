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
    assert signals[0] | {"chars_before": 0, "chars_after": 0} == {
        "doc_id": "a",
        "crawl_file": "f",
        "mojibake_fixed": False,
        "emails": 1,
        "ipv4": 1,
        "ipv6": 0,
        "table_lines": 0,
        "chars_before": 0,
        "chars_after": 0,
    }
    assert signals[1]["emails"] == signals[1]["table_lines"] == 0 and not signals[1]["mojibake_fixed"]
    before, after = fixes.change_example("Contact someone@example.net, pastâ€”and")
    assert "someone@example.net" not in before and "past—and" in after


def test_the_fixes_version_names_the_steps_and_ftfy():
    assert fixes.version().startswith("ftfy+pii+table_lines:") and "ftfy6.3.1" in fixes.version()
