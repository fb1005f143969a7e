"""Route templating, API and version naming, the route map: hand-written expectations."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from apislo.errors import ConfigError
from apislo.model import EVENT_SCHEMA
from apislo.sources.logs.normalise import (
    PathNamer,
    RouteMap,
    RouteRule,
    normalise,
    template_route,
    to_arrow,
)

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/v2/orders/12345", "/v2/orders/{id}"),
        ("/v2/orders/12345?expand=items&x=1", "/v2/orders/{id}"),
        ("/v1/users/123e4567-e89b-12d3-a456-426614174000/cart", "/v1/users/{id}/cart"),
        ("/t/x100/a2/a8/6806ed71570139f1656554d94bbb.jpeg", "/t/x100/a2/a8/{id}.jpeg"),
        ("/items/1/2/3", "/items/{id}/{id}/{id}"),  # back-to-back ids need the second pass
        ("/files/deadbeef00/raw", "/files/{id}/raw"),
        ("/v1/health", "/v1/health"),  # a version is not an id
        ("/abc1234", "/abc1234"),  # 7 hex digits is a word, not an id
        ("/", "/"),
        # path parameters name a session, not a route (nor an API)
        ("/v1/orders;jsessionid=SESSJ1ABCDEF/17", "/v1/orders/{id}"),
        ("/v1/orders;api_key=X/1;v=2", "/v1/orders/{id}"),
        # a fraction is part of the number, not an extension (was /geo/{id}.5074/{id}.1278)
        ("/geo/51.5074/0.1278", "/geo/{id}/{id}"),
        ("/convert/1.5/usd", "/convert/{id}/usd"),
        ("/img/17.mp4", "/img/{id}.mp4"),
        ("/releases/1.2.3", "/releases/1.2.3"),  # a dotted version is neither
        # a JWT in a magic link's path is a credential: it was stored in clear in the route
        (
            "/auth/verify/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.ab-_12/confirm",
            "/auth/verify/{id}/confirm",
        ),
        ("/login/eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "/login/{id}"),  # (unsigned: no signature)
        ("/docs/eyJ-intro", "/docs/eyJ-intro"),  # (no dots: a name)
    ],
)
def test_template_route(path: str, route: str) -> None:
    got = pl.DataFrame({"p": [path]}).select(template_route(pl.col("p")))["p"][0]
    assert got == route


@pytest.mark.parametrize(
    ("path", "route"),
    [
        # tokens: 20 or more base64url characters mixing upper case, lower case and digits
        ("/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe", "/{id}/getMe"),
        ("/v1/keys/q8Zr1vW-T4mYx_2LbN7cKpQ5sHdFj3uA9eGi0oXyVtE/usage", "/v1/keys/{id}/usage"),
        ("/img/s/Xk9fP2qLmZ7rT4vW1yB8nC3d/photo.jpg?w=300", "/img/s/{id}/photo.jpg"),
        ("/dl/Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1.pdf", "/dl/{id}.pdf"),  # (its extension kept)
        ("/a/Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1/b/17", "/a/{id}/b/{id}"),
        # route words, long ones too: no run of 20 holding the three kinds of character
        ("/v2/orders", "/v2/orders"),
        ("/oauth2/token", "/oauth2/token"),
        ("/api/users/me", "/api/users/me"),
        ("/healthz", "/healthz"),
        ("/img/logo.png", "/img/logo.png"),
        ("/s3", "/s3"),
        ("/api/notification-preferences", "/api/notification-preferences"),  # no digit
        ("/v1/customer_subscriptions_v2", "/v1/customer_subscriptions_v2"),  # no upper case
        ("/apis/apiextensions.k8s.io/v1/crds", "/apis/apiextensions.k8s.io/v1/crds"),
        ("/pods/coredns-5d78c9869d-abcde", "/pods/coredns-5d78c9869d-abcde"),
        ("/getUserProfileSettings", "/getUserProfileSettings"),  # no digit
        ("/X1-short-Token", "/X1-short-Token"),  # 14 characters
    ],
)
def test_tokens_in_paths_are_ids(path: str, route: str) -> None:
    """A bot token, an API key or a signed URL's signature in a path was kept in the route in
    clear (a credential in the dataset and its reports, and a route per token)."""
    got = pl.DataFrame({"p": [path]}).select(template_route(pl.col("p")))["p"][0]
    assert got == route


def test_a_token_names_no_api() -> None:
    """``/bot<token>/getMe`` was the API ``bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw``."""
    events = normalise(
        _raw(path=["/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe"]), "nginx-combined"
    )
    assert events.select("api", "route").row(0) == ("unknown", "/{id}/getMe")


def test_path_parameters_name_no_api_or_version() -> None:
    events = normalise(_raw(path=["/v1;jsessionid=S1/orders;token=T2/5"]), "nginx-combined")
    row = events.select("api", "route", "api_version").row(0)
    assert row == ("orders", "/v1/orders/{id}", "v1")


def _raw(**columns: list | pl.Series) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    return pl.DataFrame({"ts": [T0] * n, **columns})


def test_api_and_version_come_from_the_path_unless_the_gateway_names_them() -> None:
    raw = _raw(
        path=["/v2/orders/7", "/api/v1/users/9", "/payments", "/", "/x"],
        api=[None, None, None, None, "kong-svc"],
        api_version=[None, None, None, None, "2024-01"],
        method=["get", "POST", "put", "GET", "GET"],
    )
    events = normalise(raw, "nginx-combined")
    assert events["api"].to_list() == ["orders", "users", "payments", "unknown", "kong-svc"]
    assert events["api_version"].to_list() == ["v2", "v1", None, None, "2024-01"]
    assert events["method"].to_list() == ["GET", "POST", "PUT", "GET", "GET"]
    assert events["gateway"].to_list() == ["nginx-combined"] * 5
    assert events.columns == EVENT_SCHEMA.names


@pytest.mark.parametrize(
    ("path", "api"),
    [
        ("/v2/orders/17", "orders"),
        ("/api/v2.1/users", "users"),
        ("/apiary/hives", "apiary"),  # "api" is skipped as a whole segment only
        ("/V2/orders", "V2"),  # an upper-case version is a name
        # nothing but what is skipped, or an id, follows: no name (these were "v2", "v1", "api")
        ("/v2/17", "unknown"),
        ("/v1/12345/items", "unknown"),
        ("/api/v2", "unknown"),
        ("/api/v2/99", "unknown"),
        ("/v2", "unknown"),
        ("/api/", "unknown"),
        ("/api/12345", "unknown"),
    ],
)
def test_the_api_is_never_named_after_what_is_skipped(path: str, api: str) -> None:
    """README: the first path segment, skipping a leading ``api/`` and a lower-case version,
    else ``unknown``."""
    assert normalise(_raw(path=[path]), "nginx-combined")["api"].to_list() == [api]


@pytest.mark.parametrize(
    ("path", "api", "version"),
    [
        ("/v1beta/models/gemini-pro:generateContent", "models", "v1beta"),  # Google's
        ("/v1beta1/namespaces/default/pods", "namespaces", "v1beta1"),  # Kubernetes'
        ("/api/v2alpha1/jobs/12", "jobs", "v2alpha1"),
        ("/v1p1beta1/operations/12", "operations", "v1p1beta1"),  # Google Speech's
        ("/apis/batch/v1beta1/cronjobs", "apis", "v1beta1"),  # a version further on
        ("/v1beta", "unknown", "v1beta"),
        # not versions: a name that only starts like one, an upper-case or number-less one
        ("/v1betas/x", "v1betas", None),
        ("/V1beta/x", "V1beta", None),
        ("/vbeta/x", "vbeta", None),
    ],
)
def test_a_pre_release_version_is_a_version(path: str, api: str, version: str | None) -> None:
    """A pre-release version segment (``v1beta1``, ``v2alpha``) was no version: until
    2026-11-30 the API was named after it and the version was null."""
    events = normalise(_raw(path=[path]), "envoy-json")
    assert events.select("api", "api_version").row(0) == (api, version)


def test_route_map_first_match_wins_and_may_rename_the_route() -> None:
    rules = RouteMap(
        (
            RouteRule(r"^/v\d+/orders", "shop"),
            RouteRule(r"^/v\d+/order", "never-reached-for-orders", "legacy"),
            RouteRule(r"^/internal/health", "health", "health check"),
        )
    )
    raw = _raw(path=["/v1/orders/3", "/v1/order/3", "/internal/health?full=1", "/v1/users"])
    events = normalise(raw, "nginx-combined", rules)
    assert events["api"].to_list() == ["shop", "never-reached-for-orders", "health", "users"]
    assert events["route"].to_list() == ["/v1/orders/{id}", "legacy", "health check", "/v1/users"]


def test_route_map_first_rule_per_path_with_shared_bare_paths_and_rules_without_route() -> None:
    """Each path is tried against the rules once per bare path (query, fragment and path
    parameters removed), and each rule only on paths no earlier rule took. Expected by hand:
    rule 1 (no route) takes /v1/orders..., rule 2 /v2/..., rule 3 anything ending in .json
    that is left, rule 4 (a later, broader orders rule) nothing rule 1 took."""
    rules = RouteMap(
        (
            RouteRule(r"^/v1/orders", "shop"),
            RouteRule(r"^/v2/", "two", "v2 route"),
            RouteRule(r"\.json$", "files", "json file"),
            RouteRule(r"orders", "late-orders", "late"),
        )
    )
    raw = _raw(
        path=[
            "/v1/orders/3?rid=1",  # rule 1, route kept templated
            "/v1/orders/3?rid=2",  # same bare path
            "/v2/orders/3.json",  # rule 2 before rules 3 and 4
            "/v3/data.json#top",  # rule 3
            "/v3/orders;jsessionid=X",  # rule 4 (bare: /v3/orders)
            "/v3/other",  # none: named from the path
            None,  # none
            "/v1/orders/3?rid=3",
        ]
    )
    events = normalise(raw, "x", rules)
    assert events["api"].to_list() == [
        "shop", "shop", "two", "files", "late-orders", "other", "unknown", "shop",
    ]  # fmt: skip
    assert events["route"].to_list() == [
        "/v1/orders/{id}", "/v1/orders/{id}", "v2 route", "json file", "late", "/v3/other",
        None, "/v1/orders/{id}",
    ]  # fmt: skip


def test_route_map_file_errors_name_the_item(tmp_path) -> None:
    good = tmp_path / "map.yaml"
    good.write_text("- match: '^/a'\n  api: a\n- match: '^/b'\n  api: b\n  route: bee\n")
    assert RouteMap.load(good).rules == (RouteRule("^/a", "a"), RouteRule("^/b", "b", "bee"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("- match: '^/a('\n  api: a\n")
    with pytest.raises(ConfigError, match="item 0: bad regex"):
        RouteMap.load(bad)
    with pytest.raises(ConfigError, match="needs 'match'"):
        bad.write_text("- api: a\n")
        RouteMap.load(bad)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("match: '^/a'\n  api: ''", "item 0: api must be a non-empty name, not ''"),
        ("match: '^/a'\n  api: null", "item 0: api must be a non-empty name, not None"),
        ("match: '^/a'\n  api: a\n  rout: r", "item 0: unknown key 'rout' (match, api, route)"),
        ("match: '^/a'\n  api: a\n  route: ''", "item 0: route must be a non-empty name, not ''"),
        ("match:\n  api: a", "item 0: match must be a regex (text), not None"),
        ("match: null\n  api: a", "item 0: match must be a regex (text), not None"),
        (
            "match: [orders, users]\n  api: a",
            "item 0: match must be a regex (text), not ['orders', 'users']",
        ),
        ("match: true\n  api: a", "item 0: match must be a regex (text), not True"),
    ],
)
def test_route_map_names_and_patterns_must_be_text(tmp_path, item: str, message: str) -> None:
    # an empty API name was stored as "", a null one as the text "None", and a mistyped key
    # left the route templated without a word; `match:` left empty was the regex "None", and
    # a list its Python text, the character class of its characters, which named every path
    # holding one of them (/health too)
    bad = tmp_path / "map.yaml"
    bad.write_text(f"- {item}\n")
    with pytest.raises(ConfigError) as caught:
        RouteMap.load(bad)
    assert str(caught.value) == f"{bad}: {message}"


def test_route_map_match_may_be_a_whole_number(tmp_path) -> None:
    good = tmp_path / "map.yaml"
    good.write_text("- match: 17\n  api: a\n")
    assert RouteMap.load(good).rules == (RouteRule("17", "a"),)


def test_route_map_names_are_shown_escaped(tmp_path) -> None:
    # a control character in a name is written as an escape, as in any text of an event
    good = tmp_path / "map.yaml"
    good.write_text("- match: '^/a'\n  api: \"a\\e[31m\"\n  route: 2\n")
    assert RouteMap.load(good).rules == (RouteRule("^/a", "a\\x1B[31m", "2"),)


def test_to_arrow_gives_exactly_the_event_schema() -> None:
    events = normalise(_raw(path=["/a"], status=[200], latency_s=[0.25]), "nginx-combined")
    table = to_arrow(events)
    assert table.schema == EVENT_SCHEMA
    assert table.column("status").to_pylist() == [200]
    assert table.column("latency_s").to_pylist() == [0.25]


def test_categorical_input_gives_the_same_events_as_strings() -> None:
    """Second method: the same raw frame with String columns. A route map, a gateway API name
    on some rows, a null path and repeated paths exercise each per-distinct-value step."""
    rules = RouteMap((RouteRule(r"^/v1/orders", "shop"),))
    raw = _raw(
        path=["/v1/orders/3", "/v1/orders/3", None, "/v2/users/9?token=x", "/v1/orders/4"],
        api=[None, "kong-svc", None, None, None],
        method=["get", "GET", None, "post", "get"],
        consumer=["alice", None, "bob", "alice", None],
    )
    as_categories = raw.with_columns(pl.col(pl.String).cast(pl.Categorical))
    expected = normalise(raw, "kong-json", rules)
    events = normalise(as_categories, "kong-json", rules)
    assert events.to_dicts() == expected.to_dicts()
    assert events["api"].to_list() == ["shop", "shop", "unknown", "users", "shop"]
    assert events["route"].to_list() == [
        "/v1/orders/{id}",
        "/v1/orders/{id}",
        None,
        "/v2/users/{id}",
        "/v1/orders/{id}",
    ]
    assert events["method"].to_list() == ["GET", "GET", None, "POST", "GET"]
    assert events.schema["route"] == pl.Categorical


@pytest.mark.parametrize("limit", [200_000, 2])
def test_a_path_namer_kept_across_chunks_names_paths_as_a_fresh_one(limit: int) -> None:
    """Chunks sharing paths, a null path and a route map, named by one remembering namer (also
    with a memory of 2 paths, which starts afresh on every chunk) and expected by hand."""
    rules = RouteMap((RouteRule(r"^/v1/orders", "shop", "orders"),))
    namer = PathNamer(rules, limit=limit)
    first = normalise(_raw(path=["/v1/orders/3", "/v2/users/9", None]), "x", namer=namer)
    second = normalise(_raw(path=["/v2/users/9", "/v3/items/7", "/v1/orders/5"]), "x", namer=namer)
    assert first["route"].to_list() == ["orders", "/v2/users/{id}", None]
    assert first["api"].to_list() == ["shop", "users", "unknown"]
    assert second["route"].to_list() == ["/v2/users/{id}", "/v3/items/{id}", "orders"]
    assert second["api"].to_list() == ["users", "items", "shop"]
    assert second["api_version"].to_list() == ["v2", "v3", "v1"]


def test_normalise_takes_the_route_map_or_a_namer_not_both() -> None:
    rules = RouteMap((RouteRule("^/a", "a"),))
    with pytest.raises(ValueError, match="not to normalise as well"):
        normalise(_raw(path=["/a"]), "x", rules, namer=PathNamer(rules))


_RUST_ONLY = "route maps use Rust regex syntax: look-around and backreferences are not supported"


def test_route_map_file_refuses_a_regex_polars_cannot_run(tmp_path) -> None:
    """Python's ``re`` compiles look-ahead; polars, which runs the rules, does not."""
    path = tmp_path / "map.yaml"
    path.write_text("- match: '^/a'\n  api: a\n- match: '^/v1/(?!admin)orders'\n  api: shop\n")
    with pytest.raises(ConfigError) as caught:
        RouteMap.load(path)
    assert str(caught.value) == (
        f"{path}: route map item 1: regex '^/v1/(?!admin)orders' cannot run in polars "
        f"(look-around, including look-ahead and look-behind, is not supported); {_RUST_ONLY}"
    )


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (
            "^/v1/(?<!x)orders",
            "look-around, including look-ahead and look-behind, is not supported",
        ),
        (r"^/(a)\1", "backreferences are not supported"),
    ],
)
def test_route_map_built_in_python_refuses_a_regex_polars_cannot_run(
    pattern: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        RouteMap((RouteRule("^/a", "a"), RouteRule(pattern, "shop")))
    assert str(caught.value) == (
        f"route map item 1: regex {pattern!r} cannot run in polars ({reason}); {_RUST_ONLY}"
    )


def test_route_map_file_accepts_rust_syntax_python_re_lacks(tmp_path) -> None:
    r"""``\z`` (end of text) is Rust regex syntax that Python 3.11's ``re`` refuses."""
    path = tmp_path / "map.yaml"
    path.write_text("- match: '^/v\\d+/orders/\\d+\\z'\n  api: shop\n")
    raw = _raw(path=["/v1/orders/3", "/v1/orders/3/items"])
    events = normalise(raw, "nginx-combined", RouteMap.load(path))
    assert events["api"].to_list() == ["shop", "orders"]


def _global_categories() -> set[str]:
    """The strings polars keeps in its global categories (kept while any column uses them)."""
    return set(pl.Categorical().categories.to_series().to_list())


@pytest.mark.parametrize("as_categorical", [False, True])
def test_raw_paths_stay_out_of_the_global_categories(as_categorical: bool) -> None:
    """Polars frees its global categories only when no column uses any, which never happens
    while ingest runs: with raw paths among them, a log whose every path is distinct (an id per
    request) grew the process by about 225 bytes a line. Expected: the raw paths, String or
    Categorical of their own (the NGINX kernel's), stay out; their route is in (an event
    column)."""
    paths = [f"/v1/receipts/{n}?trace=b81f0c2e-{n}" for n in (1, 2)]
    column = pl.Series(paths)
    if as_categorical:
        column = column.cast(pl.Categorical(pl.Categories.random()))
    events = normalise(_raw(path=column), "nginx-combined")
    assert events["route"].to_list() == ["/v1/receipts/{id}"] * 2
    assert not set(paths) & _global_categories()
    assert "/v1/receipts/{id}" in _global_categories()


def test_threads_sharing_a_path_namer_get_each_path_named_once_and_right() -> None:
    """Ingest's two parsing threads share a namer and name their new paths at once. Four
    threads name overlapping sets of paths (/v1/items/0 to /v1/items/59, 20 at a time, each
    set twice): every answer has one row per path asked, in order, route /v1/items/{id},
    API items, version v1; a path remembered twice would give two rows on its next lookup."""
    from concurrent.futures import ThreadPoolExecutor

    namer = PathNamer()
    batches = [
        pl.Series([f"/v1/items/{n}" for n in range(start, start + 20)])
        for start in (0, 10, 20, 30, 40)
        for _ in range(2)
    ] * 3
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(namer.name, batches))
    for asked, named in zip(batches, answers, strict=True):
        assert named["path"].to_list() == asked.to_list()
        assert set(named["_route"]) == {"/v1/items/{id}"}
        assert set(named["_path_api"]) == {"items"} and set(named["_path_version"]) == {"v1"}
    assert namer.name(pl.Series([f"/v1/items/{n}" for n in range(60)])).height == 60


def test_a_route_map_that_is_not_yaml_is_a_one_line_error(tmp_path) -> None:
    """PyYAML's message spans five lines (context, a caret); the error names the file and the
    line: ``foo: [`` ends before its flow sequence does."""
    bad = tmp_path / "routes.yaml"
    bad.write_text("- {match: ^/a, api: a}\nfoo: [")
    with pytest.raises(ConfigError) as info:
        RouteMap.load(bad)
    assert str(info.value) == (
        f"{bad}: line 2: route map is not valid YAML: expected <block end>, but found '?'"
    )


def test_a_route_map_item_giving_a_key_twice_is_refused(tmp_path) -> None:
    # PyYAML kept the second `api:` silently: /a was named b
    bad = tmp_path / "routes.yaml"
    bad.write_text("- match: '^/a'\n  api: a\n  api: b\n")
    with pytest.raises(ConfigError) as info:
        RouteMap.load(bad)
    assert str(info.value) == (
        f"{bad}: line 3: route map is not valid YAML: duplicate key 'api' (also on line 2): "
        "keep one"
    )
