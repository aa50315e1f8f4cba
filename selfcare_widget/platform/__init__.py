"""The platform port (domain types, protocol, errors) and its adapters."""

from .errors import NotFound, PlatformError, Rejected, Unavailable
from .port import Platform

__all__ = ["NotFound", "Platform", "PlatformError", "Rejected", "Unavailable"]
