"""The control plane, ``/__mock``: reset, load, state, the request journal and faults."""

from .routes import Guard, HostCheck, app, check_token, exposure_warning, routes  # noqa: F401
