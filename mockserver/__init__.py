"""mockserver: a contract-testing mock of chatbot-analytics vendor APIs, driven by their OpenAPI specs."""

from mockserver.app import MockServer, create_app
from mockserver.errors import ConfigError, MockServerError, SpecError
from mockserver.serving import run
from mockserver.settings import ServeOptions, Settings

__all__ = ["ConfigError", "MockServer", "MockServerError", "ServeOptions", "Settings", "SpecError", "create_app", "run"]
__version__ = "0.1.0"
