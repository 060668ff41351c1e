"""The guard in front of the web UI, request by request (the live server is tested in test_webserver.py)."""

import pytest

from orchestration.web_guard import allowed_hosts, is_graphql_write, refusal

HOSTS = allowed_hosts("127.0.0.1", 3000)


def scope(method="GET", path="/graphql", query=b""):
    return {"type": "http", "method": method, "path": path, "query_string": query}


@pytest.mark.parametrize(
    ("headers", "request_scope", "refused"),
    [
        ({"host": "127.0.0.1:3000"}, scope(query=b"query=%7B__typename%7D"), None),
        ({"host": "localhost:3000", "origin": "http://localhost:3000"}, scope("POST"), None),
        ({"host": "127.0.0.1:3000", "sec-fetch-site": "same-origin"}, scope("POST"), None),
        ({"host": "evil.example:3000"}, scope(), "Host"),
        ({"host": "127.0.0.1:3000", "origin": "http://evil.example"}, scope("POST"), "cross-origin"),
        ({"host": "127.0.0.1:3000", "origin": "http://127.0.0.1:8080"}, scope("POST"), "cross-origin"),
        ({"host": "127.0.0.1:3000", "sec-fetch-site": "same-site"}, scope("POST"), "other sites"),
        ({"host": "127.0.0.1:3000"}, scope(query=b"query=mutation%7BsetNuxSeen%7D"), "POST"),
        ({"host": "127.0.0.1:3000"}, scope(query=b"query=%7B%20broken"), "POST"),
    ],
)
def test_only_the_uis_own_requests_pass(headers, request_scope, refused):
    why = refusal(request_scope, headers, HOSTS)
    assert (why is None) if refused is None else (refused in why)


def test_graphql_reads_over_get_stay_allowed_and_writes_do_not():
    assert not is_graphql_write(b"")
    assert not is_graphql_write(b"query=query%20Q%20%7B__typename%7D")
    assert is_graphql_write(b"query=subscription%20S%20%7Bx%7D")
    assert allowed_hosts("0.0.0.0", 80, ["curator.internal"]) == frozenset({"0.0.0.0:80", "curator.internal:80"})
