"""Django's Redis cache backend, keeping one client per connection pool.

Django's RedisCacheClient.get_client makes a new redis.Redis object for every cache call; with
redis-py 5 and later, building one (its table of response callbacks) costs ~1 ms of CPU, paid
on every request for the session read (core/sessions/cached.py): about a tenth of a cheap
page's CPU (docs/performance.md, "Cheap pages"). A redis.Redis object is safe to share
between threads (each command takes a connection from the pool), so one per pool is kept.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:  # two threads may both make one at first: harmless, one is kept
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
