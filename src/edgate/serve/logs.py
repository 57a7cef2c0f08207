"""gunicorn's logger, without query strings in its error messages.

gunicorn writes "Error handling request <method> <uri>" with the full URI when a request
fails below Django; query strings never go to a log (an ID token rides in
/oauth/logout?id_token_hint=…), so they are cut here. The access log's format has no query
string in the first place (gunicorn_conf.access_log_format).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger


def _without_query(value: Any) -> Any:
    if isinstance(value, str) and "?" in value and (value.startswith("/") or "://" in value):
        return value.split("?", 1)[0]
    return value


class PathOnlyLogger(Logger):
    def _scrub(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(_without_query(arg) for arg in args)

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().error(_without_query(msg), *self._scrub(args), **kwargs)

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().warning(_without_query(msg), *self._scrub(args), **kwargs)

    def info(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().info(_without_query(msg), *self._scrub(args), **kwargs)

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().debug(_without_query(msg), *self._scrub(args), **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().exception(_without_query(msg), *self._scrub(args), **kwargs)
