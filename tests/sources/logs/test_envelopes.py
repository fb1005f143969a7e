"""Envelopes: detection and stripping keep one output line per input line."""

from __future__ import annotations

import pytest

from apislo.errors import ApisloError, ConfigError
from apislo.sources.logs.envelopes import detect_envelope, strip_envelope

NGINX = '1.2.3.4 - - [10/Sep/2015:17:57:59 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"'


def test_detect_each_envelope():
    docker = ['{"log":"a\\n","stream":"stdout","time":"2024-01-02T03:04:05.6Z"}'] * 3
    cri = ["2016-10-06T00:17:09.669794202Z stdout F a", "2016-10-06T00:17:09Z stderr P b"]
    syslog = [
        "Feb 25 16:19:49 192.168.4.2 haproxy[7]: x",
        "<134>1 2019-02-25T16:19:49Z h p 7 - - y",
    ]
    assert detect_envelope(docker) == "docker"
    assert detect_envelope(cri) == "cri"
    assert detect_envelope(syslog) == "syslog"
    assert detect_envelope([NGINX, NGINX, ""]) is None
    assert detect_envelope([]) is None
    # One enveloped line among three is not enough (threshold: half of the non-blank lines).
    assert detect_envelope([syslog[0], NGINX, NGINX]) is None


def test_syslog_rfc3164_and_5424():
    chunk = (
        b"Feb 25 16:19:49 192.168.4.2 haproxy[7]: Proxy a started.\n"
        b"<13>Feb  5 01:02:03 host app: message two\n"
        b"<134>1 2019-02-25T16:19:49.000Z host haproxy 7 - - msg [x] three\n"
        b'<134>1 2019-02-25T16:19:49Z host app - ID47 [exampleSDID@32473 iut="3"] four\n'
        b"no prefix here\n"
    )
    assert strip_envelope("syslog", chunk) == (
        b"Proxy a started.\nmessage two\nmsg [x] three\nfour\nno prefix here\n"
    )


def test_cri_partials_join_on_the_last_piece():
    chunk = (
        b"2016-10-06T00:17:09.669794202Z stdout P GET /long\n"
        b"2016-10-06T00:17:09.669794202Z stdout P /path\n"
        b"2016-10-06T00:17:09.669794202Z stdout F ?q=1 done\n"
        b"2016-10-06T00:17:10.000000000Z stderr F single line\n"
        b"not a cri line\n"
        b"2016-10-06T00:17:11.000000000Z stdout P still open\n"
    )
    assert strip_envelope("cri", chunk) == (
        b"\n\nGET /long/path?q=1 done\nsingle line\nnot a cri line\nstill open\n"
    )


def test_docker_json_file_with_partial_and_escapes():
    chunk = (
        b'{"log":"GET /a \\"q\\" 200\\n","stream":"stdout","time":"2024-01-02T03:04:05.6Z"}\n'
        b'{"log":"first half ","stream":"stdout","time":"2024-01-02T03:04:05.7Z"}\n'
        b'{"log":"second half\\r\\n","stream":"stdout","time":"2024-01-02T03:04:05.8Z"}\n'
    )
    assert strip_envelope("docker", chunk) == b'GET /a "q" 200\n\nfirst half second half\n'


def test_docker_with_a_line_that_is_not_json_keeps_it():
    chunk = b'{"log":"one\\n","stream":"stdout","time":"t"}\nplain text\n'
    assert strip_envelope("docker", chunk) == b"one\nplain text\n"


def test_docker_lone_surrogate_is_a_replacement_character_not_a_crash():
    """A Docker json-file log written by a Python tool escapes an undecodable byte as a lone
    surrogate (``\\udcff``), which polars refuses and UTF-8 cannot hold: stripping the chunk
    raised ``UnicodeEncodeError`` until 2026-11-30 (a traceback that stopped the run, on every
    run while the log was there). Expected: U+FFFD in its place, as for an invalid byte."""
    chunk = (
        b'{"log":"GET /caf\\udcff 200\\n","stream":"stdout","time":"t"}\n'
        b'{"log":"two\\n","stream":"stdout","time":"t"}\n'
    )
    assert strip_envelope("docker", chunk) == "GET /caf\ufffd 200\ntwo\n".encode()


def test_docker_lone_high_surrogate_is_a_replacement_character_in_an_all_json_chunk():
    """A high surrogate that no low half follows (``\\ud83d``: a string cut inside an emoji by
    a writer counting UTF-16 units) was read by polars as U+0000 when every line of the chunk
    was JSON (as U+FFFD when one was not). Expected: U+FFFD on both lines that hold one, and a
    whole pair read as the character it makes (U+1F600)."""
    chunk = (
        b'{"log":"GET /caf\\ud83d 200\\n","stream":"stdout","time":"t"}\n'
        b'{"log":"GET /\\ud83d\\ude00 200\\n","stream":"stdout","time":"t"}\n'
        b'{"log":"two\\uD83D\\n","stream":"stdout","time":"t"}\n'
    )
    expected = "GET /caf\ufffd 200\nGET /\U0001f600 200\ntwo\ufffd\n".encode()
    assert strip_envelope("docker", chunk) == expected


def test_docker_newline_inside_a_value_keeps_one_line_per_line():
    """A value holding a newline before its last character (Docker never writes one; a writer
    of the format that does not split its lines may) was cut into two lines, so the lines after
    it were numbered one too far on. Expected: the newline stays escaped, ``\\n``, one output
    line per input line."""
    chunk = (
        b'{"log":"a\\nb\\n","stream":"stdout","time":"t"}\n'
        b'{"log":"c\\n","stream":"stdout","time":"t"}\n'
    )
    assert strip_envelope("docker", chunk) == b"a\\nb\nc\n"


def test_empty_chunk_and_unknown_name():
    assert strip_envelope("syslog", b"") == b""
    with pytest.raises(ConfigError, match="known envelopes: docker, cri, syslog") as info:
        strip_envelope("gelf", b"x\n")
    assert isinstance(info.value, ApisloError)
