"""The one exception family of search_app; each carries a message a user can act on."""

from __future__ import annotations


class SearchAppError(Exception):
    """Base of every error search_app raises on purpose; `message` is shown to users.

    `detail`, when given, is what an operator needs besides (internal addresses, for one): the
    command line shows it instead of the message, the server writes it to its log, and a
    visitor never sees it.
    """

    status = 500

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(detail or message)
        self.message = message
        self.detail = detail


class BadRequest(SearchAppError):
    """A search request or parameter that cannot be answered as given."""

    status = 400


class NotFound(SearchAppError):
    """An article id that is not in the index."""

    status = 404


class IndexMissing(SearchAppError):
    """No built index where one was expected."""

    status = 503


class IndexCorrupt(SearchAppError):
    """An index folder that exists but cannot be read."""

    status = 503


class BuildLocked(SearchAppError):
    """Another build or update holds the index's write lock."""

    status = 409


class BuildFailed(SearchAppError):
    """A build or update that stopped; the live index is left as it was."""

    status = 500


class SeedsMissing(SearchAppError):
    """The seeds folder does not exist or is not a folder."""

    status = 400


class ConfigError(SearchAppError):
    """A setting (option or SEARCH_APP_* variable) with a value that cannot be used."""

    status = 500


class UpdateRefused(SearchAppError):
    """An update that would read the wrong folder or remove most of the index; nothing was changed."""

    status = 409


class Busy(SearchAppError):
    """A request the service will not start now (too many of its kind at once); worth trying again soon."""

    status = 503
    retry_after = 5  # seconds, sent as Retry-After
