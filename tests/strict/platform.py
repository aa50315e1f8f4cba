"""A platform as strict as the TM Forum v4 specs allow, made from the sandbox (WSGI middleware).

Real MVNE platforms differ from our sandbox in ways TMF630 and the v4 specs permit. Wrapped in
:class:`StrictPlatform`, the sandbox:

- caps every page at ``page_cap`` items whatever ``limit`` asks, and answers a partial page
  with ``206 Partial Content``;
- sends no ``X-Total-Count`` (TMF630: SHOULD, not MUST);
- ignores the filters that only narrow what the widget checks again itself
  (``productSpecification.id``, ``lifecycleStatus``, ``category.id``,
  ``productOfferingRelationship.id``) instead of applying them;
- gives TMF620 offering prices by reference (``{id, href}``), served from
  ``/productOfferingPrice/{id}``.

What the sandbox itself already insists on stays: merge-patch replaces arrays, TMF681 needs
``messageType``, ``content``, ``receiver`` and ``sender``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

CATALOG = "/tmf-api/productCatalogManagement/v4"
IGNORED_FILTERS = frozenset(
    {"productSpecification.id", "lifecycleStatus", "category.id", "productOfferingRelationship.id"}
)


class StrictPlatform:
    """WSGI middleware around the sandbox app; ``answered`` logs ``(method, path, status)``."""

    def __init__(self, app: Callable[..., Iterable[bytes]], page_cap: int = 7) -> None:
        self.app = app
        self.page_cap = page_cap
        self.prices: dict[str, dict[str, Any]] = {}
        self.answered: list[tuple[str, str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if method == "GET" and path.startswith(f"{CATALOG}/productOfferingPrice/"):
            return self._price(path.rsplit("/", 1)[1], environ, start_response)
        if method == "GET":
            query = [(k, v) for k, v in query if k not in IGNORED_FILTERS]
            query = [(k, str(min(int(v), self.page_cap)) if k == "limit" else v) for k, v in query]
            environ = {**environ, "QUERY_STRING": urlencode(query)}
        answer: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            answer.update(status=status, headers=headers)
            return lambda data: None

        inner = self.app(environ, capture)
        try:
            body = b"".join(inner)
        finally:
            close = getattr(inner, "close", None)
            if close:
                close()
        status: str = answer["status"]
        headers = [
            (k, v) for k, v in answer["headers"] if k.lower() not in ("x-total-count", "content-length")
        ]
        total = next((v for k, v in answer["headers"] if k.lower() == "x-total-count"), None)
        if method == "GET" and status.startswith("200") and body[:1] == b"[":
            items = json.loads(body)
            if total is not None and int(dict(query).get("offset", 0)) + len(items) < int(total):
                status = "206 Partial Content"
            if path.startswith(f"{CATALOG}/productOffering"):
                body = json.dumps([self._by_reference(o, environ) for o in items]).encode()
        elif method == "GET" and status.startswith("200") and path.startswith(f"{CATALOG}/productOffering/"):
            body = json.dumps(self._by_reference(json.loads(body), environ)).encode()
        self.answered.append((method, path, status))
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _by_reference(self, offering: dict[str, Any], environ: dict[str, Any]) -> dict[str, Any]:
        """The offering with each price replaced by a reference the platform serves."""
        host = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}"
        references = []
        for index, entry in enumerate(offering.get("productOfferingPrice", [])):
            price_id = f"pop-{offering['id']}-{index}"
            href = f"{host}{CATALOG}/productOfferingPrice/{price_id}"
            self.prices[price_id] = {
                "id": price_id,
                "href": href,
                "name": entry.get("name", ""),
                "priceType": entry.get("priceType", ""),
                "price": entry["price"]["taxIncludedAmount"],
                "@type": "ProductOfferingPrice",
            }
            references.append({"id": price_id, "href": href})
        return {**offering, "productOfferingPrice": references}

    def _price(
        self, price_id: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        if not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b'{"code": "unauthorized", "status": "401"}']
        price = self.prices.get(price_id)
        self.answered.append(("GET", f"{CATALOG}/productOfferingPrice/{price_id}", "200" if price else "404"))
        if price is None:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"code": "notFound", "status": "404"}']
        body = json.dumps(price).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
