"""A demo MVNO partner portal on its own origin: its own sign-in, the embedded widget, SSO.

This is what a partner builds: a web page with its own session, a backend endpoint that signs
a short-lived SSO token for the signed-in customer, and a JWKS with its public key. The page
also uses its own htmx (2.x) to show that the widget's private htmx does not interfere.

For the demo one portal stands in for both demo partners: a customer of Zelená mobil gets the
widget of partner ``zelena-mobil`` (its theme), with a token signed by that partner's key
(HS256, a shared secret) — what Zelená mobil's own portal would do. The demo-only SMS inbox
(``sms_inbox.py``) is mounted here too when the platform is given.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, jsonify, make_response, redirect, render_template, request, session, url_for

from ..config import PROJECT_ROOT
from .keys import mint_sso_token, public_jwk


@dataclass(frozen=True)
class PortalPartner:
    """A partner whose customers sign in to the demo portal, and how its backend signs SSO."""

    id: str
    name: str
    customers: tuple[tuple[str, str], ...]  # (customer id, name) offered on the sign-in page
    key: str = ""  # RS256: the PEM private key (published in the JWKS); HS256: the shared secret
    algorithm: str = "RS256"
    crm_url: str = ""  # the partner's (sandbox) CRM listing, where the widget's EDRs arrive


def create_portal_app(
    *,
    partners: Sequence[PortalPartner],
    widget_url: str,
    audience: str = "selfcare-widget",
    platform_url: str = "",
    platform_credential: str = "",
    gateway_secret: str = "",
) -> Flask:
    """The portal app for ``partners`` (the first is the portal's own brand on its sign-in page);
    with ``platform_url`` and ``platform_credential`` the demo's SMS inbox reads the platform's
    outbox (``/demo/sms``, linked from every page)."""
    if not partners:
        raise ValueError("the portal needs at least one partner")
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
        static_url_path="/portal-static",
    )
    app.config.update(
        SECRET_KEY=secrets.token_hex(32), SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="portal_session"
    )
    # customer id -> (partner, name): each customer belongs to exactly one partner
    known = {cid: (p, name) for p in partners for cid, name in p.customers}
    jwks_keys = {p.id: public_jwk(p.key) for p in partners if p.algorithm == "RS256"}
    home_partner = partners[0]

    def page(template: str, partner: PortalPartner | None = None, **context):
        partner = partner or home_partner
        return render_template(
            template,
            partner_name=partner.name,
            partner_id=partner.id,
            partners=partners,
            widget_url=widget_url,
            crm_url=partner.crm_url,
            sms_inbox_url=url_for("sms_inbox.page") if platform_url else "",
            **context,
        )

    @app.get("/")
    def home():
        if session.get("customer") in known:
            return redirect(url_for("account"))
        return page("portal/signin.html")

    @app.post("/login")
    def login():
        customer = request.form.get("customer", "")
        if customer not in known:
            abort(400)
        session.clear()
        session["customer"] = customer
        values: dict[str, Any] = {"section": request.form["section"]} if request.form.get("section") else {}
        return redirect(url_for("account", **values))

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("home"))

    @app.get("/account")
    def account():
        customer = session.get("customer")
        if customer not in known:
            return redirect(url_for("home"))
        widgets = max(1, min(2, request.args.get("widgets", 1, type=int)))
        partner, name = known[customer]
        response = make_response(
            page(
                "portal/account.html",
                partner,
                customer_name=name,
                section=request.args.get("section", ""),
                widgets=widgets,
                strict_csp=request.args.get("csp") == "strict",
                # ?locale=en passes through to the token URL (the SSO token's locale claim).
                locale=request.args.get("locale") if request.args.get("locale") in ("cs", "en") else None,
            )
        )
        if request.args.get("csp") == "strict":
            # What a security-minded partner sends: no inline script or style anywhere.
            response.headers["Content-Security-Policy"] = (
                f"default-src 'self'; script-src 'self' {widget_url}; style-src 'self' {widget_url}; "
                f"connect-src 'self' {widget_url}; img-src 'self' {widget_url} data: blob:; "
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
            )
        return response

    @app.get("/spa/")
    @app.get("/spa/<path:route>")
    def spa(route: str = ""):
        """A single-page version of the portal (client-side routing, widgets mounted and removed
        by its router, a StrictMode-like double mount): how the widget lives in an SPA.
        Open to anyone, like any SPA shell: without the portal's session the widget's token URL
        says 401. ``?tt=1`` enforces Trusted Types (the widget loads under it)."""
        customer = session.get("customer")
        partner = known[customer][0] if customer in known else home_partner
        response = make_response(
            render_template(
                "portal/spa.html", partner_id=partner.id, partner_name=partner.name, widget_url=widget_url
            )
        )
        if request.args.get("tt") == "1":
            response.headers["Content-Security-Policy"] = "require-trusted-types-for 'script'"
        return response

    @app.get("/news")
    def news():
        # Served to the portal's own htmx 2.x (hx-get) to prove both htmx copies coexist.
        return '<p id="portal-news-loaded">Nový tarif Pohoda+ od prosince. Více na prodejnách.</p>'

    @app.get("/selfcare-token")
    def selfcare_token():
        """The partner backend's SSO endpoint: a 2-minute token for the signed-in customer."""
        customer = session.get("customer")
        if customer not in known:
            return jsonify(error="not signed in"), 401
        partner = known[customer][0]
        token = mint_sso_token(
            partner_id=partner.id,
            customer_id=customer,
            key=partner.key,
            algorithm=partner.algorithm,
            kid=jwks_keys[partner.id]["kid"] if partner.id in jwks_keys else None,
            audience=audience,
            locale=request.args.get("locale") or None,
        )
        response = jsonify(token=token)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/.well-known/jwks.json")
    def jwks():
        return jsonify(keys=list(jwks_keys.values()))

    if gateway_secret:  # the demo card gateway (demo/gateway.py) that Demo Mobil's payments open
        from .gateway import create_demo_gateway

        app.register_blueprint(create_demo_gateway(gateway_secret, widget_url))
    if platform_url:
        from .sms_inbox import create_sms_inbox

        app.register_blueprint(create_sms_inbox(platform_url, platform_credential, brand=home_partner.name))
    return app
