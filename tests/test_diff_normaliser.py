"""`make diff`'s comparison: what the real backend does not guarantee is not compared, every real
difference still is (no real backend needed)."""

from __future__ import annotations

import json

from mock_server.tooling.diff import Answer, Side, compare_bodies

KNOWN = {
    "pay_01M8M4AWAAAAAAAAAAAAAAAAAA",
    "ref_01M8M4AWDW3RWMY2C46M2P5XX1",
    "ref_01M8M4AWZNX6K1XBGREF6YRHG9",
    "ref_01M8M4AWQQQQQQQQQQQQQQQQQQ",
    "capt_01M8M4AWCCCCCCCCCCCCCCCCCC",
}
PAY = "pay_01M8M4AWAAAAAAAAAAAAAAAAAA"
R1, R2, R3 = (
    "ref_01M8M4AWDW3RWMY2C46M2P5XX1",
    "ref_01M8M4AWZNX6K1XBGREF6YRHG9",
    "ref_01M8M4AWQQQQQQQQQQQQQQQQQQ",
)


def refund(rid: str, amount: float = 10, note: str | None = None) -> dict:
    return {"id": rid, "amount": amount, "note": note, "created_at": "2026-01-01T00:00:00.000Z"}


def diffs(mock: dict, real: dict) -> list[str]:
    side = Side("x", "http://127.0.0.1:1", KNOWN)
    try:
        found = compare_bodies(
            "step",
            Answer(200, [], json.dumps(mock).encode()),
            Answer(200, [], json.dumps(real).encode()),
            side,
            side,
        )
    finally:
        side.client.close()
    return [f"{d.where}: {d.mock} != {d.real}" for d in found]


def test_equal_content_relation_items_in_another_order_compare_equal():
    # the failure a fresh clone met: two refunds equal but for their (snapshot) id, listed in
    # the other order by PostgreSQL
    mock = {"payments": [{"id": PAY, "refunds": [refund(R1), refund(R3, 5), refund(R2)]}]}
    real = {"payments": [{"id": PAY, "refunds": [refund(R2), refund(R3, 5), refund(R1)]}]}
    assert diffs(mock, real) == []


def test_relation_arrays_are_unordered_at_every_depth():
    def body(order: list) -> dict:
        return {
            "payment": {
                "id": PAY,
                "payment_collection": {
                    "id": "pay_col_x",
                    "payments": [
                        {
                            "id": PAY,
                            "captures": [
                                {"id": "capt_01M8M4AWCCCCCCCCCCCCCCCCCC", "amount": 5},
                                {"id": "capt_new_on_this_side", "amount": 5},
                            ][:: order[0]],
                            "refunds": [refund(R1), refund(R2, 3)][:: order[1]],
                        }
                    ],
                    "payment_providers": [{"id": "pp_system_default"}, {"id": "pp_other"}][:: order[2]],
                },
            }
        }

    assert diffs(body([1, 1, 1]), body([-1, -1, -1])) == []


def test_new_ids_on_each_side_compare_equal_in_any_order():
    # ids made during the run differ between the two sides: masked, then compared as content
    mock = {
        "payment": {
            "id": PAY,
            "refunds": [
                refund("ref_01M8M5AAAAAAAAAAAAAAAAAAAA", 1),
                refund("ref_01M8M5BBBBBBBBBBBBBBBBBBBB", 2),
            ],
        }
    }
    real = {
        "payment": {
            "id": PAY,
            "refunds": [
                refund("ref_01M8M5ZZZZZZZZZZZZZZZZZZZZ", 2),
                refund("ref_01M8M5YYYYYYYYYYYYYYYYYYYY", 1),
            ],
        }
    }
    assert diffs(mock, real) == []


def test_a_real_content_difference_in_a_relation_is_still_reported():
    mock = {"payment": {"id": PAY, "refunds": [refund(R1), refund(R2)]}}
    real = {"payment": {"id": PAY, "refunds": [refund(R2), refund(R1, 10.01)]}}
    assert diffs(mock, real) != []
    # an item missing, or one id in place of another, is a difference too
    assert diffs(mock, {"payment": {"id": PAY, "refunds": [refund(R1)]}}) != []
    assert diffs(mock, {"payment": {"id": PAY, "refunds": [refund(R1), refund(R3)]}}) != []
    # a note that differs on equal amounts
    assert (
        diffs(
            {"payment": {"id": PAY, "refunds": [refund(R1, note="a"), refund(R2)]}},
            {"payment": {"id": PAY, "refunds": [refund(R2), refund(R1, note="b")]}},
        )
        != []
    )


def test_list_page_order_is_still_compared():
    # a top-level list (e.g. `order=-amount`, or the default id order) keeps its order
    a = {"id": PAY, "amount": 100}
    b = {"id": "pay_01M8M4AWBBBBBBBBBBBBBBBBBB", "amount": 30}
    found = diffs({"payments": [a, b], "count": 2}, {"payments": [b, a], "count": 2})
    assert found and all(f.startswith("body /payments/") for f in found)
    assert (
        diffs({"refund_reasons": [{"id": R1}, {"id": R2}]}, {"refund_reasons": [{"id": R2}, {"id": R1}]})
        != []
    )


def test_metadata_arrays_keep_their_order():
    mock = {"payment": {"id": PAY, "metadata": {"items": [{"a": 1}, {"a": 2}]}}}
    real = {"payment": {"id": PAY, "metadata": {"items": [{"a": 2}, {"a": 1}]}}}
    assert diffs(mock, real) != []
