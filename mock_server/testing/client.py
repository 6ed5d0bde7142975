"""``MockClient``: one namespace of a running mock server, from plain Python (standard
library only: the core install has no HTTP client, and a test suite should not need one to
use the mock).

Each client works in a namespace of its own (a fresh ``t-<12 hex>`` unless given): its
Medusa requests carry the ``x-mock-namespace`` header, its control calls act on that
namespace only, and ``drop()`` deletes it. ``base_url`` is the same namespace as a URL
prefix (``http://127.0.0.1:9000/__ns/t-…``), for a browser app or an SDK that takes only a
base URL::

    mock = MockClient("http://127.0.0.1:9000")
    mock.login()                                   # the fixtures' admin
    answer = mock.request("POST", f"/admin/payments/{pid}/refund", json={"amount": 10})
    assert answer.status == 200, answer.body
    mock.verify(method="POST", path="/admin/payments/*/refund", times=1)
    mock.drop()

Control calls that the server refuses raise ``MockControlError`` (status and body); a
failed ``verify`` raises ``AssertionError`` with the server's message and its near misses.
Only loopback URLs are accepted unless ``allow_remote=True``; proxies from the environment
are never used (a mock on loopback is never behind one)."""

from __future__ import annotations

import ipaddress
import json as jsonlib
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

__all__ = [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "NAMESPACE_HEADER",
    "TOKEN_HEADER",
    "MockClient",
    "MockControlError",
    "MockResponse",
    "new_namespace",
]

# The admin user of the default fixtures (fixtures/05-admin.yaml).
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "supersecret"
NAMESPACE_HEADER = "x-mock-namespace"
TOKEN_HEADER = "X-Mock-Control-Token"
NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_TIMEOUT = 10.0
# A state dump of a large fixture set is megabytes; anything beyond this is not an answer
# the mock gives, and reading it whole would hold the test's memory hostage.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
_JOURNAL_FILTERS = ("method", "path", "operation", "status", "since", "limit")
_UNSET: Any = object()


def new_namespace() -> str:
    """A fresh namespace name: ``t-`` and 12 random hex digits."""
    return f"t-{secrets.token_hex(6)}"


class MockControlError(Exception):
    """A control call (``/__mock``) the server refused or could not be reached for."""

    def __init__(self, method: str, url: str, status: int | None, body: Any) -> None:
        self.method, self.url, self.status, self.body = method, url, status, body
        shown = body if isinstance(body, str) else jsonlib.dumps(body)
        if len(shown) > 2000:
            shown = shown[:2000] + "…"
        what = f"answered {status}" if status is not None else "failed"
        super().__init__(f"{method} {url} {what}: {shown}")


class MockResponse:
    """An answer: ``status``, ``headers`` (names lower case), ``text`` and ``body`` (the
    JSON parsed, or None when the body is empty or not JSON)."""

    def __init__(self, status: int, headers: dict[str, str], raw: bytes) -> None:
        self.status = status
        self.headers = headers
        self.raw = raw
        self.text = raw.decode("utf-8", "replace")
        try:
            self.body: Any = jsonlib.loads(raw) if raw.strip() else None
        except ValueError:
            self.body = None

    def __repr__(self) -> str:
        return f"<MockResponse {self.status} {self.text[:200]!r}>"


class MockClient:
    """One namespace of the mock server at ``url`` (its root, e.g. ``http://127.0.0.1:9000``).

    ``namespace``: the namespace's name (default: a fresh one, see ``new_namespace``).
    ``control_token``: sent as ``X-Mock-Control-Token`` on control calls (a server started
    with ``--control-token``). ``timeout``: seconds per HTTP call. ``allow_remote``: accept
    a URL whose host is not a loopback name or address."""

    def __init__(
        self,
        url: str = "http://127.0.0.1:9000",
        namespace: str | None = None,
        *,
        control_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        allow_remote: bool = False,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the mock's URL is an http(s) URL with a host, not {url!r}")
        if parts.query or parts.fragment or parts.path.strip("/"):
            raise ValueError(f"the mock's URL is the server's root, without a path or query: {url!r}")
        if not allow_remote and not _is_loopback(parts.hostname):
            raise ValueError(
                f"{parts.hostname!r} is not a loopback host; pass allow_remote=True to use a "
                "mock server on another machine"
            )
        namespace = new_namespace() if namespace is None else namespace
        if not NAMESPACE.fullmatch(namespace):
            raise ValueError(
                f"a namespace name is 1 to 64 characters of A-Z a-z 0-9 _ . - starting with a "
                f"letter or digit, not {namespace!r}"
            )
        if not 0 < timeout <= 600:
            raise ValueError("the timeout is a number of seconds above 0 and at most 600")
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.namespace = namespace
        self.control_token = control_token
        self.timeout = timeout
        self.token: str | None = None
        # No proxies: HTTP_PROXY in a CI environment must not route loopback calls away.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __repr__(self) -> str:
        return f"<MockClient {self.base_url}>"

    # --- the namespace as a browser or an SDK sees it -----------------------------------

    @property
    def base_url(self) -> str:
        """The namespace's URL prefix: give it to an SDK or a browser app as its base URL."""
        return f"{self.url}/__ns/{self.namespace}"

    @property
    def headers(self) -> dict[str, str]:
        """The header that puts a request in this namespace (the alternative to ``base_url``)."""
        return {NAMESPACE_HEADER: self.namespace}

    # --- the Medusa surface ---------------------------------------------------------------

    def login(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
        """Log in (``POST /auth/user/emailpass``); the token is kept in ``token`` and sent by
        ``request`` from then on. A refused login raises ``MockControlError``."""
        answer = self.request(
            "POST", "/auth/user/emailpass", json={"email": email, "password": password}, token=None
        )
        token = answer.body.get("token") if isinstance(answer.body, dict) else None
        if answer.status != 200 or not isinstance(token, str):
            raise MockControlError("POST", self.url + "/auth/user/emailpass", answer.status, answer.body)
        self.token = token
        return token

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _UNSET,
        token: str | None = _UNSET,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> MockResponse:
        """A Medusa request in this namespace; any status is returned, none raises.
        ``json``: the body, sent as JSON. ``token``: the bearer token (default: the one
        ``login`` got, if any; ``None``: no ``Authorization``). ``query``: added to the path's
        query string."""
        if not path.startswith("/"):
            raise ValueError(f"the path starts with /, not {path!r}")
        sent = dict(self.headers)
        token = self.token if token is _UNSET else token
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        return self._send(method, self._url(path, query), sent, None if json is _UNSET else json)

    # --- the control plane, on this namespace -----------------------------------------------

    def reset(self) -> dict:
        """Back to the fixtures the server (or the last ``load``) gave; the counts."""
        return self._control("POST", "/__mock/reset")

    def load(self, fixture: dict | str | Path) -> dict:
        """Replace this namespace's state with one fixture document: a dict (sent as JSON),
        YAML text, or a ``pathlib.Path`` to a YAML or JSON file. ``reset`` then returns to
        it. The counts of what was loaded."""
        if isinstance(fixture, Path):
            if fixture.is_dir():
                raise ValueError(f"{fixture} is a folder; load takes one fixture file")
            body, kind = fixture.read_bytes(), "application/yaml"
        elif isinstance(fixture, str):
            body, kind = fixture.encode("utf-8"), "application/yaml"
        elif isinstance(fixture, dict):
            body, kind = jsonlib.dumps(fixture).encode("utf-8"), "application/json"
        else:
            raise TypeError(f"a fixture is a dict, YAML text or a pathlib.Path, not {type(fixture).__name__}")
        return self._control("POST", "/__mock/load", body=body, content_type=kind)

    def state(self) -> dict:
        """This namespace's whole state, as a fixture document (``GET /__mock/state``)."""
        return self._control("GET", "/__mock/state")

    def requests(self, **filters: Any) -> list[dict]:
        """The journal of this namespace, newest first; filters: ``method``, ``path`` (a
        literal, glob or template), ``operation``, ``status`` (``404`` or ``"4xx"``),
        ``since``, ``limit``."""
        unknown = sorted(set(filters) - set(_JOURNAL_FILTERS))
        if unknown:
            raise TypeError(
                f"unknown journal filter(s): {', '.join(unknown)} (known: {', '.join(_JOURNAL_FILTERS)})"
            )
        query = {k: v for k, v in filters.items() if v is not None}
        return self._control("GET", "/__mock/requests", query=query)["requests"]

    def verify(
        self,
        *,
        times: int | None = None,
        at_least: int | None = None,
        at_most: int | None = None,
        **filters: Any,
    ) -> int:
        """Assert that this namespace's journal holds the requests described (filters as in
        ``requests`` but ``limit``, plus ``body``: JSON the request body contains); without
        ``times``/``at_least``/``at_most``: at least one. Returns the count; raises
        ``AssertionError`` with the server's message and near misses when it does not hold."""
        data = {k: v for k, v in filters.items() if v is not None}
        for name, value in (("times", times), ("at_least", at_least), ("at_most", at_most)):
            if value is not None:
                data[name] = value
        answer = self._control("POST", "/__mock/requests/verify", json=data, allow=(409,))
        if isinstance(answer, dict) and answer.get("ok"):
            return answer["count"]
        raise AssertionError(_verification_message(answer))

    def clear_requests(self) -> int:
        """Empty this namespace's journal; how many entries it held."""
        return self._control("DELETE", "/__mock/requests")["deleted"]

    def add_fault(self, **rule: Any) -> str:
        """Add a fault rule (``method``, ``path``, ``times``, ``status``, ``body``,
        ``delay_ms``, ``drop``, ``when``) to this namespace; its id."""
        return self._control("POST", "/__mock/faults", json=rule)["id"]

    def faults(self) -> list[dict]:
        """This namespace's fault rules, with their ``fired`` counts."""
        return self._control("GET", "/__mock/faults")["faults"]

    def remove_fault(self, fault_id: str) -> dict:
        """Remove one fault rule; the rule removed."""
        return self._control("DELETE", f"/__mock/faults/{urllib.parse.quote(fault_id, safe='')}")

    def clear_faults(self) -> int:
        """Remove every fault rule of this namespace; how many there were."""
        return self._control("DELETE", "/__mock/faults")["deleted"]

    def drop(self) -> bool:
        """Delete this namespace on the server (its state, journal and faults). False when
        it did not exist (never used, or already dropped)."""
        path = f"/__mock/namespaces/{urllib.parse.quote(self.namespace, safe='')}"
        answer = self._control("DELETE", path, allow=(404,), namespaced=False, whole=True)
        return answer.status != 404

    def namespaces(self) -> Any:
        """``GET /__mock/namespaces``: every namespace the server holds, as it answers."""
        return self._control("GET", "/__mock/namespaces", namespaced=False)

    # --- plumbing ---------------------------------------------------------------------------

    def _url(self, path: str, query: dict[str, Any] | None) -> str:
        url = self.url + path
        if query:
            url += ("&" if "?" in path else "?") + urllib.parse.urlencode(query, doseq=True)
        return url

    def _control(
        self,
        method: str,
        path: str,
        *,
        json: Any = _UNSET,
        body: bytes | None = None,
        content_type: str | None = None,
        query: dict[str, Any] | None = None,
        allow: tuple[int, ...] = (),
        namespaced: bool = True,
        whole: bool = False,
    ) -> Any:
        """The parsed body of a control call's answer (the ``MockResponse`` when ``whole``);
        a status outside 2xx and ``allow`` raises ``MockControlError``."""
        headers = dict(self.headers) if namespaced else {}
        if self.control_token is not None:
            headers[TOKEN_HEADER] = self.control_token
        url = self._url(path, query)
        if json is not _UNSET:
            body, content_type = jsonlib.dumps(json).encode("utf-8"), "application/json"
        if content_type is not None:
            headers["Content-Type"] = content_type
        answer = self._send(method, url, headers, None, body=body)
        if not (200 <= answer.status < 300 or answer.status in allow):
            raise MockControlError(
                method, url, answer.status, answer.body if answer.body is not None else answer.text
            )
        return answer if whole else answer.body

    def _send(
        self, method: str, url: str, headers: dict[str, str], json: Any, body: bytes | None = None
    ) -> MockResponse:
        if json is not None:
            body = jsonlib.dumps(json).encode("utf-8")
            headers = {"Content-Type": "application/json", **headers}
        method = method.upper()
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            try:
                reply = self._opener.open(request, timeout=self.timeout)
            except urllib.error.HTTPError as error:
                reply = error  # a 4xx or 5xx: an answer like any other here
            with reply:
                status = reply.getcode()
                raw = reply.read(MAX_RESPONSE_BYTES + 1)
                headers_in = {k.lower(): v for k, v in reply.headers.items()}
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise MockControlError(method, url, None, f"no answer: {reason}") from error
        if len(raw) > MAX_RESPONSE_BYTES:
            raise MockControlError(method, url, status, f"an answer larger than {MAX_RESPONSE_BYTES} bytes")
        return MockResponse(status, headers_in, raw)


def _verification_message(answer: Any) -> str:
    if not isinstance(answer, dict):
        return f"verification failed: {answer!r}"
    lines = [str(answer.get("message", "verification failed"))]
    for miss in answer.get("near_misses") or []:
        request = miss.get("request") or {}
        status = (request.get("response") or {}).get("status")
        lines.append(
            f"  near miss ({miss.get('matched')} of {miss.get('of')} criteria): "
            f"{request.get('method')} {request.get('path')} -> {status}"
        )
        for name, difference in (miss.get("differences") or {}).items():
            lines.append(f"    {name}: {jsonlib.dumps(difference)}")
    return "\n".join(lines)


def _is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
