"""What goes over the wire: headers, ETag, Express's 404, body parsing before auth
(docs/medusa-behaviour.md §2, §8, §13, §14)."""

from __future__ import annotations

from helpers import CAPTURED
from mock_server.web.responses import etag


def test_json_headers_like_express(client, auth):
    response = client.get("/admin/payments/pay_nope", headers=auth)
    assert response.headers["x-powered-by"] == "Express"
    assert response.headers["vary"] == "Origin"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["etag"] == 'W/"2-vyGp6PvFo4RvsFtPoIWeCReyIC8"'
    assert list(response.headers)[:4] == [
        "x-powered-by",
        "vary",
        "access-control-allow-credentials",
        "content-type",
    ]


def test_etag_of_known_bodies():
    assert etag(b'{"message":"Unauthorized"}') == 'W/"1a-pljHtlo127JYJR4E/RYOPb6ucbw"'
    assert etag(b"{}") == 'W/"2-vyGp6PvFo4RvsFtPoIWeCReyIC8"'


def test_malformed_json_answers_400_before_auth_without_cors_headers(client):
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund",
        content=b'{"amount": 10,',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.content == (
        b'{"message":"Expected double-quoted property name in JSON at position 14","type":"invalid_data"}'
    )
    assert "vary" not in response.headers and "access-control-allow-credentials" not in response.headers
    assert response.headers["etag"] == 'W/"5f-kpe9K+w2tm5kLwfqdjVBUWSJhjQ"'


def test_body_over_100kb_is_413_before_auth(client):
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund",
        content=b'{"note":"' + b"x" * 110_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"message": "request entity too large", "type": "unknown_error"}


def test_large_note_under_the_limit_is_parsed(client, auth):
    response = client.post(
        f"/admin/payments/{CAPTURED}/refund", json={"amount": 1, "note": "x" * 90_000}, headers=auth
    )
    assert response.status_code == 200


def test_wrong_method_on_a_known_path_is_expresss_html_404(client, auth):
    path = f"/admin/payments/{CAPTURED}/refund"
    for method in ("GET", "PUT"):
        response = client.request(method, path, headers=auth)
        assert response.status_code == 404
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["content-security-policy"] == "default-src 'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "vary" not in response.headers and "etag" not in response.headers
        assert response.text == (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<title>Error</title>\n</head>\n<body>\n"
            f"<pre>Cannot {method} {path}</pre>\n</body>\n</html>\n"
        )
    assert len(client.get(path, headers=auth).content) == 191


def test_unknown_path_is_html_404(client, auth):
    response = client.get("/admin/nothing-here", headers=auth)
    assert response.status_code == 404 and "Cannot GET /admin/nothing-here" in response.text
    response = client.get("/auth/nothing-here")
    assert response.status_code == 404 and "Cannot GET /auth/nothing-here" in response.text


def test_unrouted_admin_requests_without_credentials_are_401_without_cors(client):
    # observed on 2.21.2: the auth middleware guards /admin before routing
    path = f"/admin/payments/{CAPTURED}/refund"
    for method, target in [("GET", "/admin/nothing-here"), ("PUT", path), ("OPTIONS", path)]:
        response = client.request(method, target, headers={"Origin": "http://localhost:5173"})
        assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"}), method
        assert "vary" not in response.headers
        assert "access-control-allow-origin" not in response.headers


def test_health(client):
    response = client.get("/health")
    assert (response.status_code, response.text) == (200, "OK")


def test_sdk_headers_are_accepted(client, auth):
    response = client.get(
        "/admin/payments",
        headers={
            **auth,
            "x-medusa-locale": "",
            "accept": "application/json",
            "content-type": "application/json",
        },
    )
    assert response.status_code == 200


def test_cors_allowed_origin_is_echoed(client, auth):
    response = client.get("/admin/payments", headers={**auth, "Origin": "http://localhost:5173"})
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    response = client.get("/admin/payments", headers={**auth, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_preflight(client):
    response = client.options(
        f"/admin/payments/{CAPTURED}/refund",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 204 and response.content == b""
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert response.headers["access-control-allow-methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert response.headers["access-control-allow-headers"] == "authorization,content-type"
    assert response.headers["vary"] == "Origin, Access-Control-Request-Headers"


def test_head_answers_the_gets_headers_without_a_body_or_cors(client, auth):
    # observed on 2.21.2: HEAD is served by the GET route; Content-Length and ETag are those of
    # the GET's body, no body follows, and no CORS headers are sent (even for an allowed Origin)
    url = f"/admin/payments/{CAPTURED}"
    got = client.get(url, headers=auth)
    for headers in (auth, {**auth, "Origin": "http://localhost:5173"}):
        head = client.head(url, headers=headers)
        assert head.status_code == 200
        assert head.content == b""
        assert list(head.headers) == [
            "x-powered-by",
            "content-type",
            "content-length",
            "etag",
            "connection",
            "keep-alive",
        ]
        assert head.headers["content-type"] == "application/json; charset=utf-8"
        assert head.headers["content-length"] == str(len(got.content))
        assert head.headers["etag"] == got.headers["etag"]


def test_head_on_lists_and_errors(client, auth):
    for url in ("/admin/payments", "/admin/payments/payment-providers", "/admin/refund-reasons"):
        head, got = client.head(url, headers=auth), client.get(url, headers=auth)
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["etag"] == got.headers["etag"]
    head = client.head("/admin/payments?limit=abc", headers=auth)
    got = client.get("/admin/payments?limit=abc", headers=auth)
    assert (head.status_code, head.content, head.headers["etag"]) == (400, b"", got.headers["etag"])
    head = client.head(f"/admin/payments/{CAPTURED}")
    assert (head.status_code, head.content) == (401, b"")
    assert head.headers["content-length"] == "26"
    assert head.headers["etag"] == 'W/"1a-pljHtlo127JYJR4E/RYOPb6ucbw"'
    assert "vary" not in head.headers
