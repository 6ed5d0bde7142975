"""The control plane, ``/__mock``: the request journal, faults and their routes.

Transitional: the existing control routes still live in ``mock_server/control.py``, which
this package shadows (a package wins over a module of the same name). Until that module
moves here, its ``routes`` is loaded from it under another name and re-exported, so
``from mock_server import control; control.routes(mock)`` keeps working. Once it has moved,
this file is empty again.
"""

import importlib.util as _util
from pathlib import Path as _Path

_legacy = _Path(__file__).resolve().parent.parent / "control.py"
if _legacy.is_file():
    _spec = _util.spec_from_file_location(f"{__name__.rpartition('.')[0]}._control_routes", _legacy)
    _module = _util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    routes = _module.routes
    del _spec, _module
del _util, _Path, _legacy
