"""Sources: gateway access logs and Prometheus, each mapped into :mod:`apislo.model`."""
