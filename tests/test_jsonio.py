"""Fast JSON parsing must read exactly what the standard library reads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.jsonio import dumps_sorted, parse

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_parse_agrees_with_the_standard_library(value: object) -> None:
    data = json.dumps(value).encode()
    assert parse(data) == json.loads(data)


def test_long_integers_stay_exact() -> None:
    data = b'{"order": 123456789012345678901234567890, "n": 9223372036854775808}'
    assert parse(data) == {"order": 123456789012345678901234567890, "n": 9223372036854775808}
    assert isinstance(parse(data)["order"], int)


def test_what_orjson_refuses_gets_the_standard_errors_or_values() -> None:
    assert parse(b'{"x": NaN}')["x"] != parse(b'{"x": NaN}')["x"]  # NaN, as json reads it
    assert parse(b'"\\ud800"') == "\ud800"
    with pytest.raises(json.JSONDecodeError, match="line 1 column 5"):
        parse(b"[1, ")


def test_sorted_dumps_is_canonical() -> None:
    assert dumps_sorted({"b": 1, "a": [2, {"d": 1, "c": 2}]}) == dumps_sorted(
        {"a": [2, {"c": 2, "d": 1}], "b": 1}
    )
    assert dumps_sorted({"big": 2**70}) == b'{"big":1180591620717411303424}'
