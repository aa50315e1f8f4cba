"""The flask-login user: a signed-in customer of one partner, bound to one widget session."""

from __future__ import annotations

from flask_login import UserMixin

from .sessions import WidgetSession


class WidgetUser(UserMixin):
    """The customer behind the session token of the current request."""

    def __init__(self, session: WidgetSession, token: str) -> None:
        self.session = session
        self.token = token

    def get_id(self) -> str:
        return self.session.token_hash

    @property
    def partner_id(self) -> str:
        return self.session.partner_id

    @property
    def customer_id(self) -> str:
        return self.session.customer_id

    @property
    def locale(self) -> str:
        return self.session.locale
