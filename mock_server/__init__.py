"""A stateful mock of the Medusa 2.21.2 admin payments API, built from an OpenAPI contract."""

__version__ = "0.1.0"
