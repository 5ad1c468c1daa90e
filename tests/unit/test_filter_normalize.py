"""shotgun_api3-style filters to the api3 wire form (api3-protocol.md §7.1), without a database."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shotlog.errors import FilterError
from shotlog.query.filters import check_wire, to_wire


def cond(path: str, relation: str, *values: Any) -> dict[str, Any]:
    return {"path": path, "relation": relation, "values": list(values)}


@pytest.mark.parametrize(
    ("item", "values"),
    [
        (["id", "in", 1, 2], [1, 2]),
        (["id", "in", [1, 2]], [1, 2]),
        (["id", "in", (1, 2)], [1, 2]),
        (["code", "is", None], [None]),
        (["code", "is", "s1"], ["s1"]),
        (["created_at", "in_last", 1, "DAY"], [1, "DAY"]),
        (["created_at", "in_last", [1, "DAY"]], [1, "DAY"]),
        (["id", "between", 1, 5], [1, 5]),
        (["id", "between", [1, 5]], [1, 5]),
        (["id", "in", []], []),
        (["code", "is"], []),
        # a link is one value, not a list of values
        (["entity", "is", {"type": "Shot", "id": 1}], [{"type": "Shot", "id": 1}]),
        # only a single list argument is unwrapped
        (["id", "in", [1, 2], [3]], [[1, 2], [3]]),
    ],
)
def test_values_follow_shotgun_api3(item: list[Any], values: list[Any]) -> None:
    assert to_wire([item]) == {
        "logical_operator": "and",
        "conditions": [{"path": item[0], "relation": item[1], "values": values}],
    }


@pytest.mark.parametrize(
    ("operator", "wire"),
    [
        (None, "and"),
        ("all", "and"),
        ("and", "and"),
        ("any", "or"),
        ("or", "or"),
        ("ANY", "or"),
        ("All", "and"),
    ],
)
def test_filter_operator(operator: str | None, wire: str) -> None:
    assert to_wire([["code", "is", "a"]], operator) == {
        "logical_operator": wire,
        "conditions": [cond("code", "is", "a")],
    }


def test_empty_and_none_filters() -> None:
    assert to_wire([]) == {"logical_operator": "and", "conditions": []}
    assert to_wire(None) == {"logical_operator": "and", "conditions": []}
    assert to_wire((), "any") == {"logical_operator": "or", "conditions": []}


def test_nested_groups() -> None:
    filters = [
        ["code", "is", "s1"],
        {
            "filter_operator": "any",
            "filters": [
                ["id", "in", [1, 2]],
                {
                    "filter_operator": "all",
                    "filters": [
                        ["sg_status_list", "is_not", "fin"],
                        {"filters": [["sg_cut_in", "between", 1, 10]]},
                    ],
                },
            ],
        },
    ]
    assert to_wire(filters) == {
        "logical_operator": "and",
        "conditions": [
            cond("code", "is", "s1"),
            {
                "logical_operator": "or",
                "conditions": [
                    cond("id", "in", 1, 2),
                    {
                        "logical_operator": "and",
                        "conditions": [
                            cond("sg_status_list", "is_not", "fin"),
                            {"logical_operator": "and", "conditions": [cond("sg_cut_in", "between", 1, 10)]},
                        ],
                    },
                ],
            },
        ],
    }


def test_a_top_level_group_dict() -> None:
    assert to_wire({"filter_operator": "any", "filters": [["code", "is", "a"], ["code", "is", "b"]]}) == {
        "logical_operator": "or",
        "conditions": [cond("code", "is", "a"), cond("code", "is", "b")],
    }


def test_wire_form_passes_through() -> None:
    wire = {
        "logical_operator": "or",
        "conditions": [
            cond("code", "is", "s1"),
            {"logical_operator": "and", "conditions": [cond("id", "in", 1, 2), cond("project", "is", None)]},
        ],
    }
    before = copy.deepcopy(wire)
    assert to_wire(wire) == before
    assert to_wire(wire, "any") == before  # the operator of a wire dict is its own
    assert wire == before
    assert check_wire(wire) == before
    assert check_wire(wire) is not wire


def test_wire_pieces_inside_a_list() -> None:
    filters = [
        {"path": "code", "relation": "is", "values": ["s1"]},
        {"logical_operator": "or", "conditions": [{"path": "id", "relation": "is", "values": 3}]},
        {"conditions": [cond("id", "is", 4)]},
    ]
    assert to_wire(filters) == {
        "logical_operator": "and",
        "conditions": [
            cond("code", "is", "s1"),
            {"logical_operator": "or", "conditions": [cond("id", "is", 3)]},  # a scalar becomes [value]
            {"logical_operator": "and", "conditions": [cond("id", "is", 4)]},
        ],
    }
    # a wire condition with no values has none; tuples become lists
    assert check_wire({"conditions": [{"path": "code", "relation": "is"}]}) == {
        "logical_operator": "and",
        "conditions": [cond("code", "is")],
    }
    assert check_wire({"conditions": ({"path": "id", "relation": "in", "values": (1, 2)},)}) == {
        "logical_operator": "and",
        "conditions": [cond("id", "in", 1, 2)],
    }
    # a shotgun_api3 group inside a wire group
    assert check_wire({"conditions": [{"filter_operator": "any", "filters": [["id", "is", 1]]}]}) == {
        "logical_operator": "and",
        "conditions": [{"logical_operator": "or", "conditions": [cond("id", "is", 1)]}],
    }


def test_input_is_not_modified() -> None:
    filters = [["id", "in", [1, 2]], {"filter_operator": "any", "filters": [["code", "is", "a"]]}]
    before = copy.deepcopy(filters)
    wire = to_wire(filters)
    assert filters == before
    wire["conditions"][0]["values"].append(3)
    assert filters == before


@pytest.mark.parametrize(
    ("filters", "operator", "needle"),
    [
        ("code is s1", None, "code is s1"),
        (5, None, "5"),
        (b"code", None, "code"),
        (["code", "is", "s1"], None, "'code'"),
        ([["code"]], None, "['code']"),
        ([[]], None, "[]"),
        ([[5, "is", 1]], None, "5"),
        ([["", "is", 1]], None, "''"),
        ([[None, "is", 1]], None, "None"),
        ([["code", None, 1]], None, "None"),
        ([["code", 5, 1]], None, "5"),
        ([5], None, "5"),
        ([None], None, "None"),
        ([{"foo": 1}], None, "foo"),
        ([{"filter_operator": "any"}], None, "None"),
        ([{"filter_operator": "any", "filters": "abc"}], None, "abc"),
        ([{"filter_operator": "sometimes", "filters": []}], None, "sometimes"),
        ([["code", "is", "a"]], "xor", "xor"),
        ([["code", "is", "a"]], 1, "1"),
        ({"logical_operator": "xor", "conditions": []}, None, "xor"),
        ({"logical_operator": "AND", "conditions": []}, None, "AND"),
        ({"logical_operator": "and", "conditions": "x"}, None, "'x'"),
        ({"logical_operator": "and", "conditions": [5]}, None, "5"),
        ({"logical_operator": "and", "conditions": [{"path": "code", "values": [1]}]}, None, "None"),
        ({"logical_operator": "and", "conditions": [{"relation": "is", "values": [1]}]}, None, "None"),
        ({"conditions": [{"logical_operator": "nand", "conditions": []}]}, None, "nand"),
        ({"foo": "bar"}, None, "foo"),
    ],
)
def test_malformed_filters(filters: Any, operator: Any, needle: str) -> None:
    with pytest.raises(FilterError) as info:
        to_wire(filters, operator)
    assert needle in str(info.value)


def test_bounds_keep_filters_within_what_both_databases_compile() -> None:
    from shotlog.query.filters import MAX_CONDITIONS, MAX_DEPTH, MAX_VALUES

    assert len(to_wire([["id", "is", i] for i in range(MAX_CONDITIONS)])["conditions"]) == MAX_CONDITIONS
    with pytest.raises(FilterError, match=f"have {MAX_CONDITIONS + 1} conditions; at most {MAX_CONDITIONS}"):
        to_wire([["id", "is", i] for i in range(MAX_CONDITIONS + 1)])
    with pytest.raises(FilterError, match=f"at most {MAX_VALUES} are allowed"):
        to_wire([["id", "in", list(range(MAX_VALUES + 1))]])
    nested: Any = [["id", "is", 1]]
    for _ in range(MAX_DEPTH):
        nested = [{"filter_operator": "any", "filters": nested}]
    with pytest.raises(FilterError, match=f"more than {MAX_DEPTH} levels"):
        to_wire(nested)
