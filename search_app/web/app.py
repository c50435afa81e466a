"""The Flask application factory: settings, the search backend, blueprints, headers, error handlers."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from search_app.backends import open_backend
from search_app.config import Settings, settings_from_env
from search_app.errors import SearchAppError
from search_app.ingest.gazetteer import city_label
from search_app.query.contract import ORDER_TEXT
from search_app.web import telemetry
from search_app.web.api import bp as api_bp
from search_app.web.errors import app_error, http_error, unexpected
from search_app.web.views import bp as views_bp

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
    app.extensions[EXTENSION] = open_backend(settings, serving=True)
    if settings.backend == "typesense" and not settings.typesense_search_key:
        app.logger.warning("Serving with the Typesense admin key, which can write and delete: set "
                           "SEARCH_APP_TYPESENSE_SEARCH_KEY (a search-only key `search-app build` creates).")
    app.jinja_env.globals["city_label"] = city_label
    app.jinja_env.globals["order_text"] = ORDER_TEXT

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.after_request(_security_headers)
    telemetry.install(app, settings)
    app.register_error_handler(SearchAppError, app_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)
    return app


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response
