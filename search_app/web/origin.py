"""Where the site is, as its absolute links say: never where a request's Host header claims, unless allowed.

The page's print URLs, the Atom feed and the export's url column hold absolute links. Built from
the Host header alone, a request with `Host: evil.example` would get (and a cache in front could
keep, for everyone) links to that host. So: with SEARCH_APP_PUBLIC_URL set every absolute link
starts with it; in any case a request for a host name not in SEARCH_APP_ALLOWED_HOSTS (by
default the machine's own names, so `make run` works as it is) is answered 400, as Django's
ALLOWED_HOSTS and Flask's TRUSTED_HOSTS do.

Behind a proxy every connection comes from the proxy: with SEARCH_APP_TRUSTED_PROXIES=N the
last N entries of X-Forwarded-For, -Proto and -Host (those the proxies themselves added) give the
client's address, the scheme and the host, through Werkzeug's ProxyFix. Without it those headers
are ignored: anyone can send them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from search_app.config import Settings
from search_app.web.errors import error_response, wants_json

UNKNOWN_HOST = ("This site does not answer to the host name this request asked for. If it is the site's own name, "
                "its operator can add it to SEARCH_APP_ALLOWED_HOSTS (or set SEARCH_APP_PUBLIC_URL).")


def install(app: Flask, settings: Settings) -> None:
    """Believe forwarded headers from the trusted proxies only, and answer only the allowed host names."""
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.config["TRUSTED_HOSTS"] = allowed_hosts(settings)
    app.register_error_handler(SecurityError, _unknown_host)
    app.jinja_env.globals["public_root"] = public_root


def allowed_hosts(settings: Settings) -> list[str] | None:
    """The host names a request may ask for (Flask's TRUSTED_HOSTS); None when any will do."""
    if "*" in settings.allowed_hosts:
        return None
    hosts = list(settings.allowed_hosts)
    if settings.public_url:
        hosts.append(urlsplit(settings.public_url).hostname or "")
    return hosts


def public_root() -> str:
    """The start of this site's absolute links, without a final slash: the public URL, else this (allowed) request's."""
    settings: Settings = current_app.config["SETTINGS"]
    return settings.public_url or request.host_url.rstrip("/")


def _unknown_host(_exc: SecurityError) -> Response:
    # Plain text for a page: the error page's links cannot be built for a host the site does not answer to.
    # Not logged: scanners send any name, and the answer says what to change.
    if wants_json():
        return error_response(400, UNKNOWN_HOST)
    return Response(UNKNOWN_HOST + "\n", status=400, mimetype="text/plain")
