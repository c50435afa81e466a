"""Errors as the visitor sees them: one shape, JSON for the API, a friendly page for HTML routes.

The core raises SearchAppError subclasses with a message saying what to do next; here, at the
edge, they become responses. Anything else is logged and answered with a generic 500.
"""

from __future__ import annotations

import logging

from flask import Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search_app.errors import SearchAppError
from search_app.printable import visible

log = logging.getLogger(__name__)

GENERIC_500 = "Something went wrong on our side. Please try again in a moment."


def wants_json() -> bool:
    """True for the JSON endpoints, whose errors are JSON too."""
    path = request.path
    return path.startswith("/api/") or path == "/api" or path == "/healthz"


def error_response(status: int, message: str) -> Response:
    """The one error shape: JSON for the API, a friendly page for HTML routes."""
    if wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
    else:
        response = Response(render_template("error.html", status=status, message=message), mimetype="text/html")
    response.status_code = status
    return response


def app_error(exc: SearchAppError) -> Response:
    """A SearchAppError as its status and message; its detail (internal addresses...) goes to the log only."""
    if exc.detail:
        log.warning("%s %s: %s", exc.status, visible(request.path), visible(exc.detail))
    response = error_response(exc.status, exc.message)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


_HTTP_MESSAGES = {
    404: "There is no page at this address. Try a search from the home page.",
    405: "This address only answers GET requests: nothing can be changed over the web.",
}


def http_error(exc: HTTPException) -> Response:
    """Werkzeug's HTTP errors (404, 405...) in the same shape, with our wording."""
    status = exc.code or 500
    message = _HTTP_MESSAGES.get(status) or exc.description or exc.name
    response = error_response(status, message)
    if status == 405:
        response.headers["Allow"] = "GET, HEAD"
    return response


def unexpected(exc: Exception) -> Response:
    """Any other exception: logged with its traceback, answered with a generic 500."""
    # Details go to the log only; a visitor never sees a traceback.
    log.exception("Unhandled error on %s", visible(request.path))  # the path is the client's: no control characters
    return error_response(500, GENERIC_500)
