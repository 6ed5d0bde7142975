"""The control plane, ``/__mock``: reset, load, state, the request journal and faults."""

from .routes import Guard, HostCheck, app, exposure_warning, routes  # noqa: F401
