"""Decontamination on real crawl text: a GSM8K question and answer planted in a document is found with its item
and span; unrelated documents and documents that share only common phrases are not; a 10,000-item set indexes
whole; a malformed registry or eval file is refused with the field or line and the reason."""

import json
import time

import numpy as np
import pytest
from support.samples import documents

from curation.decontamination.benchmarks import BenchmarkError, load_registry, read_items
from curation.decontamination.ngram_index import build_index, find, index_of, ngram_hashes
from curation.decontamination.scan import contamination_rows
from curation.dedup.minhash import normalized_words
from curation.project import BENCHMARKS_DIR


@pytest.fixture(scope="module")
def gsm8k():
    return load_registry()["gsm8k"]


@pytest.fixture(scope="module")
def index(gsm8k):
    return index_of(gsm8k)


@pytest.fixture(scope="module")
def items(gsm8k):
    return [json.loads(line) for line in gsm8k.path.read_text().splitlines()]


@pytest.fixture(scope="module")
def crawl():
    return [t for t in documents() if len(t.split()) > 100][:300]


def test_the_bundled_gsm8k_set_is_registered_and_indexed(gsm8k, index):
    assert gsm8k.path == BENCHMARKS_DIR / "gsm8k-test.jsonl" and gsm8k.fields == ("question", "answer")
    assert index.item_count == 1319 and index.n_grams == 13
    assert 100_000 < index.hashes.size < 200_000 and np.all(index.hashes[1:] > index.hashes[:-1])
    assert index.version == gsm8k.version and gsm8k.sha256[:12] in index.version


def test_a_planted_question_and_answer_are_found_with_their_item_and_span(index, items, crawl):
    item = items[41]  # line 42
    words = crawl[0].split(" ")
    planted = " ".join(words[:80] + [item["question"], item["answer"]] + words[80:])
    match = find(index, ngram_hashes(planted, 13))
    assert match is not None and match.first_item == 42
    question_and_answer = len(ngram_hashes(item["question"] + "\n" + item["answer"], 1))
    assert match.longest_span_words == question_and_answer  # the whole item, one run
    assert match.first_position >= 70
    only_question = " ".join(words[:80] + [item["question"]] + words[80:])
    assert find(index, ngram_hashes(only_question, 13)).first_item == 42


def test_unrelated_crawl_documents_are_not_flagged(index, crawl):
    import pyarrow as pa

    batch = pa.table({"doc_id": [str(i) for i in range(len(crawl))], "crawl_file": ["f"] * len(crawl), "text": crawl})
    assert contamination_rows(batch, (index,)).num_rows == 0


def test_common_phrases_and_fragments_shorter_than_the_n_gram_are_not_flagged(index, items, crawl):
    question = normalized_words(items[0]["question"])  # janet s ducks lay 00 eggs per day she eats three ...
    twelve = " ".join(question[:12])
    text = crawl[1] + " " + twelve + ". How much in dollars does she make every day? " + crawl[2]
    assert find(index, ngram_hashes(text, 13)) is None
    thirteen = crawl[1] + " " + " ".join(question[:13]) + " " + crawl[2]
    assert find(index, ngram_hashes(thirteen, 13)).first_item == 1


def test_ten_thousand_items_index_whole(crawl):
    sentences = [s for text in crawl for s in text.split(". ") if len(s.split()) >= 20]
    items = [
        f"{sentences[i % len(sentences)]} item {i} {sentences[(7 * i + 3) % len(sentences)]}" for i in range(10_000)
    ]
    started = time.process_time()
    index = build_index("synthetic", "v", 13, items)
    seconds = time.process_time() - started
    assert index.item_count == 10_000 and index.short_items == 0
    assert seconds < 30  # a safety net; bench/decontamination_bench.py records the figure
    for i in (0, 4_321, 9_999):
        assert find(index, ngram_hashes(items[i], 13)) is not None


def write_set(folder, registry: str, lines: list[str]):
    folder.mkdir(exist_ok=True)
    (folder / "benchmarks.yaml").write_text(registry)
    (folder / "set.jsonl").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"question": "What is 2 + 2?", "answer": 4', "not valid JSON"),
        ('["a list"]', "an item must be a JSON object, not list"),
        ('{"question": "What is 2 + 2?"}', "no field 'answer'"),
        ('{"question": "What is 2 + 2?", "answer": 4}', "field 'answer' must be a string or a list of strings"),
    ],
)
def test_a_malformed_eval_file_is_refused_with_its_line_and_reason(tmp_path, line, reason):
    good = json.dumps({"question": "secret question text", "answer": "secret answer"})
    folder = write_set(
        tmp_path / "b", "mine:\n  file: set.jsonl\n  fields: [question, answer]\n", [good, good, line, good]
    )
    [benchmark] = load_registry(folder).values()
    with pytest.raises(BenchmarkError) as refused:
        read_items(benchmark)
    assert refused.value.where == f"{folder / 'set.jsonl'}:3" and refused.value.reason.startswith(reason)
    assert "secret" not in str(refused.value)  # never the file's contents


@pytest.mark.parametrize(
    ("registry", "field", "reason"),
    [
        ("mine:\n  file: ../set.jsonl\n  fields: [q]\n", "mine.file", "not in the benchmarks folder"),
        ("mine:\n  file: other.jsonl\n  fields: [q]\n", "mine.file", "no such file"),
        ("mine:\n  file: set.jsonl\n", "mine.fields", "required"),
        ("mine:\n  file: set.jsonl\n  fields: [q]\n  n_grams: 2\n", "mine.n_grams", "an integer from 5 to 50"),
        ("mine:\n  file: set.jsonl\n  fields: [q]\n  ngrams: 13\n", "mine.ngrams", "unknown field"),
        ("Mine Set:\n  file: set.jsonl\n  fields: [q]\n", "'Mine Set'", "a set name is lowercase"),
    ],
)
def test_a_bad_registry_entry_is_refused_with_its_field(tmp_path, registry, field, reason):
    (tmp_path / "set.jsonl").write_text('{"q": "x"}\n')
    folder = write_set(tmp_path / "b", registry, ['{"q": "x"}'])
    with pytest.raises(BenchmarkError) as refused:
        load_registry(folder)
    assert refused.value.where.endswith(field) and refused.value.reason.startswith(reason)


def test_an_edited_file_is_a_new_version(tmp_path):
    folder = write_set(tmp_path / "b", "mine:\n  file: set.jsonl\n  fields: [q]\n", ['{"q": "one two three"}'])
    before = load_registry(folder)["mine"].version
    (folder / "set.jsonl").write_text('{"q": "one two four"}\n')
    assert load_registry(folder)["mine"].version != before


def test_a_table_of_numbers_does_not_match_an_answers_calculator_trail(index, gsm8k, crawl):
    # GSM8K answers hold runs like "<<16-3-4=9>>9", numbers only once normalised (digits as 0): a web page's table
    # with numbers of the same lengths would match them; such n-grams are not indexed
    trails = []
    for text in read_items(gsm8k):
        words = normalized_words(text)
        trails += [words[i : i + 13] for i in range(len(words) - 12) if all(w.isdigit() for w in words[i : i + 13])]
    assert trails  # the set has them
    table = "\n".join(" | ".join("7" * len(w) for w in trail) for trail in trails[:5])
    assert find(index, ngram_hashes(crawl[3] + "\n" + table, 13)) is None
    raw = np.concatenate([ngram_hashes(" ".join(trail), 13) for trail in trails[:5]])
    assert np.isin(ngram_hashes(table, 13), raw).any()  # what an index of every n-gram (datatrove's) would flag
