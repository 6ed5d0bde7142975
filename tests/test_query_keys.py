"""Query keys as Medusa's query validation sees them (web/parsing.py ``normalize_query``):
a dot splits a key into a parent and a child, two dots are a 500, and keys come in
JavaScript's object order. Every answer here was observed on a real 2.21.2."""

from __future__ import annotations

import pytest

from mock_server.web.parsing import js_ordered, normalize_query

UNRECOGNIZED = "Invalid request: Unrecognized fields: '{}'"


@pytest.mark.parametrize(
    "query, status, type_, message",
    [
        ("a.b=1", 400, "invalid_data", UNRECOGNIZED.format("a")),
        ("a=1&a.b=2", 400, "invalid_data", UNRECOGNIZED.format("a")),
        ("a.=1", 400, "invalid_data", UNRECOGNIZED.format("a")),
        (".a=1", 400, "invalid_data", UNRECOGNIZED.format("")),
        ("zz=1&10=2&a=3", 400, "invalid_data", UNRECOGNIZED.format("10, zz, a")),
        ("b=1&2=1&1=1&a=1", 400, "invalid_data", UNRECOGNIZED.format("1, 2, b, a")),
        ("a.b.c=1&d=2", 500, "invalid_argument", "Key accessor more than 2 levels deep: a.b.c"),
        # qs keeps what decodeURIComponent refuses as it came
        ("%E9=1", 400, "invalid_data", UNRECOGNIZED.format("%E9")),
        ("a%zz=1", 400, "invalid_data", UNRECOGNIZED.format("a%zz")),
        ("a+b=1", 400, "invalid_data", UNRECOGNIZED.format("a b")),
        (
            "fields.x=1",
            400,
            "invalid_data",
            "Invalid request: Expected type: 'string' for field 'fields', got: '[object Object]'",
        ),
        (
            "limit=5&limit.x=2",
            400,
            "invalid_data",
            "Invalid request: Expected type: 'number' for field 'limit', got: '[object Object]'",
        ),
        (
            "id.x=2&id.y=3",
            400,
            "invalid_data",
            "Invalid request: Expected type: 'string, array' for field 'id', got: '[object Object]'",
        ),
        (
            "fields%5B%5D=id,amount",
            400,
            "invalid_data",
            "Invalid request: Expected type: 'string' for field 'fields', got: 'id,amount'",
        ),
    ],
)
def test_query_keys_as_medusa_reads_them(client, auth, query, status, type_, message):
    response = client.get(f"/admin/payments?{query}", headers=auth)
    assert response.status_code == status
    assert response.json()["type"] == type_
    assert response.json()["message"] == message


def test_two_dots_on_a_write_route_change_nothing(client, auth):
    from helpers import CAPTURED

    before = client.get(f"/admin/payments/{CAPTURED}", headers=auth).json()
    response = client.post(f"/admin/payments/{CAPTURED}/refund?x.y.z=1", json={"amount": 1}, headers=auth)
    assert (response.status_code, response.json()["type"]) == (500, "invalid_argument")
    assert client.get(f"/admin/payments/{CAPTURED}", headers=auth).json() == before


def test_normalize_query_merges_as_object_spread_does():
    assert normalize_query({"a": "xy", "a.b": "1"}) == {"a": {"0": "x", "1": "y", "b": "1"}}
    assert normalize_query({"a.b": "1", "a.c": "2"}) == {"a": {"b": "1", "c": "2"}}
    assert normalize_query({"f": ["a,b"]}) == {"f": ["a", "b"]}
    assert list(js_ordered({"b": 1, "10": 2, "2": 3, "01": 4, "4294967295": 5})) == [
        "2",
        "10",
        "b",
        "01",
        "4294967295",
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/refund-reasons?id=&updated_at%5B%24ne%5D=true",
        "/admin/payments?id=zz&updated_at%5B%24like%5D=x",
        "/admin/refund-reasons?created_at%5B%24in%5D%5B0%5D=bad",
    ],
)
def test_a_filter_postgresql_refuses_is_a_500_even_when_no_row_matches(client, auth, path):
    # observed on 2.21.2: the database refuses the query itself, whatever the rows
    response = client.get(path, headers=auth)
    assert (response.status_code, response.json()["type"]) == (500, "unknown_error")


@pytest.mark.parametrize(
    "query, message",
    [
        ("updated_at%5B%24in%5D=x", "Expected type: 'array' for field 'updated_at, $in', got: 'x'"),
        (
            "updated_at%5B%24in%5D=x&updated_at%5B%24nin%5D=y",
            "Expected type: 'array, array' for field 'updated_at, $in', got: 'x'",
        ),
        (
            "updated_at%5B%24nin%5D=y&updated_at%5B%24in%5D=x",
            "Expected type: 'array, array' for field 'updated_at, $in', got: 'x'",
        ),
        (
            "updated_at%5B%24in%5D=x&updated_at%5B%24gt%5D%5Ba%5D=1",
            "Expected type: 'array, string' for field 'updated_at, $in', got: 'x'",
        ),
        (
            "updated_at%5B%24gt%5D%5Ba%5D=1&updated_at%5B%24lt%5D%5Bb%5D=1",
            "Expected type: 'string, string' for field 'updated_at, $gt', got: '[object Object]'",
        ),
        # a union failed inside the operator object is no issue Medusa words
        ("deleted_at%5B%24eq%5D%5Ba%5D=1", "Invalid input"),
        (
            "deleted_at%5B%24eq%5D%5Ba%5D=1&deleted_at%5B%24in%5D=x",
            "Expected type: 'array' for field 'deleted_at, $in', got: 'x'",
        ),
        (
            "created_at%5B%24eq%5D%5Ba%5D=1&updated_at%5B%24in%5D=x",
            "Invalid input; Expected type: 'array' for field 'updated_at, $in', got: 'x'",
        ),
        # a value inside a list is not found by Medusa's lookup: a missing field, or undefined
        ("deleted_at%5B%24in%5D%5B0%5D%5Ba%5D=1", "Field 'deleted_at, $in, 0' is required"),
        (
            "deleted_at%5B%24in%5D%5B0%5D%5Ba%5D=1&deleted_at%5B%24nin%5D=x",
            "Expected type: 'array' for field 'deleted_at, $in, 0', got: 'undefined'",
        ),
        ("id%5B0%5D%5Ba%5D=1", "Expected type: 'string' for field 'id', got: '[object Object]'"),
        (
            "id%5B%5D=ok&id%5B1%5D%5Ba%5D=1",
            "Expected type: 'string' for field 'id', got: 'ok,[object Object]'",
        ),
        # the same words twice are two issues
        ("created_at%5B%24eq%5D%5Ba%5D=1&updated_at%5B%24eq%5D%5Ba%5D=1", "Invalid input; Invalid input"),
    ],
)
def test_a_failed_union_is_worded_as_medusas_format_error_does(client, auth, query, message):
    """Observed on 2.21.2 (the later cases found by the generated differential, seed 772):
    Medusa flattens the union's branches' issues one level, names the types of those whose
    value it finds by walking plain objects only (in the schema's order, at the first one's
    path, with its value), and else the first one it does not find as missing."""
    response = client.get(f"/admin/refund-reasons?{query}", headers=auth)
    assert (response.status_code, response.json()) == (
        400,
        {"type": "invalid_data", "message": f"Invalid request: {message}"},
    )


@pytest.mark.parametrize(
    "query",
    [
        "constructor=1",
        "%63onstructor=1",
        "__proto__%5Ba%5D=1",
        "%5Bconstructor%5D=1",
        "id%5B__proto__%5D=x",
        "deleted_at%5B%24in%5D%5BtoString%5D=x",
        "foo%5Ba%5D%5Bb%5D%5Bc%5D%5Bd%5D%5Bconstructor%5D=1",
    ],
)
def test_a_key_naming_an_object_prototype_property_is_dropped(client, auth, query):
    # observed on 2.21.2: qs without allowPrototypes drops the whole parameter
    response = client.get(f"/admin/refund-reasons?{query}", headers=auth)
    assert response.status_code == 200
    assert response.json()["count"] == 3


@pytest.mark.parametrize(
    "query, unrecognized",
    [
        ("foo=1&toString=2&bar=3", "foo, bar"),
        ("foo=1&__proto__=2", "foo"),
        # past qs's depth of five the rest of the key is not looked at
        ("foo%5Ba%5D%5Bb%5D%5Bc%5D%5Bd%5D%5Be%5D%5Bconstructor%5D=1", "foo"),
    ],
)
def test_only_the_parameters_naming_prototype_properties_are_dropped(client, auth, query, unrecognized):
    response = client.get(f"/admin/refund-reasons?{query}", headers=auth)
    assert (response.status_code, response.json()) == (
        400,
        {"type": "invalid_data", "message": f"Invalid request: Unrecognized fields: '{unrecognized}'"},
    )
