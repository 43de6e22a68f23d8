"""The counter-based generators: a day's numbers depend on its key and its index only, never on
which range or how many draws asked for them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.generation.rng import CounterStream, counter_uniforms, counter_words

KEYS = st.integers(min_value=0, max_value=2**64 - 1)
DAYS = st.integers(min_value=1, max_value=3_652_059)  # the ordinals of 0001-01-01 to 9999-12-31
CHECK = settings(max_examples=50, deadline=None)


@CHECK
@given(key=KEYS, first=DAYS, before=st.integers(0, 40), count=st.integers(1, 40), width=st.integers(1, 40))
def test_a_days_row_is_the_same_whatever_range_draws_it(key: int, first: int, before: int, count: int, width: int) -> None:
    wide = counter_uniforms(key, max(first - before, 1), count + before, width)
    alone = counter_uniforms(key, first, count, width)
    offset = first - max(first - before, 1)
    assert (wide[offset : offset + count] == alone).all()
    assert ((0 <= alone) & (alone < 1)).all()


@CHECK
@given(key=KEYS, block=DAYS, draws=st.integers(1, 300))
def test_a_counter_stream_reads_one_blocks_words_in_order(key: int, block: int, draws: int) -> None:
    stream = CounterStream(key, block)
    drawn = [stream.random() for _ in range(draws)]  # the stream extends itself as it goes
    words = counter_words(key, block, draws).tolist()
    assert drawn == [((w >> 11) * 2 + 1) * 2.0**-54 for w in words]
    assert all(0 < u < 1 for u in drawn)
    other = CounterStream(key, block + 1)
    assert [other.random() for _ in range(5)] != drawn[:5]
