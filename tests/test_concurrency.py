"""Refunds on one payment are serialised: concurrent refunds never exceed what was captured."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal

import httpx

from helpers import ADMIN, CAPTURED, ROOT
from mock_server.backend import fixtures, payments
from mock_server.backend.errors import MedusaError

OVER = "You cannot refund more than what is captured on the payment."
OVER_WITH_AMOUNT = "You are not allowed to refund more than the captured amount"


def test_many_concurrent_refunds_over_http(live_server):
    async def run():
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=live_server.url, limits=limits, timeout=30) as client:
            token = (await client.post("/auth/user/emailpass", json=ADMIN)).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            responses = await asyncio.gather(
                *[
                    client.post(
                        f"/admin/payments/{CAPTURED}/refund?fields=id", json={"amount": 3}, headers=auth
                    )
                    for _ in range(200)
                ]
            )
            final = (
                await client.get(
                    f"/admin/payments/{CAPTURED}?fields=refunds.amount,payment_collection.refunded_amount",
                    headers=auth,
                )
            ).json()
            return responses, final["payment"]

    responses, payment = asyncio.run(run())
    ok = [r for r in responses if r.status_code == 200]
    rejected = [r for r in responses if r.status_code != 200]
    assert len(ok) == 33  # 33 × 3 = 99 of 100 captured
    assert {(r.status_code, r.json()["message"]) for r in rejected} <= {(400, OVER), (400, OVER_WITH_AMOUNT)}
    assert len(payment["refunds"]) == 33
    assert payment["payment_collection"]["refunded_amount"] == 99


def test_the_payment_lock_holds_under_real_threads():
    store = fixtures.load(ROOT / "fixtures")
    barrier = threading.Barrier(16)
    outcomes: list[str] = []

    def worker():
        barrier.wait()
        for _ in range(50):
            try:
                payments.refund(
                    store,
                    CAPTURED,
                    amount=None if _ % 2 else Decimal("0.7"),
                    refund_reason_id=None,
                    note=None,
                    actor_id="user_t",
                )
                outcomes.append("ok")
            except MedusaError as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    payment = store.payments[CAPTURED]
    assert sum(r.amount for r in payment.refunds) == payment.refunded_total
    assert payment.refunded_total <= payment.captured_total
    assert payment.collection.refunded_amount == payment.refunded_total
    assert outcomes.count("ok") == len(payment.refunds)
    assert set(outcomes) <= {"ok", OVER, OVER_WITH_AMOUNT}


def test_two_concurrent_refunds_of_30_on_50(live_server):
    async def run():
        async with httpx.AsyncClient(base_url=live_server.url) as client:
            token = (await client.post("/auth/user/emailpass", json=ADMIN)).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            # the 'refunded' demo payment is full; use a fresh one with 50 captured
            await client.post(
                "/__mock/load", content=("payments:\n  - {id: pay_j, amount: 50, captured: true}\n")
            )
            return await asyncio.gather(
                *[
                    client.post("/admin/payments/pay_j/refund", json={"amount": 30}, headers=auth)
                    for _ in range(2)
                ]
            )

    first, second = asyncio.run(run())
    assert sorted([first.status_code, second.status_code]) == [200, 400]
    loser = first if first.status_code == 400 else second
    assert loser.json()["message"] in (OVER, OVER_WITH_AMOUNT)
