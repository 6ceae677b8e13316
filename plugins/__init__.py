"""Built-in tokenplan plugins.

Each module here is registered through the ``tokenplan`` entry-point group in ``pyproject.toml``, exactly
like a third-party plugin; the core never imports this package.
"""
