"""CORS as Medusa configures it: separate origin lists for ``/admin`` and ``/auth``,
credentials allowed, the origin echoed only when listed (medusa-behaviour.md §14)."""

from __future__ import annotations

DEFAULT_ORIGINS = ("http://localhost:5173", "http://localhost:9000", "https://docs.medusajs.com")
ALLOWED_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


def parse_origins(value: str | None) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_ORIGINS
    return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())


class Cors:
    def __init__(self, admin: tuple[str, ...], auth: tuple[str, ...]) -> None:
        self.admin, self.auth = frozenset(admin), frozenset(auth)

    def origins_for(self, path: str) -> frozenset[str] | None:
        if path.startswith("/admin"):
            return self.admin
        if path.startswith("/auth"):
            return self.auth
        return None

    @staticmethod
    def headers(origins: frozenset[str], origin: str | None) -> list[tuple[str, str]]:
        allowed = [("Access-Control-Allow-Origin", origin)] if origin in origins else []
        return [*allowed, ("Vary", "Origin"), ("Access-Control-Allow-Credentials", "true")]

    @staticmethod
    def preflight(origins: frozenset[str], origin: str | None,
                  request_headers: str | None) -> list[tuple[str, str]]:
        allowed = [("Access-Control-Allow-Origin", origin)] if origin in origins else []
        out = [*allowed, ("Vary", "Origin, Access-Control-Request-Headers"),
               ("Access-Control-Allow-Credentials", "true"),
               ("Access-Control-Allow-Methods", ALLOWED_METHODS)]
        if request_headers:
            out.append(("Access-Control-Allow-Headers", request_headers))
        return out
