"""Tokens: credentials that no name gives away, found by their shape, with one definition for
the two places that hide them: route templating writes a path segment holding one as ``{id}``
(:func:`~apislo.sources.logs.normalise.template_route`), and the quarantine writes one in a
rejected line as ``REDACTED`` (:func:`~apislo.sources.logs.fields.scrub_line_secrets`).

A token is a JSON Web Token (``eyJ...``: header.payload.signature, a bearer credential in a
magic link's path) or a run of 20 or more base64url characters (``A-Z a-z 0-9 - _``) that mixes
upper-case letters, lower-case letters and digits: an API key, a bot token
(``/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe``), a signed URL's signature. The
rule takes Datadog's: its tracers' endpoint inference makes a parameter of any path segment of
20 characters or more; requiring the three kinds of character in one run spares route words
that long (``notification-preferences``, ``customer_subscriptions_v2``,
``apiextensions.k8s.io``), while a random base64url token of 22 characters (16 bytes) has all
three 97% of the time, of 43 (32 bytes) 99.9%. A camel-case name with a digit that long
(``getOAuth2AccessTokens``) is taken for one.

The test that a run mixes the three needs the runs one by one, which one regex cannot do
(polars' has no look-ahead): :func:`token_rows` finds the texts that may hold one with one or
two searches (most hold no run that long: about 0.1 µs a route, 0.5 µs a log line of 200
bytes), and only those are cut into pieces.

A route's segment holding a token is ``{id}`` whole; in a line only the token goes, so that
the rest stays as written, and a JSON Web Token goes wherever it starts a run (in a route it
must be the whole segment, its extension aside): the quarantine errs on the side of hiding.

A percent-escape (``%2F``, an encoded ``/``) is one character, as a path's ``/`` or ``%`` is:
it ends a run, in routes and lines alike, and its hex digits are no part of the run after it
(:data:`PERCENT_ESCAPE`). Until 2026-11-30 they were: ``/a%2FAAHdq...`` lost its ``2F`` to the
token (``/a%REDACTED``), a JSON Web Token after one was not seen whole (its payload kept in
clear), and a word after one took a digit and a capital from it, so that
``/files/a%2Fnotification-preferences`` was taken for a token (``/files/{id}``).
"""

from __future__ import annotations

import polars as pl

from apislo.text import JWT

__all__ = [
    "JWT",
    "PERCENT_ESCAPE",
    "REDACTED",
    "TOKEN_RUN",
    "is_token",
    "redact_tokens",
    "token_rows",
    "token_runs",
]

#: The base64url alphabet (RFC 4648's URL-safe one), as the body of a regex class.
_BASE64URL = "A-Za-z0-9_-"
#: A run of base64url characters long enough to be a token's (when it mixes the three kinds of
#: character: :func:`is_token`).
TOKEN_RUN = rf"[{_BASE64URL}]{{20,}}"
#: An upper-case letter and a digit in one run of base64url characters, as a token's holds.
_UPPER_AND_DIGIT = rf"[A-Z][{_BASE64URL}]*[0-9]|[0-9][{_BASE64URL}]*[A-Z]"
#: A percent-escape in a URL (``%2F``): one character, no part of a run, in a route as in a
#: line (a path keeps it as the client sent it).
PERCENT_ESCAPE = "%[0-9A-Fa-f]{2}"
#: An escape as NGINX (``\x22``) or JSON (``\u0022``, ``\n``, ``\t``, ``\\``...) writes a
#: character, or a :data:`PERCENT_ESCAPE`: no part of a run, so that its letter or hex digits do
#: not lengthen the run after it (``\"`` and ``\/`` end one anyway). Until 2026-11-30 a JSON
#: escape written with a letter was taken into the run after it: a token there went with the
#: escape's letter (``\REDACTED``, no JSON any more), and a JSON Web Token there was not seen
#: whole; so were a percent-escape's hex digits.
_ESCAPE = rf"(?:\\(?:x[0-9A-Fa-f]{{2}}|u[0-9A-Fa-f]{{4}}|[\\bfnrt])|{PERCENT_ESCAPE})"
#: A :data:`JWT` in a line, where a run starts (after the line's start, another character or an
#: escape: not ``heyJude.mp3.bak``); group 1 is what comes before it.
_LINE_JWT = rf"(^|{_ESCAPE}|[^{_BASE64URL}])(?:{JWT})"
#: Text between two :data:`TOKEN_RUN` runs: other characters, escapes, and runs of 1 to 19
#: base64url characters, each with the character or escape after it, or the line's end (so that
#: it never stops in a run).
_BETWEEN = (
    rf"(?:{_ESCAPE}|[^{_BASE64URL}]"
    rf"|[{_BASE64URL}]{{1,19}}(?:{_ESCAPE}|[^{_BASE64URL}]|$))+"
)
#: The pieces a line is cut into, which put together give it back: :data:`TOKEN_RUN` runs and
#: the text between them.
_PIECE = rf"{TOKEN_RUN}|{_BETWEEN}"
#: What a token in a line is replaced by, as the quarantine's other credentials are.
REDACTED = "REDACTED"


def token_rows(texts: pl.Series) -> pl.Series:
    """The indices (UInt32) of ``texts`` that may hold a :data:`TOKEN_RUN` token: those holding
    such a run, and in one run an upper-case letter and a digit. The others hold none."""
    rows = texts.str.contains(TOKEN_RUN).fill_null(False).arg_true()
    if rows.is_empty():
        return rows
    return rows.filter(texts.gather(rows).str.contains(_UPPER_AND_DIGIT).fill_null(False))


def token_runs(texts: pl.Expr) -> pl.Expr:
    """Polars expression: each text's :data:`TOKEN_RUN` runs, as a list (for
    :func:`is_token`); a :data:`PERCENT_ESCAPE` ends a run and is no part of the next, as in
    :func:`redact_tokens`."""
    return texts.str.replace_all(PERCENT_ESCAPE, "%").str.extract_all(TOKEN_RUN)


def is_token(text: pl.Expr) -> pl.Expr:
    """Polars expression: whether texts (runs of base64url characters, path segments'
    pieces...) are each one :data:`TOKEN_RUN` that mixes upper-case letters, lower-case letters
    and digits."""
    kinds = text.str.contains("[A-Z]") & text.str.contains("[a-z]") & text.str.contains("[0-9]")
    return text.str.contains(f"^{TOKEN_RUN}$") & kinds


def redact_tokens(lines: pl.Series) -> pl.Series:
    """``lines`` (whole log lines) with each token written :data:`REDACTED`, the rest of each
    line as it was: a :data:`JWT` where a run of base64url characters starts, and a run that
    :func:`is_token` takes (a run ends at any other character, and at an NGINX or JSON escape,
    ``\\x22``, or a percent-escape, ``%2F``).

    Lines that may hold neither (:func:`token_rows`, and no ``eyJ``) are kept as they are, after
    one to three searches; only the others are cut into pieces (runs of 20 or more and the text
    between them).
    """
    rows = token_rows(lines)
    jwt_rows = lines.str.contains("eyJ", literal=True).fill_null(False).arg_true()
    if not jwt_rows.is_empty():
        rows = pl.concat([rows, jwt_rows]).unique().sort()
    if rows.is_empty():
        return lines
    piece = pl.element()
    redacted = pl.when(is_token(piece)).then(pl.lit(REDACTED)).otherwise(piece)
    without_jwt = lines.gather(rows).str.replace_all(_LINE_JWT, f"${{1}}{REDACTED}")
    fixed = without_jwt.str.extract_all(_PIECE).list.eval(redacted).list.join("")
    return lines.clone().scatter(rows, fixed)
