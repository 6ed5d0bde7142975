"""The control plane, ``/__mock``: apart from the Medusa surface."""
