"""Medusa-style ids: ``<prefix>_<ULID>`` (26 Crockford base32 characters, time-ordered)."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

from ulid_transform import bytes_to_ulid, ulid_now_bytes

PAYMENT = "pay"
PAYMENT_COLLECTION = "pay_col"
PAYMENT_SESSION = "payses"
CAPTURE = "capt"
REFUND = "ref"
REFUND_REASON = "refr"
USER = "user"
AUTH_IDENTITY = "authid"
API_KEY = "apk"
ORDER = "order"


_last_ulid = bytes(16)  # the last ULID new_id made, big-endian


def new_id(prefix: str) -> str:
    """A new ``<prefix>_<ULID>``: the time now and random bits (ulid-transform, in C), one
    more than the last one when that would not sort after it (the same millisecond, a clock
    that went back), so ids made one after the other sort in the order they were made.
    (Sixteen big-endian bytes compare as the numbers they hold.)"""
    global _last_ulid
    value = ulid_now_bytes()
    if value <= _last_ulid:
        value = (int.from_bytes(_last_ulid, "big") + 1).to_bytes(16, "big")
    _last_ulid = value
    return f"{prefix}_{bytes_to_ulid(value)}"


def stable_id(prefix: str, seed: str, at: datetime) -> str:
    """An id that is the same on every start for the same fixture entry (``seed``), with
    the ULID time part taken from ``at`` so ids still sort in creation order."""
    millis = int(at.astimezone(timezone.utc).timestamp() * 1000)
    randomness = hashlib.sha256(seed.encode()).digest()[:10]
    return f"{prefix}_{bytes_to_ulid(millis.to_bytes(6, 'big') + randomness)}"


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """Medusa's timestamp format: ISO 8601 UTC with milliseconds (``2026-11-26T10:30:10.349Z``)."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_last_iso: tuple[int, str] = (-1, "")
_last_second: tuple[int, str] = (-1, "")


def now_iso() -> str:
    """``iso(now())``, made once per millisecond from the second's text, formatted once per
    second (it is on every refund's path, and under load each refund has a millisecond of
    its own)."""
    global _last_iso, _last_second
    stamp = time.time_ns() // 1_000_000
    if _last_iso[0] != stamp:
        second = stamp // 1000
        if _last_second[0] != second:
            moment = datetime.fromtimestamp(second, timezone.utc)
            _last_second = (second, moment.strftime("%Y-%m-%dT%H:%M:%S."))
        _last_iso = (stamp, f"{_last_second[1]}{stamp % 1000:03d}Z")
    return _last_iso[1]
