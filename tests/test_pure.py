"""The pure modules without HTTP: ``fields`` parsing and projection, list filters and
paging, CORS origin patterns."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mock_server.backend import fields, listing
from mock_server.backend.errors import MedusaError
from mock_server.web.cors import Cors, Origins, parse_origins

DEFAULTS = ("id", "amount", "captures.id")


# ---- fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "paths"),
    [
        (None, ["id", "amount", "captures.id"]),
        ("", []),  # present and empty: nothing but `id`, as Medusa's FieldParser
        (",", []),
        ("+note", ["id", "amount", "captures.id", "note"]),
        (" note", ["id", "amount", "captures.id", "note"]),  # an unencoded '+' arrives as a space
        ("note,amount", ["note", "amount"]),  # a bare item replaces the defaults
        ("note,+amount", ["note", "amount"]),
        ("-captures", ["id", "amount"]),  # removes the path and everything under it
        ("*", ["id", "amount", "captures.id"]),  # a root `*` changes nothing
        ("-*,+*", ["id", "amount", "captures.id"]),
    ],
)
def test_fields_parse(value, paths):
    assert fields.parse(value, DEFAULTS) == paths


def _payment() -> SimpleNamespace:
    capture = SimpleNamespace(id="capt_1", amount=None)
    return SimpleNamespace(id="pay_1", currency_code="usd", captures=[capture])


def test_projection_keeps_the_order_asked_then_id_then_relations():
    plan = fields.compile_fields("payment", "currency_code,captures.id")
    assert [row[0] for row in plan] == ["currency_code", "id", "captures"]
    assert fields.render(_payment(), plan) == {
        "currency_code": "usd",
        "id": "pay_1",
        "captures": [{"id": "capt_1"}],
    }


def test_unknown_columns_and_paths_through_columns_are_ignored():
    plan = fields.compile_fields("payment", "nope,currency_code.x,currency_code")
    assert [row[0] for row in plan] == ["currency_code", "id"]


def test_the_compiled_renderer_answers_as_the_plan_walker():
    payment = _payment()
    projector = fields.Projector()
    for value in ("currency_code,captures.id", "id,id,currency_code", "captures.id,-captures"):
        plan = fields.compile_fields("payment", value)
        assert projector.project("payment", payment, value) == fields.render(payment, plan)


def test_projector_cache_is_bounded():
    projector = fields.Projector()
    for i in range(projector.SIZE + 5):
        projector.project("order", SimpleNamespace(id="order_1"), f"id,x{i}")
    assert len(projector._renderers) <= projector.SIZE


# ---- list filters and paging --------------------------------------------------------------

ROWS = [
    SimpleNamespace(id=f"r_{i}", code=code, deleted_at=None, created_at=f"2026-01-0{i}T00:00:00.000Z")
    for i, code in enumerate(["alpha", "beta", "Gamma", None], start=1)
]


def _ids(query: dict, **kw) -> list[str]:
    return [r.id for r in listing.select(ROWS, query, default_limit=20, **kw).items]


def test_filter_operators():
    assert _ids({"code": "beta"}) == ["r_2"]
    assert _ids({"code": ["alpha", "beta"]}) == ["r_1", "r_2"]
    assert _ids({"code": {"$ne": "beta"}}) == ["r_1", "r_3", "r_4"]
    assert _ids({"code": {"$nin": ["alpha"]}}) == ["r_2", "r_3", "r_4"]
    assert _ids({"code": {"$ilike": "g%"}}) == ["r_3"]
    assert _ids({"code": {"$like": "g%"}}) == []
    assert _ids({"code": "null"}) == ["r_4"]
    assert _ids({"code": {"$unknown": "x"}}) == ["r_1", "r_2", "r_3", "r_4"]


def test_and_or():
    route = {"filterable": ("code", "id")}  # the filter names the route's validator takes
    assert _ids({"$or": [{"code": "alpha"}, {"id": "r_3"}]}, **route) == ["r_1", "r_3"]
    assert _ids({"$and": [{"code": {"$ne": "alpha"}}, {"id": {"$in": ["r_1", "r_2"]}}]}, **route) == ["r_2"]


def test_date_filters_compare_as_dates():
    assert _ids({"created_at": {"$gte": "2026-01-03"}}) == ["r_3", "r_4"]
    with pytest.raises(MedusaError) as raised:
        _ids({"created_at": {"$gt": "not a date"}})
    assert raised.value.type == "unknown_error"


def test_paging_and_order():
    page = listing.select(ROWS, {"limit": 2, "offset": 1, "order": "-id"}, default_limit=20)
    assert ([r.id for r in page.items], page.count, page.offset, page.limit) == (["r_3", "r_2"], 4, 1, 2)
    for bad in ({"order": "nope"}, {"order": ","}, {"limit": -1}):
        with pytest.raises(MedusaError):
            listing.select(ROWS, bad, default_limit=20)


def test_soft_deleted_rows_stay_hidden():
    rows = [*ROWS, SimpleNamespace(id="r_9", code="x", deleted_at="2026-01-09T00:00:00.000Z")]
    assert "r_9" not in [r.id for r in listing.select(rows, {"with_deleted": True}, default_limit=20).items]


# ---- CORS origin patterns -----------------------------------------------------------------


def test_origins_exact_and_medusa_regex_entries():
    origins = Origins(
        parse_origins(r"https://admin.example.com/,/^http:\/\/localhost:\d+$/,~^https://.*\.shop$~i")
    )
    assert "https://admin.example.com" in origins  # the trailing slash is dropped
    assert "http://localhost:7001" in origins
    assert "http://localhost:x" not in origins
    assert "HTTPS://A.SHOP" in origins
    assert None not in origins


def test_entries_that_are_not_a_valid_regexp_are_exact_origins():
    assert parse_origins("/a/gg") == ("/a/gg",)  # a repeated flag: not a RegExp
    assert parse_origins("/(/") == ("/(",)  # not a valid pattern: an exact origin, like any


def test_cors_headers_echo_only_a_listed_origin():
    cors = Cors(("https://a.test",), ())
    assert cors.origins_for("/store") is None
    assert list(Cors.headers(cors.admin, "https://a.test")) == [
        ("Access-Control-Allow-Origin", "https://a.test"),
        ("Vary", "Origin"),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    for origin in ("https://b.test", None):
        assert list(Cors.headers(cors.admin, origin)) == [
            ("Vary", "Origin"),
            ("Access-Control-Allow-Credentials", "true"),
        ]


# The router (mock_server/web/router.py): precedence written once, no HTTP.

from mock_server.web.router import Router  # noqa: E402

_ROUTER = Router(
    {
        "/admin/payments/{id}": "payment",
        "/admin/payments": "list",
        "/admin/payments/payment-providers": "providers",
        "/admin/payments/{id}/refund": "refund",
        "/auth/{actor_type}/{auth_provider}": "login",
    }
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/admin/payments", ("list", {})),
        ("/admin/payments/", ("list", {})),  # one trailing slash, as Express
        ("/admin/payments/payment-providers", ("providers", {})),  # fixed before {id}
        ("/admin/payments/payment-providers/", ("providers", {})),
        ("/admin/payments/pay_1", ("payment", {"id": "pay_1"})),
        ("/admin/payments/pay_1/refund", ("refund", {"id": "pay_1"})),
        ("/admin/payments/pay_1/refund/", ("refund", {"id": "pay_1"})),
        ("/auth/user/emailpass", ("login", {"actor_type": "user", "auth_provider": "emailpass"})),
        ("/admin/payments//", None),  # two slashes are not one
        ("/admin/payments//refund", None),  # a parameter is never empty
        ("/admin/payments/a/b", None),
        ("/admin/payments/pay_1/refund/x", None),
    ],
)
def test_the_router_applies_its_precedence(path, expected):
    found = _ROUTER.match(path)
    assert (found[1], found[2]) == expected if expected else found is None


def test_the_router_order_does_not_depend_on_the_order_given():
    reversed_ = Router(dict(reversed(list({"/a/{id}": 1, "/a/b": 2, "/a/{x}": 3}.items()))))
    assert reversed_.match("/a/b")[1] == 2
    assert reversed_.match("/a/c")[1:] == (1, {"id": "c"})  # {id} sorts before {x}


@pytest.mark.parametrize(
    "value, text",
    [
        (-5.960464477539063e-8, "-5.960464477539063e-8"),  # observed in a 2.21.2 message
        (0.000123, "0.000123"),
        (1.23e-5, "0.0000123"),
        (1e-7, "1e-7"),
        (123.5, "123.5"),
        (123.0, "123"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (5e-324, "5e-324"),
        (1e16, "10000000000000000"),
    ],
)
def test_numbers_are_written_as_javascript_writes_them(value, text):
    from mock_server.backend.messages import js_number, js_string

    assert js_number(value) == text
    assert js_string(value) == text
