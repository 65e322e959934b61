"""Hypothesis strategies for rows: every JSON value a row may hold, integers from int64's
lowest to uint64's highest (the integers YT stores) included."""

from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=4),
    max_leaves=12,
)
rows_lists = st.lists(st.dictionaries(st.text(max_size=6), json_values, max_size=5), max_size=8)
