"""Rate documents with an LLM behind an OpenAI-compatible chat-completions endpoint, by the annotation
guidelines, one document per request (pointwise, as DataMan's annotators did). Free of Dagster.

Off unless a base URL is configured; standard library only (urllib), so nothing else is needed to run it."""

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from curation.project import ANNOTATION_GUIDELINES
from curation.rating.annotations import AnnotationError, validate_ratings
from curation.rating.criteria import annotator_view

GUIDELINES = ANNOTATION_GUIDELINES
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class EndpointError(RuntimeError):
    pass


@dataclass(frozen=True)
class ChatEndpoint:
    base_url: str  # e.g. http://localhost:8000/v1
    model: str
    api_key: str = ""
    timeout_s: float = 120.0

    def complete(self, messages: list[dict]) -> str:
        body = json.dumps({"model": self.model, "messages": messages, "temperature": 0}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.base_url.rstrip("/") + "/chat/completions", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                payload = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as e:
            raise EndpointError(f"{self.base_url}: {e}") from e
        try:
            return payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as e:
            raise EndpointError(f"{self.base_url}: no choices[0].message.content in the answer") from e


def request_messages(doc: dict, guidelines: str) -> list[dict]:
    text = doc["text"] or ""
    document = {
        "doc_id": doc["doc_id"],
        "source": doc.get("source"),
        "url": doc.get("url"),
        "text": annotator_view(text),
        "full_chars": len(text),
    }
    return [
        {"role": "system", "content": guidelines},
        {"role": "user", "content": "Rate this document; answer with the JSON object only.\n" + json.dumps(document)},
    ]


def rate_document(endpoint: ChatEndpoint, doc: dict, guidelines: str) -> dict:
    """One annotation row (the file format of data/annotations/), or AnnotationError for an unusable answer."""
    answer = endpoint.complete(request_messages(doc, guidelines))
    match = _JSON_OBJECT.search(answer)
    try:
        rated = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        rated = None
    if not isinstance(rated, dict):
        raise AnnotationError(endpoint.model, 0, "-", f"answer for {doc['doc_id']} is not a JSON object")
    text = doc["text"] or ""
    return {
        "doc_id": doc["doc_id"],
        "source": doc.get("source"),
        "url": doc.get("url"),
        "text": annotator_view(text),
        "full_chars": len(text),
        **validate_ratings(rated, endpoint.model, 0),
        "language": rated.get("language"),
    }
