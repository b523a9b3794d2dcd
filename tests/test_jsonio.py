"""Fast JSON parsing must read exactly what the standard library reads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.core.jsonio import NonFiniteNumber, dumps_sorted, non_finite, parse

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
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
    assert parse(b'"\\ud800"') == "\ud800"
    with pytest.raises(json.JSONDecodeError, match="line 1 column 5"):
        parse(b"[1, ")


def test_sorted_dumps_is_canonical() -> None:
    assert dumps_sorted({"b": 1, "a": [2, {"d": 1, "c": 2}]}) == dumps_sorted(
        {"a": [2, {"c": 2, "d": 1}], "b": 1}
    )
    assert dumps_sorted({"big": 2**70}) == b'{"big":1180591620717411303424}'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'{"meta": {"amount": NaN}}',
            "'meta.amount' is NaN, which is not a number JSON can carry",
        ),
        (b"[1, -Infinity]", "'[1]' is -Infinity, which is not a number JSON can carry"),
        (
            b'{"a": [{"b": 1e999}]}',
            "'a[0].b' is 1e999, a number beyond the range that can be stored",
        ),
        (b"Infinity", "the value is Infinity, which is not a number JSON can carry"),
    ],
)
def test_numbers_json_cannot_carry_are_refused_with_their_place(data: bytes, message: str) -> None:
    with pytest.raises(NonFiniteNumber) as caught:
        parse(data)
    assert str(caught.value) == message and isinstance(caught.value, ValueError)
    kept = parse(data, allow_non_finite=True)  # for callers that reject record by record
    found = non_finite(kept)
    assert found is not None and found.path == caught.value.path


def test_tiny_and_large_finite_numbers_are_kept() -> None:
    assert parse(b"[1e-999, 1.7976931348623157e308, -0.0]") == [0.0, 1.7976931348623157e308, -0.0]
    assert non_finite({"a": [1.5, {"b": 2}]}) is None
