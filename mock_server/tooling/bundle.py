"""The spec a contract run loads: ours as it is, or the published Medusa Admin OpenAPI
folder bundled into one self-contained document."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from .client import ContractError


def resolve_spec(path: Path | str, workdir: Path) -> Path:
    """One OpenAPI file Schemathesis can load: a file as is; a folder with one spec file
    (like ``specs/``) that file; the published Medusa folder (``openapi.full.yaml`` plus
    ``paths/`` and ``components/``) bundled into ``workdir``."""
    path = Path(path)
    if path.is_dir():
        if (path / "openapi.full.yaml").exists() and (path / "paths").is_dir():
            bundled = workdir / "published-openapi.bundle.yaml"
            bundled.write_text(
                yaml.safe_dump(bundle_published(path), sort_keys=False, allow_unicode=True, width=100)
            )
            return bundled
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        if len(files) != 1:
            raise ContractError(f"{path}: expected one OpenAPI file, found {len(files)}")
        return files[0]
    if not path.exists():
        raise ContractError(f"{path}: no such spec")
    return path


def bundle_published(folder: Path | str) -> dict:
    """Bundle the published Medusa Admin OpenAPI folder (``openapi.full.yaml``, ``paths/``, ``components/``)
    into one self-contained document: only the paths whose files are present, every relative
    ``$ref`` turned into a ``#/components/...`` ref, ``x-codeSamples`` dropped. Nothing else is
    changed."""
    folder = Path(folder)
    root = yaml.safe_load((folder / "openapi.full.yaml").read_text())
    components: dict[str, dict] = defaultdict(dict)
    loaded: dict[Path, Any] = {}

    def load(file: Path) -> Any:
        file = file.resolve()
        if file not in loaded:
            loaded[file] = yaml.safe_load(file.read_text())
        return loaded[file]

    def inline(node: Any, base: Path) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                target = (base / ref).resolve()
                kind = target.parent.name  # schemas / responses / examples / ...
                name = target.stem
                if target.parent.parent.name == "components":
                    if name not in components[kind]:
                        components[kind][name] = {}  # placeholder against cycles
                        components[kind][name] = inline(load(target), target.parent)
                    return {"$ref": f"#/components/{kind}/{name}"}
                return inline(load(target), target.parent)
            return {k: inline(v, base) for k, v in node.items() if k != "x-codeSamples"}
        if isinstance(node, list):
            return [inline(v, base) for v in node]
        return node

    paths = {}
    for template, item in root["paths"].items():
        ref = (item or {}).get("$ref", "")
        file = (folder / ref) if ref else None
        if file is not None and file.exists():
            paths[template] = inline(load(file), file.parent)
    schemes = root.get("components", {}).get("securitySchemes", {})
    document = {
        "openapi": root["openapi"],
        "info": root["info"],
        "servers": root.get("servers", []),
        "paths": paths,
        "components": {
            "securitySchemes": schemes,
            **{k: dict(sorted(v.items())) for k, v in sorted(components.items())},
        },
    }
    return document


# ---- running Schemathesis against a backend -----------------------------------------------
