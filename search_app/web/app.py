"""The Flask application factory: settings, the search backend, blueprints, headers, error pages."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib import resources
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..backends import open_backend
from ..config import Settings, settings_from_env
from ..errors import SearchAppError
from ..gazetteer import city_label

log = logging.getLogger(__name__)

EXTENSION = "search_app"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
GENERIC_500 = "Something went wrong on our side. Please try again in a moment."


def _package_dir(package: str) -> str:
    # resources.files works both for the editable install and for a wheel in site-packages.
    return str(resources.files(package))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; config may carry SETTINGS (a Settings), else the environment is read."""
    app = Flask(
        __name__,
        template_folder=_package_dir("search_app.templates"),
        static_folder=_package_dir("search_app.static"),
        static_url_path="/static",
    )
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False  # only GET/HEAD are served
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if config:
        app.config.update(config)
    settings = app.config.get("SETTINGS")
    if not isinstance(settings, Settings):
        settings = settings_from_env()
        app.config["SETTINGS"] = settings
    # Which engine answers is the settings' choice; the routes only see the backend interface.
    app.extensions[EXTENSION] = open_backend(settings)
    app.jinja_env.globals["city_label"] = city_label

    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.after_request(_security_headers)
    app.register_error_handler(SearchAppError, _app_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


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


def _app_error(exc: SearchAppError) -> Response:
    return error_response(exc.status, exc.message)


_HTTP_MESSAGES = {
    404: "There is no page at this address. Try a search from the home page.",
    405: "This address only answers GET requests: nothing can be changed over the web.",
}


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = _HTTP_MESSAGES.get(status) or exc.description or exc.name
    response = error_response(status, message)
    if status == 405:
        response.headers["Allow"] = "GET, HEAD"
    return response


def _unexpected(exc: Exception) -> Response:
    # Details go to the log only; a visitor never sees a traceback.
    log.exception("Unhandled error on %s", request.path)
    return error_response(500, GENERIC_500)
