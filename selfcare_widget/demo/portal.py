"""A demo MVNO partner portal on its own origin: its own sign-in, the embedded widget, SSO.

This is what a partner builds: a web page with its own session, a backend endpoint that signs
a short-lived SSO token for the signed-in customer, and a JWKS with its public key. The page
also uses its own htmx (2.x) to show that the widget's private htmx does not interfere.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, abort, jsonify, make_response, redirect, render_template, request, session, url_for

from ..config import PROJECT_ROOT
from .keys import mint_sso_token, public_jwk


def create_portal_app(
    *,
    partner_id: str,
    partner_name: str,
    widget_url: str,
    private_key_pem: str,
    customers: list[tuple[str, str]],
    audience: str = "selfcare-widget",
    crm_url: str = "",
) -> Flask:
    """The portal app; ``customers`` are (id, name) pairs offered on its sign-in page;
    ``crm_url`` links the partner's (sandbox) CRM, where the widget's EDRs arrive."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
        static_url_path="/portal-static",
    )
    app.config.update(
        SECRET_KEY=secrets.token_hex(32), SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="portal_session"
    )
    jwk = public_jwk(private_key_pem)
    known = dict(customers)

    def page(template: str, **context):
        return render_template(
            template,
            partner_name=partner_name,
            partner_id=partner_id,
            widget_url=widget_url,
            crm_url=crm_url,
            **context,
        )

    @app.get("/")
    def home():
        if session.get("customer") in known:
            return redirect(url_for("account"))
        return page("portal/signin.html", customers=customers)

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
        response = make_response(
            page(
                "portal/account.html",
                customer_name=known[customer],
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
        token = mint_sso_token(
            partner_id=partner_id,
            customer_id=customer,
            key=private_key_pem,
            kid=jwk["kid"],
            audience=audience,
            locale=request.args.get("locale") or None,
        )
        response = jsonify(token=token)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/.well-known/jwks.json")
    def jwks():
        return jsonify(keys=[jwk])

    return app
