"""The rating library without a lake: annotation files validated, the annotator's view of a text, embedding windows,
the device choice, calibration, the domain head and the fastText quality classifier."""

import numpy as np
import pytest
from sklearn.model_selection import KFold
from support.rating import ANNOTATIONS, annotation_rows, write_jsonl

from curation.rating.annotations import AnnotationError, load_annotations
from curation.rating.calibration import calibrated, fit_cutpoints, shares
from curation.rating.criteria import CRITERIA, DOMAINS, annotator_view
from curation.rating.domains import THRESHOLDS, DomainHead, labels_with_threshold, url_words
from curation.rating.encoder import pick_device, windows_of


def test_the_bundled_annotations_load_with_all_criteria_and_domains():
    table = load_annotations(ANNOTATIONS)
    assert table.num_rows == 800
    assert set(table.column("domain").to_pylist()) <= set(DOMAINS)
    for c in CRITERIA:
        values = table.column(c).to_numpy()
        assert values.min() >= 1 and values.max() <= 5
    long = [
        t
        for t, n in zip(table.column("text").to_pylist(), table.column("full_chars").to_pylist(), strict=True)
        if n > 2500
    ]
    assert long and all("\n[...]\n" in t and len(t) <= 2507 for t in long)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"overall_score": 6}, "overall_score", "outside 1..5"),
        ({"coherence": "high"}, "coherence", "expected an integer"),
        ({"domain": "Sports"}, "domain", "not one of DataMan's 15 domains"),
        ({"text": None}, "text", "missing"),
    ],
)
def test_a_malformed_annotation_refuses_the_set_with_file_line_and_field(tmp_path, change, field, reason):
    rows = annotation_rows(3)
    rows[1].update(change)
    write_jsonl(tmp_path / "batch.jsonl", rows)
    with pytest.raises(AnnotationError) as refused:
        load_annotations(tmp_path)
    assert (refused.value.file, refused.value.line, refused.value.field) == ("batch.jsonl", 2, field)
    assert reason in refused.value.reason


def test_a_document_rated_in_two_files_is_refused(tmp_path):
    rows = annotation_rows(2)
    write_jsonl(tmp_path / "a.jsonl", rows)
    write_jsonl(tmp_path / "b.jsonl", rows[1:])
    with pytest.raises(AnnotationError, match="already rated in a.jsonl:2"):
        load_annotations(tmp_path)


def test_the_annotator_view_is_head_and_tail_of_long_texts():
    text = "a" * 2000 + "b" * 1000
    view = annotator_view(text)
    assert view == "a" * 1800 + "\n[...]\n" + "b" * 700
    assert annotator_view("short text") == "short text"


def test_embedding_windows_cover_the_whole_view_without_overlap():
    assert windows_of(list(range(100)), 128) == [list(range(100))]
    assert windows_of(list(range(200)), 128) == [list(range(128)), list(range(128, 200))]
    windows = windows_of(list(range(1000)), 256)
    assert [len(w) for w in windows] == [256, 256, 256, 232]
    assert [t for w in windows for t in w] == list(range(1000))
    assert windows_of(list(range(1000)), 256, max_windows=2) == [list(range(256)), list(range(744, 1000))]


def test_the_device_falls_back_to_cpu_and_refuses_a_missing_gpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert pick_device("auto") == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        pick_device("cuda")


def test_the_fasttext_classifier_scores_high_and_low_texts_and_empty_ones_as_zero():
    from curation.rating.quality_classifier import (
        ClassifierSettings,
        high_quality_probability,
        train_classifier,
    )

    table = load_annotations(ANNOTATIONS)
    texts, overall = table.column("text").to_pylist(), table.column("overall_score").to_numpy()
    model = train_classifier(texts[:400], overall[:400], ClassifierSettings())
    held_out = high_quality_probability(model, texts[400:])
    assert held_out[overall[400:] >= 4].mean() > held_out[overall[400:] <= 2].mean() + 0.2
    assert list(high_quality_probability(model, ["", "   \n"])) == [0.0, 0.0]


def test_calibrated_ratings_keep_the_order_and_take_the_annotated_shares():
    rng = np.random.default_rng(0)
    annotated = rng.choice([1, 2, 3, 4, 5], size=(20000, 2), p=[0.2, 0.2, 0.33, 0.245, 0.025])
    expected = np.clip(3.0 + 0.3 * (annotated - 3) + rng.normal(0, 0.4, annotated.shape), 1, 5)  # crowds the middle
    assert (np.rint(expected) == 5).mean() < 0.005  # rounding gives almost no 5
    cuts = fit_cutpoints(expected[:10000], annotated[:10000])
    rated = calibrated(expected[10000:], cuts)
    gaps = np.abs(shares(rated) - shares(annotated[10000:]))
    assert gaps.max() < 0.02  # held-out documents get the annotated shares
    assert abs(shares(rated)[0, 4] - 0.025) < 0.01
    order = np.argsort(expected[10000:, 0])
    assert np.all(np.diff(rated[order, 0]) >= 0)  # a higher expected score never gets a lower rating


def test_a_score_the_annotations_never_give_is_never_predicted():
    annotated = np.array([[1], [2], [2], [3], [3], [4]])
    cuts = fit_cutpoints(np.linspace(1, 5, 6)[:, None], annotated)
    assert cuts[0, 3] == np.inf
    assert calibrated(np.array([[5.0], [4.9]]), cuts).max() == 4


def test_other_wins_where_no_domain_reaches_the_threshold():
    probabilities = np.full((2, len(DOMAINS)), 0.0)
    probabilities[0, DOMAINS.index("Coding")] = 0.6
    probabilities[1, DOMAINS.index("Coding")] = 0.2
    probabilities[1, DOMAINS.index("Other")] = 0.1
    probabilities[1, DOMAINS.index("Law")] = 0.15
    labels = [DOMAINS[i] for i in labels_with_threshold(probabilities, 0.25)]
    assert labels == ["Coding", "Other"]
    assert DOMAINS[labels_with_threshold(probabilities, 0.0)[1]] == "Coding"


def test_the_domain_head_learns_domains_from_embeddings_and_picks_its_threshold():
    rng = np.random.default_rng(1)
    anchors = np.eye(len(DOMAINS), 32)
    domains = rng.integers(0, len(DOMAINS), 600)
    embeddings = anchors[domains] + rng.normal(0, 0.2, (600, 32))
    head = DomainHead(anchors).fit(embeddings[:400], domains[:400], list(KFold(3).split(np.arange(400))))
    guessed = head.labels(head.probabilities(embeddings[400:]))
    assert (guessed == domains[400:]).mean() > 0.9
    assert head.other_threshold in THRESHOLDS


def test_the_domain_head_reads_the_url_where_the_text_says_little():
    """Embeddings that carry no domain, URLs that do (a shop's cart path, a council's host): the URL model lifts
    the head from chance; a head fitted without URLs (or saved before the URL model) scores on embeddings alone."""
    rng = np.random.default_rng(2)
    anchors = np.eye(len(DOMAINS), 32)
    cues = {"Retail E-commerce": "shop.example/warenkorb/artikel", "Government": "stadt-example.de/rathaus/amt"}
    domains = rng.choice([DOMAINS.index(d) for d in cues], 300)
    embeddings = rng.normal(0, 1.0, (300, 32))
    urls = [f"https://{cues[DOMAINS[d]]}-{rng.integers(10**6)}" for d in domains]
    folds = list(KFold(3).split(np.arange(200)))
    with_urls = DomainHead(anchors).fit(embeddings[:200], domains[:200], folds, urls[:200])
    guessed = with_urls.labels(with_urls.probabilities(embeddings[200:], urls[200:]))
    assert (guessed == domains[200:]).mean() > 0.95
    without = DomainHead(anchors).fit(embeddings[:200], domains[:200], folds)
    assert without.url_model is None
    assert (without.labels(without.probabilities(embeddings[200:], urls[200:])) == domains[200:]).mean() < 0.8
    del with_urls.url_model  # as a head pickled before the URL model unpickles
    assert with_urls.probabilities(embeddings[200:], urls[200:]).shape == (100, len(DOMAINS))
    assert url_words("HTTPS://Shop.example/Warenkorb?id=3") == "shop example warenkorb id 3"
