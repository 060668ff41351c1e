"""An ASGI guard in front of Dagster's web app: only the UI's own pages may talk to it.

Dagster's GraphQL endpoint executes mutations sent as GET and does not look at `Origin` or `Host`, so any web
page the UI's user visits could launch runs (an `<img src>` is enough) and a DNS-rebinding page could read and
write as if it were local. The guard refuses, before Dagster sees them:
- a `Host` that is not the address the UI serves on (DNS rebinding);
- an `Origin` other than the UI's own, and a `Sec-Fetch-Site` other than `same-origin` or `none` (requests a
  browser makes on behalf of another page, whatever their method);
- a GraphQL mutation or subscription sent as GET (GET must be safe; the UI itself uses POST).
Clients that are not browsers (curl, scripts) send no `Origin` and are let through: they run as a local user.
"""

from collections.abc import Iterable
from urllib.parse import parse_qs

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_SAFE_FETCH_SITES = {"same-origin", "none"}


def allowed_hosts(host: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """`Host` header values the UI answers: the bound address, and the loopback names when bound to loopback."""
    names = {host if ":" not in host or host.startswith("[") else f"[{host}]"}
    if host in ("127.0.0.1", "localhost", "::1", "[::1]"):
        names |= set(LOOPBACK_NAMES)
    names |= {name.strip() for name in extra if name.strip()}
    return frozenset(f"{name}:{port}" for name in names)


def is_graphql_write(query_string: bytes) -> bool:
    """Whether a GET's query string carries a GraphQL operation that is not a plain query (or is unreadable)."""
    params = parse_qs(query_string.decode("latin-1"))
    documents = params.get("query", [])
    if not documents:
        return False
    from graphql import OperationDefinitionNode, OperationType, parse
    from graphql.error import GraphQLError

    for text in documents:
        try:
            document = parse(text)
        except GraphQLError:
            return True  # cannot tell what it would do: refuse
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.operation != OperationType.QUERY:
                return True
    return False


def refusal(scope, headers: dict[str, str], hosts: frozenset[str]) -> str | None:
    """Why this request is refused, or None to pass it on."""
    host = headers.get("host", "")
    if host not in hosts:
        return "this address is not one the Dagster UI serves on (Host header refused)"
    origin = headers.get("origin")
    if origin is not None and origin not in {f"http://{h}" for h in hosts} | {f"https://{h}" for h in hosts}:
        return "cross-origin requests are refused"
    site = headers.get("sec-fetch-site")
    if site is not None and site not in _SAFE_FETCH_SITES:
        return "requests made by other sites are refused"
    if (
        scope["type"] == "http"
        and scope.get("method") in ("GET", "HEAD")
        and scope.get("path", "").rstrip("/").endswith("/graphql")
        and is_graphql_write(scope.get("query_string", b""))
    ):
        return "GraphQL mutations must be sent with POST"
    return None


class OriginGuard:
    """ASGI middleware: answers 403 (405 for a mutation over GET) instead of calling the app."""

    def __init__(self, app, hosts: frozenset[str]):
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        why = refusal(scope, headers, self.hosts)
        if why is None:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return None
        status = 405 if why.startswith("GraphQL") else 403
        body = f"refused: {why}\n".encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return None
