"""One client for the tooling's logins: email/password, a bearer token or a secret API key
against a running backend, the token's claims, and the CLI options that ask for them.
Shared by the contract run, snapshot and diff."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import jwt


class ContractError(Exception):
    """The run could not be done (exit status 2)."""


@dataclass
class Auth:
    email: str | None = None
    password: str | None = None
    token: str | None = None
    api_key: str | None = None

    def kind(self) -> str:
        if self.token:
            return "token"
        if self.api_key:
            return "api-key"
        if self.email is not None or self.password is not None:
            return "login"
        return "none"

    def headers(self, base_url: str) -> dict[str, str]:
        """Headers that authenticate one of our own requests (used to look up test data)."""
        kind = self.kind()
        if kind == "token":
            return {"Authorization": f"Bearer {self.token}"}
        if kind == "api-key":
            return {"Authorization": "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()}
        if kind == "login":
            return {"Authorization": f"Bearer {login(base_url, self.email or '', self.password or '')}"}
        return {}


def login(base_url: str, email: str, password: str) -> str:
    import httpx

    try:
        response = httpx.post(
            base_url.rstrip("/") + "/auth/user/emailpass",
            json={"email": email, "password": password},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise ContractError(f"cannot reach {base_url}: {exc}") from None
    if response.status_code != 200 or "token" not in response.text:
        raise ContractError(f"login as {email} refused: {response.status_code} {response.text[:200]}")
    return response.json()["token"]


def jwt_claims(token: str) -> dict:
    """The claims of a login token, unverified (the tooling reads what a backend issued; it
    does not hold the backend's secret); ``{}`` if ``token`` is not a JWT."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def add_login_arguments(parser, email_help: str) -> None:
    """--base-url and the three ways to log in, shared by `contract` and `snapshot`."""
    parser.add_argument("--base-url", required=True, help="the backend, e.g. http://127.0.0.1:9001")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--email", help=email_help)
    who.add_argument("--token", help="a JWT for Authorization: Bearer")
    who.add_argument("--api-key", help="a secret API key (sk_…), sent with HTTP Basic")
    parser.add_argument("--password", help="password for --email")


def login_arguments_problem(args) -> str | None:
    """What is wrong with the options of ``add_login_arguments`` (argparse cannot say that
    --email needs --password), or None."""
    if args.email is not None and args.password is None:
        return "--email needs --password"
    return None
