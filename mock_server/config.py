"""Settings for one mock server, from CLI options or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .web.cors import parse_origins

ROOT = Path(__file__).resolve().parent.parent  # the checkout, when run from one


def default_path(name: str) -> Path:
    """Where the default ``specs``, ``fixtures`` or ``schemathesis.toml`` is: inside the
    installed package (a wheel carries a copy of the top-level ones in ``mock_server/_data``),
    else at the top of the checkout (a source tree or an editable install). The package is
    always a folder on disk here: a zipped one could serve neither from a path. (The path is
    the one ``importlib.resources.files`` gives for a folder, without importing it: 10 ms of
    a start.)"""
    packaged = Path(__file__).resolve().parent / "_data" / name
    if packaged.exists():
        return packaged
    return ROOT / name


@dataclass
class Config:
    spec: Path = default_path("specs")
    fixtures: Path = default_path("fixtures")
    host: str = "127.0.0.1"
    port: int = 9000
    validate_responses: bool = False
    log_level: str = "info"
    jwt_secret: str = "supersecret"  # Medusa's fallback when JWT_SECRET is unset
    cookie_secret: str = "supersecret"
    admin_cors: tuple[str, ...] = field(default_factory=lambda: parse_origins(None))
    auth_cors: tuple[str, ...] = field(default_factory=lambda: parse_origins(None))
    control: bool = True  # the /__mock control API
    control_token: str | None = None  # when set, /__mock requires it (see control/routes.py)
    journal_size: int = 1000  # requests the journal keeps; 0 turns it off
    latency: str | None = None  # "250" or "100-500" ms added to every Medusa answer
    namespace_ttl: float = 3600.0  # seconds an unused namespace lives (control/namespaces.py)
    max_namespaces: int = 1000  # namespaces besides the default one, at most
    watch: bool = False  # reload the fixtures and the spec when their files change (web/reload.py)

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        env = os.environ
        values: dict[str, Any] = dict(
            jwt_secret=env.get("JWT_SECRET", cls.jwt_secret),
            cookie_secret=env.get("COOKIE_SECRET", cls.cookie_secret),
            admin_cors=parse_origins(env.get("ADMIN_CORS")),
            auth_cors=parse_origins(env.get("AUTH_CORS")),
            control_token=env.get("MOCK_CONTROL_TOKEN") or None,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
