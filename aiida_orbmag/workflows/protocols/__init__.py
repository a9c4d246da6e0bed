"""Protocols of the work chains: one YAML file per work chain (``default_inputs``, ``default_protocol`` and the
``fast`` / ``balanced`` / ``stringent`` differences) and the helpers their ``get_builder_from_protocol`` share."""
