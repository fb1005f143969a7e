"""Connection settings holding a lone surrogate, which UTF-8 cannot encode (Python holds a byte of
a command line or a variable that is not UTF-8 as one, ``\\udce9`` for a Latin-1 ``é``), are
refused in one line when the client is built, naming the setting, as queries are
(test_query_surrogates.py). Until 2026-11-29 a URL or path prefix holding one was accepted: its
requests carried bytes that are not UTF-8, and messages showed it as it is; a header value
holding one was "a character outside printable ASCII"."""

from __future__ import annotations

import pytest

from apislo.errors import ConfigError
from apislo.sources.prometheus import Prometheus, Transport

#: What to write instead, after "holds U+XXXX, half of a UTF-16 surrogate pair, ".
INSTEAD = (
    "which UTF-8 cannot hold: write the character itself, or its UTF-8 bytes percent-encoded "
    "(%C3%A9 for U+00E9)"
)


@pytest.mark.parametrize(
    ("url", "character"),
    [
        ("http://127.0.0.1:9/caf\udce9", "U+DCE9"),
        ("http://prom\ud83d.example:9090", "U+D83D"),
        ("http://ann:pw@127.0.0.1:9/\udc80/prometheus", "U+DC80"),
    ],
    ids=["path", "host", "after-credentials"],
)
def test_a_url_holding_one_is_refused_naming_it(url: str, character: str) -> None:
    with pytest.raises(ConfigError) as info:
        Prometheus(url, cache=False)
    assert str(info.value) == (
        f"the Prometheus URL holds {character}, half of a UTF-16 surrogate pair, {INSTEAD}"
    )


def test_a_path_prefix_holding_one_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError) as info:
        Transport(path_prefix="/prom\ud83d")
    assert (
        str(info.value) == f"path_prefix holds U+D83D, half of a UTF-16 surrogate pair, {INSTEAD}"
    )


def test_a_header_value_holding_one_is_refused_without_showing_it() -> None:
    """The value may be a key: neither it nor the character is shown."""
    with pytest.raises(ConfigError) as info:
        Prometheus("http://127.0.0.1:9", cache=False, headers={"X-Api-Key": "LEAK\ud83d"})
    assert str(info.value) == (
        "header X-Api-Key: its value has a lone surrogate (half of a UTF-16 surrogate pair, "
        "which UTF-8 cannot hold); a header value is one line of printable ASCII"
    )
