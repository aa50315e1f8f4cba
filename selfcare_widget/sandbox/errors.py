"""TMF error shape for every failure the sandbox returns (never an HTML error page)."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A request the sandbox refuses; rendered as ``{"code","reason","message","status"}``."""

    def __init__(self, status: int, code: str, reason: str, message: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.message = message or reason


def error_response(status: int, code: str, reason: str, message: str = "") -> Response:
    """A TMF error body with the given HTTP status."""
    response = jsonify({"code": code, "reason": reason, "message": message or reason, "status": str(status)})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sandbox"'
    return response


def bad_request(message: str) -> ApiError:
    """400 for malformed input (bad filter, paging value, body)."""
    return ApiError(400, "badRequest", "Neplatný požadavek", message)


def not_found(kind: str, id_: str) -> ApiError:
    """404 for an unknown resource id."""
    return ApiError(404, "notFound", "Záznam nenalezen", f"{kind} {id_!r} does not exist")


def _camel(name: str) -> str:
    """``Method Not Allowed`` -> ``methodNotAllowed`` (TMF codes are camelCase)."""
    words = name.split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:]) if words else "error"


def register_error_handlers(app: Flask) -> None:
    """Map ApiError, every werkzeug HTTP error and unexpected exceptions to the TMF shape."""

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> Response:
        return error_response(err.status, err.code, err.reason, err.message)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response:
        status = err.code or 500
        response = error_response(status, _camel(err.name), err.name, err.description or err.name)
        if status == 405 and err.get_response().headers.get("Allow"):
            response.headers["Allow"] = err.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        # the traceback goes to the log, never to the client
        log.exception("sandbox: unhandled error")
        return error_response(500, "internalError", "Interní chyba platformy", "unexpected server error")
