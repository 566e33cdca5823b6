"""The vectorized masks (lists of a million rows) give exactly what the one-value masks give."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.masking import mask_id, mask_id_series, mask_name, mask_name_series

TEXT = st.text(alphabet=st.sampled_from("0123456789X张三丰欧阳娜·𠀀 "), max_size=22)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=12))
def test_series_masks_are_the_value_masks(values):
    series = pd.Series(values, dtype="str")
    names = mask_name_series(series).tolist()
    ids = mask_id_series(series).tolist()
    for value, name, id_masked in zip(values, names, ids, strict=True):
        assert name == mask_name(value)
        assert (id_masked if value is not None else None) == (mask_id(value) if value is not None else None)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="0123456789X", min_size=18, max_size=18), min_size=1, max_size=8))
def test_a_list_of_standard_ids_masks_as_each_one_does(values):
    assert mask_id_series(pd.Series(values)).tolist() == [mask_id(v) for v in values]
