"""mockserver: a contract-testing mock of chatbot-analytics vendor APIs, driven by their OpenAPI specs."""

from mockserver.app import MockServer, create_app
from mockserver.errors import ConfigError, MockServerError, SpecError
from mockserver.settings import Settings

__all__ = ["ConfigError", "MockServer", "MockServerError", "Settings", "SpecError", "create_app"]
__version__ = "0.1.0"
