"""The writer's per-cell text checks, read off Arrow's buffers, agree with the same checks as Arrow kernels."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.outputs import xlsx

CHARS = st.sampled_from(["a", "张", " ", "\t", "\r", "\n", "\u3000", "=", "+", "-", "@", "&", "<", ">", "\x01", "\x1f",
                         "\ufffe", "\uffff", "𠀀", "0"])
VALUES = st.lists(st.one_of(st.none(), st.text(alphabet=CHARS, max_size=6)), max_size=10)


def oracle_formula(text: pa.Array) -> list[bool]:
    first = pc.utf8_slice_codeunits(text, 0, 1)
    return pc.fill_null(pc.is_in(first, value_set=pa.array(xlsx.FORMULA_CHARS)), False).to_pylist()


def oracle_space(text: pa.Array) -> list[bool]:
    spaces = pa.array(xlsx.SPACE_CHARS)
    first = pc.is_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=spaces)
    last = pc.is_in(pc.utf8_slice_codeunits(text, -1), value_set=spaces)
    return pc.fill_null(pc.or_(first, last), False).to_pylist()


def oracle_escaped(text: pa.Array) -> list[str | None]:
    text = pc.replace_substring_regex(text, xlsx.ILLEGAL_XML, "")
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, raw, entity)
    return text.to_pylist()


@settings(max_examples=400, deadline=None)
@given(VALUES, st.integers(0, 3), st.booleans())
def test_buffer_checks_match_the_kernels(values, offset, large):
    text = pa.array(["pad"] * offset + values, pa.large_string() if large else pa.string()).slice(offset)
    assert xlsx._starts_with_formula(text).to_pylist() == oracle_formula(text)
    assert xlsx._edge_space(text).to_pylist() == oracle_space(text)
    assert xlsx._xml_text(text).to_pylist() == oracle_escaped(text)
