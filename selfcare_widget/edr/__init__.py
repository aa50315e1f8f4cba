"""EDRs: one record of every customer action, delivered to the partner's CRM."""

from . import actions
from .recorder import record, stream_key

__all__ = ["actions", "record", "stream_key"]
