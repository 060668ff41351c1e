"""DataMan's 14 quality criteria and 15 domains (Peng et al., 2025, "DataMan: Data Manager for Pre-training
Large Language Models"), and the view of a document its annotators rated."""

CRITERIA = (
    "accuracy",
    "coherence",
    "language_consistency",
    "semantic_density",
    "knowledge_novelty",
    "topic_focus",
    "creativity",
    "professionalism",
    "style_consistency",
    "grammatical_diversity",
    "structural_standardization",
    "originality",
    "sensitivity",
    "overall_score",
)
DOMAINS = (
    "Medicine",
    "Finance",
    "Law",
    "Education",
    "Technology",
    "Entertainment",
    "Mathematics",
    "Coding",
    "Government",
    "Culture",
    "Transportation",
    "Retail E-commerce",
    "Telecommunication",
    "Agriculture",
    "Other",
)
RATING_MIN, RATING_MAX = 1, 5

VIEW_LIMIT, VIEW_HEAD, VIEW_TAIL = 2500, 1800, 700
ELLIPSIS_LINE = "\n[...]\n"


def annotator_view(text: str) -> str:
    """What the LLM annotator read: texts over 2,500 characters cut to head 1,800 + "[...]" + tail 700.

    The rater learns from these views, so it must score the same view of every document it rates."""
    if len(text) <= VIEW_LIMIT:
        return text
    return text[:VIEW_HEAD] + ELLIPSIS_LINE + text[-VIEW_TAIL:]
