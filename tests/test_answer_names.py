"""The answer cache names what an answer depends on (answers.py ``named``): two requests that differ
in any part, in how many parts they have (a header more) or in their body never share a name, so
one never gets the other's cached answer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.answers import named

# Few characters, NUL among them: the separator is where a naive join would confuse two requests.
TEXT = st.text(alphabet=st.sampled_from("ab\x00=/"), max_size=5)
PARTS = st.lists(TEXT, min_size=1, max_size=5)
TAIL = st.binary(max_size=6).map(lambda raw: raw.replace(b"\x01", b"\x00"))


@settings(max_examples=400, deadline=None)
@given(first=PARTS, second=PARTS, first_tail=TAIL, second_tail=TAIL)
def test_different_requests_never_share_a_name(
    first: list[str], second: list[str], first_tail: bytes, second_tail: bytes
) -> None:
    same = (first, first_tail) == (second, second_tail)
    assert (named(first, first_tail) == named(second, second_tail)) == same


def test_a_header_more_is_not_a_body_that_spells_it() -> None:
    """The same request with one header more, and with a body that spells that header after it."""
    parts = ["request", "botpress", "/v1/admin/bots/b/analytics", "", "None", ""]
    assert named([*parts, "x-trace", "1"], b"") != named(parts, b"x-trace\x001\x00")
    assert named([*parts, "x-trace", "1"], b"") == named([*parts, "x-trace", "1"], b"")
