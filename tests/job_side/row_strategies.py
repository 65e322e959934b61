"""Hypothesis strategies for rows: every JSON value a row may hold, integers from int64's
lowest to uint64's highest (the integers YT stores) included, and any key YT's JSON parser
takes: not one starting with a single "$", which it refuses (ytjobs/dollar_keys.py); "$$x"
spells the key "$x"."""

from hypothesis import strategies as st


def _taken(key: str) -> bool:
    return key[:1] != "$" or key[1:2] == "$"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=5).filter(_taken), inner, max_size=4),
    max_leaves=12,
)
rows_lists = st.lists(st.dictionaries(st.text(max_size=6).filter(_taken), json_values,
                                      max_size=5), max_size=8)
