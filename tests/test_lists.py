"""Lists and retrieve (medusa-behaviour.md §1.2, §6)."""

from __future__ import annotations

from conftest import CAPTURED, YEN


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


def test_comma_separated_id(client, auth):
    assert sorted(ids_of(client.get(f"/admin/payments?id={CAPTURED},{YEN}", headers=auth))) == \
        sorted([CAPTURED, YEN])


def test_created_at_operators(client, auth):
    assert len(ids_of(client.get("/admin/payments?created_at%5B%24gt%5D=2020-01-01", headers=auth))) == 10
    assert ids_of(client.get("/admin/payments?created_at%5B%24lt%5D=2020-01-01", headers=auth)) == []


def test_filters_medusa_does_not_accept(client, auth):
    for name in ("currency_code", "provider_id", "payment_collection_id"):
        response = client.get(f"/admin/payments?{name}=usd", headers=auth)
        assert response.status_code == 400
        assert response.json() == {"type": "invalid_data",
                                   "message": f"Invalid request: Unrecognized fields: '{name}'"}


def test_limit_must_be_a_number(client, auth):
    response = client.get("/admin/payments?limit=abc", headers=auth)
    assert response.json() == {"type": "invalid_data",
                               "message": "Invalid request: Expected type: 'number' for field 'limit', got: 'abc'"}


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
    assert response.json() == {"payment_providers": [{"id": "pp_system_default", "is_enabled": True}],
                               "count": 1, "offset": 0, "limit": 20}
    response = client.get("/admin/payments/payment-providers?is_enabled=yes", headers=auth)
    assert response.json() == {"type": "invalid_data", "message": "Invalid request: Invalid input"}
    response = client.get("/admin/payments/payment-providers?is_enabled=false", headers=auth)
    assert response.json()["count"] == 0
