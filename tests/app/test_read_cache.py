"""The read version (migration 0021): every change to what visitors read moves it, once
per transaction and only when committed, whichever connection looks."""

from __future__ import annotations

import importlib

from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from app import read_cache
from app.db import make_database
from app.web import trust_proxy_headers
from models import all_models, db, use
from models.jobs import Job
from models.server import ServerSetting

MIGRATION = importlib.import_module("models.migrations.0021_read_version")


def trigger_tables(backend: str) -> set[str]:
    """The tables with a read_version_* trigger, as the database lists them."""
    if backend == "sqlite":
        sql = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
    rows = db.execute_sql(sql).fetchall()
    return {table.strip('"') for name, table in rows if name.startswith("read_version_")}


def test_every_table_is_either_watched_or_named_as_never_read(backend):
    tables = {model._meta.table_name for model in all_models()}
    watched = set(MIGRATION.TABLES)
    assert not watched & read_cache.UNREAD_TABLES
    unclassified = tables - watched - read_cache.UNREAD_TABLES
    assert not unclassified, f"tables in neither list: {sorted(unclassified)}"
    assert trigger_tables(backend) == watched


def test_a_committed_change_moves_the_version_and_bookkeeping_does_not(backend, database):
    other = make_database(database)  # another process's connection
    try:
        before = read_cache.current_version()
        Job.create(kind="deliver", payload="{}")
        assert read_cache.current_version() == before

        with db.atomic():
            ServerSetting.create(key="instance.name", value="First")
            ServerSetting.update(value="Second").where(
                ServerSetting.key == "instance.name"
            ).execute()
            if backend == "postgres":  # not before the commit, for anyone
                with use(other):
                    assert read_cache.current_version() == before
        after = read_cache.current_version()
        with use(other):
            assert read_cache.current_version() == after
        assert after > before
        if backend == "postgres":
            assert after == before + 1  # once per transaction, at its commit

        ServerSetting.delete().execute()
        assert read_cache.current_version() > after
    finally:
        other.close()


def test_the_cache_keeps_the_most_recently_used_within_its_size():
    cache = read_cache.ReadCache(private_cookie="shoal_session", max_bytes=1600)

    def entry(size: int) -> read_cache.Entry:
        return read_cache.Entry([], b"x" * size, '"e"', has_xsrf=False, compressible=False)

    for n in range(16):  # 1600 bytes: all fit
        cache.put(("/a", n), 7, entry(100))
    assert cache.get(("/a", 0), 7) is not None  # used: now the most recent
    cache.put(("/a", 16), 7, entry(100))  # over: the least recently used goes
    assert cache.get(("/a", 1), 7) is None
    assert all(cache.get(("/a", n), 7) is not None for n in (0, *range(2, 17)))
    assert cache.get(("/a", 0), 8) is None  # a newer version: gone for good
    assert cache.get(("/a", 0), 7) is None
    cache.put(("/huge",), 7, entry(101))  # over a sixteenth of the budget: not kept
    assert cache.get(("/huge",), 7) is None


def test_proxy_headers_give_the_client_address_and_scheme_and_garbage_is_ignored():
    def seen(**headers: str) -> tuple[str, str]:
        named = {"Host": "video.example", **{n.replace("_", "-"): v for n, v in headers.items()}}
        start = RequestStartLine("GET", "/", "HTTP/1.1")
        request = HTTPServerRequest(start_line=start, headers=HTTPHeaders(named))
        request.remote_ip, request.protocol = "127.0.0.1", "http"
        trust_proxy_headers(request)
        return request.remote_ip, request.protocol

    assert seen() == ("127.0.0.1", "http")
    assert seen(X_Real_Ip="203.0.113.7") == ("203.0.113.7", "http")
    assert seen(X_Forwarded_For="198.51.100.1, 203.0.113.9") == ("203.0.113.9", "http")
    assert seen(X_Real_Ip="2001:db8::1", X_Forwarded_For="198.51.100.1") == ("2001:db8::1", "http")
    assert seen(X_Real_Ip="not an address; DROP") == ("127.0.0.1", "http")
    assert seen(X_Forwarded_Proto="https") == ("127.0.0.1", "https")
    assert seen(X_Forwarded_Proto="gopher") == ("127.0.0.1", "http")
