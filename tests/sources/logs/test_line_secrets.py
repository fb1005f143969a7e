"""Credentials in rejected JSON lines kept in the quarantine: members holding a header, cookie or
query parameter under a prefix (NGINX ``http_*``/``arg_*``, Traefik ``request_*``), more header
names (Kong's ``x-auth-token``, ``x-goog-api-key``), headers sent twice (an array), a query
string without its ``?`` (NGINX ``$args``) or a parameter in free text, and a URL's user and
password. Expected lines are written by hand."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import apislo
from apislo.sources.logs.fields import scrub_line_secrets, scrub_query_secrets


def scrub(line: str) -> str:
    return pl.select(scrub_line_secrets(pl.lit(line))).item()


def test_nginx_json_prefixed_headers_arguments_and_args() -> None:
    line = (
        '{"status":"abc","http_authorization":"Bearer SECRET_A","http_x_api_key":"SECRET_B",'
        '"http_cookie":"sid=SECRET_C","arg_api_key":"SECRET_D","args":"apikey=SECRET_E&x=1",'
        '"sent_http_set_cookie":"sid=SECRET_F","cookie_jsessionid":"SECRET_G",'
        '"http_user_agent":"curl/8"}'
    )
    assert scrub(line) == (
        '{"status":"abc","http_authorization":"REDACTED","http_x_api_key":"REDACTED",'
        '"http_cookie":"REDACTED","arg_api_key":"REDACTED","args":"apikey=REDACTED&x=1",'
        '"sent_http_set_cookie":"REDACTED","cookie_jsessionid":"REDACTED",'
        '"http_user_agent":"curl/8"}'
    )


def test_traefik_request_headers() -> None:
    line = (
        '{"Duration":"abc","RequestPath":"/v1/users","request_Authorization":"Bearer SECRET_F",'
        '"request_X-Api-Key":"SECRET_G","request_Cookie":"SECRET_H",'
        '"downstream_Set-Cookie":"SECRET_I","request_User-Agent":"curl/8"}'
    )
    assert scrub(line) == (
        '{"Duration":"abc","RequestPath":"/v1/users","request_Authorization":"REDACTED",'
        '"request_X-Api-Key":"REDACTED","request_Cookie":"REDACTED",'
        '"downstream_Set-Cookie":"REDACTED","request_User-Agent":"curl/8"}'
    )


def test_kong_headers_and_a_header_sent_twice() -> None:
    line = (
        '{"request":{"headers":{"x-auth-token":"SECRET_J","X-Goog-Api-Key":"SECRET_K",'
        '"x-api-key":["SECRET_L", "SECRET_M"],"host":"api"}}}'
    )
    assert scrub(line) == (
        '{"request":{"headers":{"x-auth-token":"REDACTED","X-Goog-Api-Key":"REDACTED",'
        '"x-api-key":"REDACTED","host":"api"}}}'
    )


def test_url_user_and_password() -> None:
    line = '1.2.3.4 - - [x] "GET http://bob:hunter2@api.example.com/v2/orders/17 HTTP/1.1" 400'
    assert (
        scrub(line)
        == '1.2.3.4 - - [x] "GET http://REDACTED@api.example.com/v2/orders/17 HTTP/1.1" 400'
    )


def test_credential_parameters_in_free_text() -> None:
    """A line that is no request at all, an error message with ``apikey=...`` but no ``?``,
    was kept with its credential in clear; a name that merely ends like one is kept."""
    line = "auth failed for apikey=LEAKED1, retry with token=T2 (monkey=2 design=3 x-api-key=K3)"
    assert scrub(line) == (
        "auth failed for apikey=REDACTED, retry with token=REDACTED (monkey=2 design=3 "
        "x-api-key=REDACTED)"
    )
    assert scrub("key=K4 'secret=S5'") == "key=REDACTED 'secret=REDACTED'"


def test_credentials_in_free_text_quoted_spaced_or_as_headers() -> None:
    """A quoted value was kept beside the mark (`token=REDACTED"SECRET with quotes"`); a name
    followed by `:` or a spaced `=`, and an `Authorization` header written out, kept it whole.
    The scheme (`Bearer`) stays, as it tells what kind of credential was there."""
    line = (
        "retry token=\"SECRET1 with quotes\" api_key='SECRET2' apikey: SECRET3 "
        "Authorization: Bearer SECRET4 password = SECRET5 sort_key=k1"
    )
    assert scrub(line) == (
        "retry token=REDACTED api_key=REDACTED apikey: REDACTED Authorization: Bearer REDACTED "
        "password = REDACTED sort_key=k1"
    )


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        (  # a Kong line cut inside a header's value (a syslog message size limit)
            '{"request":{"headers":{"host":"api","authorization":"Basic dXNlcjpwYXNzd',
            '{"request":{"headers":{"host":"api","authorization":"REDACTED"',
        ),
        ('{"apiKey":"SECRET_N', '{"apiKey":"REDACTED"'),  # API Gateway's
        ('{"apikey":"SECRET_O\\', '{"apikey":"REDACTED"'),  # cut inside an escape
        ('{"x-api-key":["SECRET_P", "SECR', '{"x-api-key":"REDACTED"'),  # a list cut short
        ('{"x-api-key":["SECRET_Q", ', '{"x-api-key":"REDACTED"'),
        ('login failed, password="SECRET_R', "login failed, password=REDACTED"),
        ("login failed, token='SECRET_S", "login failed, token=REDACTED"),
    ],
)
def test_a_credential_cut_off_by_the_end_of_the_line(line: str, redacted: str) -> None:
    """A line cut inside a credential's value (rejected ``truncated``) kept the value's first
    characters in clear, its closing quote never coming: they are redacted up to the end."""
    assert scrub(line) == redacted


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        (  # an NGINX JSON log's $request_body: JSON in a JSON string
            '{"status":"x","request_body":"{\\"password\\":\\"SECRET_T\\",\\"user\\":\\"bob\\"}"}',
            '{"status":"x","request_body":"{\\"password\\":REDACTED,\\"user\\":\\"bob\\"}"}',
        ),
        (  # the same body in a text log, NGINX's default escaping
            '"POST /login HTTP/1.1" 2x0 {\\x22password\\x22:\\x22SECRET_U\\x22,\\x22user\\x22:1}',
            '"POST /login HTTP/1.1" 2x0 {\\x22password\\x22:REDACTED,\\x22user\\x22:1}',
        ),
        (  # a Docker json-file line cut short, kept whole: the access log's JSON escaped in it
            '{"log":"{\\"apikey\\":\\"SECRET_V\\",\\"authorization\\" : \\"Bearer SECRET_W',
            '{"log":"{\\"apikey\\":REDACTED,\\"authorization\\" : REDACTED',
        ),
    ],
)
def test_a_credential_in_escaped_json(line: str, redacted: str) -> None:
    """JSON inside a JSON string (``\\"password\\":``) or an NGINX-escaped value
    (``\\x22password\\x22:``) names its members with escaped quotes, which neither the
    member rule nor the free-text one (a name followed by ``:``) took: kept in clear."""
    assert scrub(line) == redacted


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        (  # a Docker json-file line: an upstream's headers logged as JSON in the message
            '{"log":"{\\"cookie\\":\\"sid=SECRET_A1; theme=dark\\",\\"x\\":1}"}',
            '{"log":"{\\"cookie\\":REDACTED,\\"x\\":1}"}',
        ),
        (
            '{"log":"{\\"Set-Cookie\\":\\"sid=SECRET_A2; Path=/\\"}"}',
            '{"log":"{\\"Set-Cookie\\":REDACTED}"}',
        ),
        (
            '{"log":"{\\"x-auth-token\\":\\"SECRET_A3\\"}"}',
            '{"log":"{\\"x-auth-token\\":REDACTED}"}',
        ),
        (  # NGINX's default escaping
            "headers {\\x22proxy-authorization\\x22:\\x22Basic SECRET_A4\\x22}",
            "headers {\\x22proxy-authorization\\x22:REDACTED}",
        ),
        (  # free text: every cookie of the header (the value ended at the first ";")
            "upstream said Cookie: sid=SECRET_B1; theme=dark; csrf=SECRET_B2 (retrying)",
            "upstream said Cookie: REDACTED (retrying)",
        ),
        ("Set-Cookie: session=SECRET_B3; Path=/; HttpOnly", "Set-Cookie: REDACTED"),
        (
            "login refused, X-Auth-Token: SECRET_B4 expired",
            "login refused, X-Auth-Token: REDACTED expired",
        ),
        ("Proxy-Authorization: Basic SECRET_B5", "Proxy-Authorization: Basic REDACTED"),
        ("x-goog-api-key=SECRET_B6", "x-goog-api-key=REDACTED"),
    ],
)
def test_a_credential_header_in_escaped_json_or_free_text(line: str, redacted: str) -> None:
    """Headers that are no query parameter (``cookie``, ``set-cookie``, ``x-auth-token``,
    ``proxy-authorization``, ``x-goog-api-key``) were redacted as plain JSON members only: in
    JSON held in a string, NGINX-escaped or written out as a header, kept in clear."""
    assert scrub(line) == redacted


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        (  # HAProxy's `capture request header Authorization len 64`, in its {...} block
            "1.2.3.4:5 [x] fe be/s 0/0/0/1/XX 200 9 - - ---- 1/1/0/0/0 0/0 {Bearer abc.DEF-9_x~+/=|"
            'curl/8} "GET /a HTTP/1.1"',
            "1.2.3.4:5 [x] fe be/s 0/0/0/1/XX 200 9 - - ---- 1/1/0/0/0 0/0 {Bearer REDACTED|"
            'curl/8} "GET /a HTTP/1.1"',
        ),
        (  # NGINX's `"$http_authorization"` in a custom log_format
            '1.2.3.4 [x] "GET /a HTTP/1.1" abc "basic dXNlcjpodW50ZXIy"',
            '1.2.3.4 [x] "GET /a HTTP/1.1" abc "basic REDACTED"',
        ),
        (  # a JSON Web Token in a magic link's path (the route has it as {id})
            '1.2.3.4 [x] "GET /login/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln_X-1?next=/ '
            'HTTP/1.1"',
            '1.2.3.4 [x] "GET /login/REDACTED?next=/ HTTP/1.1"',
        ),
        (  # an Envoy JSON key that names no credential
            '{"duration":"x","req_auth":"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."}',
            '{"duration":"x","req_auth":"Bearer REDACTED"}',
        ),
    ],
)
def test_a_credential_logged_without_its_name(line: str, redacted: str) -> None:
    """An ``Authorization`` value logged alone (a captured header, ``$http_authorization``)
    and a JSON Web Token in a path carry no name the other rules know: kept in clear in the
    quarantine until 2026-11-30. The scheme stays, as for a named one."""
    assert scrub(line) == redacted


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        (  # a JSON writer escaping `/` (PHP, Lua's cjson): the rest after `\/` was kept
            r'{"hdr":"Basic dXNlcjpw\/YXNzd29yZA=="}',
            '{"hdr":"Basic REDACTED"}',
        ),
        (  # a JSON body logged by NGINX's default escaping: `\x22` before the scheme
            r"body={\x22hdr\x22:\x22Bearer abcdefghij\x22}",
            r"body={\x22hdr\x22:\x22Bearer REDACTED\x22}",
        ),
    ],
)
def test_a_credential_without_its_name_escaped_in_json(line: str, redacted: str) -> None:
    """Kept in clear on 2026-11-30: the first from `\\/` on (its token ended at the
    backslash), the second all of its token (no word boundary between `\\x22` and `Bearer`)."""
    assert scrub(line) == redacted


def test_a_path_ending_in_basic_or_bearer_keeps_its_protocol() -> None:
    """`/plans/basic HTTP/1.1`: the protocol, 8 token characters after the word `basic`, was
    written `REDACTED` (2026-11-30). A path's segment is no scheme: the line is kept."""
    line = '1.2.3.4 - - [x] "GET /v1/plans/basic HTTP/1.1" 200 5 "POST /auth/Bearer HTTP/2.0"'
    assert scrub(line) == line


def test_schemes_without_a_token_are_kept() -> None:
    line = "basic plan; Bearer; bearer token missing; eyJ alone; Basic-Auth: off"
    assert scrub(line) == line


def test_text_that_only_mentions_a_header_is_kept() -> None:
    line = (
        "3 cookies: sid, theme; set-cookie headers dropped; cookie_policy=strict; "
        "x-auth-token-ttl: 30; cookie jar"
    )
    assert scrub(line) == line


def test_a_rejected_line_reaches_the_quarantine_without_its_cookies(tmp_path: Path) -> None:
    """End to end: an NGINX error line in an access log (``not_a_request``) naming the cookies
    it forwarded, and an nginx-json line rejected for its status whose logged request body
    holds an ``x-auth-token``: both were kept in the quarantine in clear."""
    record = {
        "time_iso8601": "2026-11-18T10:48:03+00:00",
        "request": "POST /v1/login HTTP/1.1",
        "status": "abc",
        "request_body": json.dumps({"x-auth-token": "SECRET_C1", "user": "bob"}),
    }
    error = "2026/11/18 10:48:04 [error] 7#7: upstream reset, Cookie: sid=SECRET_C2; lang=en"
    log = tmp_path / "access.json"
    log.write_text(json.dumps(record) + "\n" + error + "\n")
    report = apislo.ingest([log], tmp_path / "ds", format="nginx-json", max_reject_rate=1.0)
    assert report.rejected == {"bad_number": 1, "not_a_request": 1}
    kept = [json.loads(row)["line"] for row in (tmp_path / "ds.quarantine.jsonl").open()]
    assert kept == [
        json.dumps(record).replace('\\"SECRET_C1\\"', "REDACTED"),
        "2026/11/18 10:48:04 [error] 7#7: upstream reset, Cookie: REDACTED",
    ]


def test_a_truncated_kong_line_reaches_the_quarantine_without_its_credential(
    tmp_path: Path,
) -> None:
    """End to end: of two Kong lines the second is cut inside its ``authorization`` header, so
    it is rejected ``truncated`` and kept in the quarantine, where "dXNlcjpwYXNzd" (base64 of
    "user:passw") was kept in clear."""
    record = (
        '{"request":{"method":"GET","uri":"/v2/orders","headers":{"host":"api",'
        '"authorization":"Basic dXNlcjpwYXNzd29yZA=="}},"response":{"status":200},'
        '"latencies":{"request":7},"started_at":1794998885906}'
    )
    log = tmp_path / "kong.json"
    log.write_text(record + "\n" + record[: record.index("29yZA")] + "\n")
    report = apislo.ingest([log], tmp_path / "ds", format="kong-json")
    assert (report.records, report.rejected) == (1, {"truncated": 1})
    (kept,) = (tmp_path / "ds.quarantine.jsonl").read_text().splitlines()
    assert json.loads(kept)["line"] == (
        '{"request":{"method":"GET","uri":"/v2/orders","headers":{"host":"api",'
        '"authorization":"REDACTED"'
    )


def test_names_that_only_contain_a_credential_name_are_kept() -> None:
    line = '{"http_referer":"https://a/b","request_Keyboard":"k","monkey":"m","arg_page":"2"}'
    assert scrub(line) == line


@pytest.mark.parametrize(
    ("name", "record", "redacted"),
    [
        (
            "nginx-json",
            {
                "time_iso8601": "2026-11-18T10:48:03+00:00",
                "request": "GET /v1/x HTTP/1.1",
                "status": "abc",
                "http_authorization": "Bearer SECRET_A",
                "http_x_api_key": "SECRET_B",
                "arg_api_key": "SECRET_D",
                "args": "apikey=SECRET_E",
            },
            4,
        ),
        (
            "traefik-json",
            {
                "StartUTC": "2026-11-18T10:48:02.951Z",
                "Duration": "abc",
                "DownstreamStatus": 200,
                "RequestMethod": "GET",
                "RequestPath": "/v1/users",
                "request_Authorization": "Bearer SECRET_F",
                "request_X-Api-Key": "SECRET_G",
                "request_Cookie": "SECRET_H",
            },
            3,
        ),
    ],
)
def test_the_quarantine_file_holds_no_credential(
    name: str, record: dict, redacted: int, tmp_path: Path
) -> None:
    """A line rejected for its bad number, as the QA engineer's, kept without its secrets."""
    log = tmp_path / "access.json"
    log.write_text(json.dumps(record) + "\n")
    apislo.ingest([log], tmp_path / "ds", format=name, max_reject_rate=1.0)
    (kept,) = (tmp_path / "ds.quarantine.jsonl").read_text().splitlines()
    line = json.loads(kept)["line"]
    assert json.loads(kept)["reason"] == "bad_number"
    assert "SECRET" not in line
    assert line.count("REDACTED") == redacted


def test_query_keys_are_matched_whatever_their_separators() -> None:
    """``accessToken``, ``access-token``, ``X-Api-Key``, ``private_token`` and ``jwt`` are
    credentials as much as ``access_token``; ``page`` and ``monkey`` (which ends in "key")
    are not."""
    path = "/a?accessToken=s1&access-token=s2&X-Api-Key=s3&page=1&private_token=s4&monkey=2&jwt=s5"
    scrubbed = pl.select(scrub_query_secrets(pl.lit(path))).item()
    assert scrubbed == (
        "/a?accessToken=REDACTED&access-token=REDACTED&X-Api-Key=REDACTED&page=1"
        "&private_token=REDACTED&monkey=2&jwt=REDACTED"
    )


def test_tokens_are_redacted_where_they_stand() -> None:
    """A bot token, an API key or a JSON Web Token in a rejected line's path (or referer) was
    quarantined in clear, though route templating makes each ``{id}``: only the token goes,
    the rest of the line is kept (the bot's number before the ``:``, the extension after)."""
    line = (
        '1.2.3.4 - - [x] "GET /bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe?chat=5 '
        'HTTP/1.1" 2x0 12 "https://t.me/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" "curl/8"'
    )
    assert scrub(line) == (
        '1.2.3.4 - - [x] "GET /bot110201543:REDACTED/getMe?chat=5 '
        'HTTP/1.1" 2x0 12 "https://t.me/bot110201543:REDACTED" "curl/8"'
    )
    assert scrub('"GET /dl/Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1.pdf HTTP/1.1" -') == (
        '"GET /dl/REDACTED.pdf HTTP/1.1" -'
    )


def test_json_web_tokens_are_redacted_whole() -> None:
    """Signed or not (an unsigned one's parts, 19 and 15 characters, are no token run)."""
    line = (
        "GET /auth/verify/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.ab-_12/confirm "
        "/login/eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. HTT"
    )
    assert scrub(line) == "GET /auth/verify/REDACTED/confirm /login/REDACTED HTT"


@pytest.mark.parametrize(
    "text",
    [
        # runs of 20 or more without the three kinds of character
        "GET /api/notification-preferences HTTP/1.1",
        "GET /v1/customer_subscriptions_v2 HTTP/1.1",
        '{"requestId":"123e4567-e89b-12d3-a456-426614174000","status":"x"}',
        "pod coredns-5d78c9869d-abcde X-Kong-Upstream-Latency: 12 Win64",
        # shorter than 20, also after an escape whose hex digits would make it 21
        "GET /X1-short-Token HTTP/1.1 \\x22Ab1Ab1Ab1Ab1Ab1Ab1\\x22",
        # ``eyJ`` not where a run starts, or no dots: no JSON Web Token
        "GET /heyJude.mp3.bak/docs/eyJ-intro HTTP/1.1",
    ],
)
def test_text_that_holds_no_token_is_kept(text: str) -> None:
    assert scrub(text) == text


def test_tokens_after_escapes() -> None:
    """An NGINX or JSON escape ends a run: the token after it goes, the escape stays."""
    line = (
        '{"request":"GET /a\\x22Xk9fP2qLmZ7rT4vW1yB8nC3d\\x22","ua":"\\u0022'
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.x"'
    )
    assert scrub(line) == '{"request":"GET /a\\x22REDACTED\\x22","ua":"\\u0022REDACTED"'


def test_json_escapes_with_a_letter_end_runs_and_stay() -> None:
    """``\\n``, ``\\t`` (and ``\\\\``) end a run as ``\\x22`` does: the token after the escape
    goes, the escape stays, and the line is still JSON. The escape's letter was taken into the
    token (``\\REDACTED``, an invalid escape), and a JSON Web Token after ``\\t`` was not seen
    whole (its 15-character payload kept in clear)."""
    line = (
        '{"msg":"bad token\\nAAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",'
        '"url":"\\teyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.","dir":"C:\\\\nAb1Ab1Ab1Ab1Ab1Ab1A"}'
    )
    kept = scrub(line)
    assert kept == '{"msg":"bad token\\nREDACTED","url":"\\tREDACTED","dir":"C:\\\\REDACTED"}'
    assert json.loads(kept) == {
        "msg": "bad token\nREDACTED",
        "url": "\tREDACTED",
        "dir": "C:\\REDACTED",
    }


def test_a_short_run_after_a_json_escape_is_kept() -> None:
    """19 base64url characters after ``\\n`` are no token (the escape's ``n`` made them 20)."""
    line = '{"msg":"a\\nAb1Ab1Ab1Ab1Ab1Ab1A"}'
    assert scrub(line) == line
