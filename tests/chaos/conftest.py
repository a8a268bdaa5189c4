"""The chaos specs share the sync specs' live server."""

from tests.sync.conftest import live

__all__ = ["live"]
