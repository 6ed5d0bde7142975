"""Lists and retrieve (docs/medusa-behaviour.md §1.2, §6)."""

from __future__ import annotations

import pytest

from helpers import CAPTURED, YEN


def ids_of(response, key="payments"):
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()[key]]


def test_default_list_envelope_and_order(client, auth):
    body = client.get("/admin/payments", headers=auth).json()
    assert list(body) == ["payments", "count", "offset", "limit"]
    assert (body["count"], body["offset"], body["limit"]) == (10, 0, 20)
    ids = [p["id"] for p in body["payments"]]
    assert ids == sorted(ids)


def test_limit_offset(client, auth):
    everything = ids_of(client.get("/admin/payments", headers=auth))
    body = client.get("/admin/payments?limit=2&offset=2", headers=auth).json()
    assert [p["id"] for p in body["payments"]] == everything[2:4]
    assert (body["count"], body["offset"], body["limit"]) == (10, 2, 2)


def test_order_descending(client, auth):
    everything = ids_of(client.get("/admin/payments", headers=auth))
    assert ids_of(client.get("/admin/payments?order=-id", headers=auth)) == everything[::-1]


def test_bracket_id_filter_as_the_sdk_sends_it(client, auth):
    response = client.get(f"/admin/payments?id%5B0%5D={CAPTURED}&id%5B1%5D={YEN}", headers=auth)
    assert sorted(ids_of(response)) == sorted([CAPTURED, YEN])
    assert response.json()["count"] == 2


def test_comma_separated_id_is_one_id_not_two(client, auth):
    # observed on 2.21.2: not split, so nothing matches
    body = client.get(f"/admin/payments?id={CAPTURED},{YEN}", headers=auth).json()
    assert (body["payments"], body["count"]) == ([], 0)


def test_limit_zero_returns_no_rows_but_the_count(client, auth):
    body = client.get("/admin/payments?limit=0", headers=auth).json()
    assert body == {"payments": [], "count": 10, "offset": 0, "limit": 0}


def test_limit_is_parsed_like_parseint(client, auth):
    body = client.get("/admin/payments?limit=1.5&fields=id", headers=auth).json()
    assert (len(body["payments"]), body["limit"]) == (1, 1)


@pytest.mark.parametrize(
    "sent, limit",
    [
        ("0x10", 16),
        ("0X1f", 31),
        ("%0B5", 5),  # JavaScript whitespace first: \v, no-break space, BOM, line separator
        ("%C2%A05", 5),
        ("%EF%BB%BF5", 5),
        ("%E2%80%A85", 5),
    ],
)
def test_limit_takes_what_javascripts_parseint_takes(client, auth, sent, limit):
    # observed on 2.21.2 (found by the generated diff, seed 778, where \x1c was a 500)
    body = client.get(f"/admin/payments/payment-providers?limit={sent}", headers=auth).json()
    assert body["limit"] == limit


@pytest.mark.parametrize(
    "sent, shown",
    [
        ("0xg", "0xg"),
        ("%D9%A3", "\u0663"),  # an Arabic-Indic digit is no digit to parseInt
        ("%1C7", "\x1c7"),  # \x1c is no JavaScript whitespace
        ("%C2%855", "\x855"),
        ("1" + "0" * 400, "1" + "0" * 400),  # Infinity
        ("1" + "0" * 5000, "1" + "0" * 5000),
    ],
)
def test_limit_parseint_refuses_is_a_400_quoting_it(client, auth, sent, shown):
    response = client.get(f"/admin/payments/payment-providers?limit={sent}", headers=auth)
    assert (response.status_code, response.json()) == (
        400,
        {
            "type": "invalid_data",
            "message": f"Invalid request: Expected type: 'number' for field 'limit', got: '{shown}'",
        },
    )


def test_what_the_database_rejects_is_a_500(client, auth):
    for query in ("order=foo", "offset=-1", "limit=-1", "created_at%5B%24gt%5D=x"):
        response = client.get(f"/admin/payments?{query}", headers=auth)
        assert response.status_code == 500, query
        assert response.json() == {
            "code": "unknown_error",
            "type": "unknown_error",
            "message": "An unknown error occurred.",
        }


def test_with_deleted_must_be_a_boolean(client, auth):
    response = client.get("/admin/payments?with_deleted=yes", headers=auth)
    assert response.json() == {
        "type": "invalid_data",
        "message": "Invalid request: Expected type: 'boolean' for field 'with_deleted', got: 'yes'",
    }


def test_created_at_operators(client, auth):
    assert len(ids_of(client.get("/admin/payments?created_at%5B%24gt%5D=2020-01-01", headers=auth))) == 10
    assert ids_of(client.get("/admin/payments?created_at%5B%24lt%5D=2020-01-01", headers=auth)) == []


def test_filters_medusa_does_not_accept(client, auth):
    for name in ("currency_code", "provider_id", "payment_collection_id"):
        response = client.get(f"/admin/payments?{name}=usd", headers=auth)
        assert response.status_code == 400
        assert response.json() == {
            "type": "invalid_data",
            "message": f"Invalid request: Unrecognized fields: '{name}'",
        }


def test_limit_must_be_a_number(client, auth):
    response = client.get("/admin/payments?limit=abc", headers=auth)
    assert response.json() == {
        "type": "invalid_data",
        "message": "Invalid request: Expected type: 'number' for field 'limit', got: 'abc'",
    }


def test_q_is_accepted_with_no_effect_on_payments(client, auth):
    assert len(ids_of(client.get("/admin/payments?q=zzz", headers=auth))) == 10


def test_fields_on_lists(client, auth):
    body = client.get("/admin/payments?fields=id&limit=1", headers=auth).json()
    assert body["payments"] == [{"id": body["payments"][0]["id"]}]


def test_retrieve_unknown_payment_is_200_empty(client, auth):
    for path in ("/admin/payments/pay_does_not_exist", "/admin/payments/%20"):
        response = client.get(path, headers=auth)
        assert (response.status_code, response.content) == (200, b"{}")


def test_payment_providers(client, auth):
    response = client.get("/admin/payments/payment-providers", headers=auth)
    assert response.json() == {
        "payment_providers": [{"id": "pp_system_default", "is_enabled": True}],
        "count": 1,
        "offset": 0,
        "limit": 20,
    }
    response = client.get("/admin/payments/payment-providers?is_enabled=yes", headers=auth)
    assert response.json() == {"type": "invalid_data", "message": "Invalid request: Invalid input"}
    response = client.get("/admin/payments/payment-providers?is_enabled=false", headers=auth)
    assert response.json()["count"] == 0


def test_query_decoding_edge_cases_seen_on_the_real_server(client, auth):
    # each pinned against a running 2.21.2 by `make diff`
    many = "&".join(f"id%5B{i}%5D=pay_{i}" for i in range(26))
    assert client.get(f"/admin/payments?{many}", headers=auth).json()["count"] == 0
    assert client.get("/admin/payments?created_at%5Bfoo%5D=x", headers=auth).json()["count"] == 10
    assert client.get("/admin/payments?updated_at%5B%5D=null", headers=auth).json()["count"] == 0
    assert client.get("/admin/payments?order=", headers=auth).status_code == 500
    huge = client.get("/admin/payments?limit=37093707152609077480262729728&fields=id", headers=auth)
    assert huge.status_code == 200
    assert b'"limit":3.7093707152609077e+28' in huge.content
    # a JavaScript number below 1e21 is written in digits (found by the generated diff)
    for sent, shown in (
        ("9007199254740992.0", b"9007199254740992"),
        ("123456789012345678901", b"123456789012345680000"),
        ("99999999999999999999", b"100000000000000000000"),
    ):
        body = client.get(f"/admin/payments?limit={sent}&offset={sent}&fields=id", headers=auth)
        assert body.content.endswith(b'"offset":' + shown + b',"limit":' + shown + b"}")
        # an offset from 2^53 on skips no row (2^53 - 1 skips them all)
        assert len(body.json()["payments"]) == 10
    assert client.get("/admin/payments?offset=9007199254740991", headers=auth).json()["payments"] == []
    response = client.get("/admin/payments?created_at%5B%24in%5D=2024-01-01", headers=auth)
    assert response.json()["message"].startswith("Invalid request: ")
    assert "for field 'created_at, $in'" in response.json()["message"]
    response = client.get("/admin/payments?%24or=a&%24or=b", headers=auth)
    assert response.json() == {
        "type": "invalid_data",
        "message": "Invalid request: Field '$or, 0' is required; Field '$or, 1' is required",
    }


def test_limits_past_the_safe_integers_either_way_are_no_bound(client, auth):
    # observed on 2.21.2 (found by the generated diff, seed 808): from -2^53 down, a limit or
    # offset is left out of the query; -2^53 + 1 is still the database's refusal
    body = client.get("/admin/payments?fields=id&limit=-9007199254740992", headers=auth)
    assert (body.status_code, len(body.json()["payments"]), body.json()["limit"]) == (
        200,
        10,
        -9007199254740992,
    )
    body = client.get("/admin/payments?fields=id&offset=-9007199254740992&limit=3", headers=auth)
    assert (body.status_code, len(body.json()["payments"])) == (200, 3)
    for query in ("limit=-9007199254740991", "offset=-9007199254740991", "limit=-1e400"):
        response = client.get(f"/admin/payments?fields=id&{query}", headers=auth)
        assert (response.status_code, response.json()["type"]) == (500, "unknown_error"), query


def test_the_order_is_refused_before_the_fields(client, auth):
    # observed on 2.21.2 (seed 808): an unknown order column is the 500 whatever fields holds
    response = client.get("/admin/refund-reasons?order=foo&fields=__proto__", headers=auth)
    assert (response.status_code, response.json()["type"]) == (500, "unknown_error")
