"""EDRs: one record of every customer action, delivered to the partner's CRM."""

from .recorder import record, stream_key

__all__ = ["record", "stream_key"]
