"""Test support shipped for embedders: contract suites every adapter of a port must pass.

Importing it requires pytest (a test-time dependency); nothing in the runtime imports it.
"""

__all__: list[str] = []
