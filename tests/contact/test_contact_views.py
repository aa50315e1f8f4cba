"""Contact details over real HTTP to the sandbox: view, edit, save, validation, authorization."""

from __future__ import annotations

import html
import re
import uuid

import pytest

from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from selfcare_widget.services import services
from selfcare_widget.views.contact_validation import FIELDS
from tests.contact.helpers import OWNED_CUSTOMER, edrs, form_of

ROUTES = ("/w/contact", "/w/contact/edit", "/w/contact/save")


def unique_email() -> str:
    return f"kontakt-{uuid.uuid4().hex[:10]}@example.cz"


def input_tag(body: str, name: str) -> str:
    """The <input>/<select> start tag of a form field."""
    match = re.search(rf'<(?:input|select) id="sc-contact-{name}"[^>]*>', body)
    assert match, f"no field {name}"
    return match.group(0)


def value_of(body: str, name: str) -> str:
    match = re.search(r'value="([^"]*)"', input_tag(body, name))
    assert match
    return html.unescape(match.group(1))


# --------------------------------------------------------------------------- view and edit


def test_view_shows_the_current_contact_details(post, owned):
    token, before = owned
    response = post("/w/contact", token)
    assert response.status_code == 200
    body = html.unescape(response.get_data(as_text=True))
    contact = before.contact
    assert contact.email in body
    digits = contact.phone.removeprefix("+420")
    assert f"+420 {digits[:3]} {digits[3:6]} {digits[6:]}" in body  # E.164 shown readable
    assert contact.street in body and contact.city in body and contact.postal_code in body
    assert "Česko" in body  # country name from CLDR in the customer's language
    assert 'data-sc-section="contact"' in body and "data-sc-focus" in body
    assert 'hx-post="/w/contact/edit"' in body and 'hx-target="#sc-main"' in body


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_requires_a_session(post, path):
    assert post(path).status_code == 401


def test_edit_form_is_filled_and_labelled(post, owned):
    token, before = owned
    response = post("/w/contact/edit", token)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for name in FIELDS:
        assert f'<label for="sc-contact-{name}">' in body  # every input has a label
    assert value_of(body, "email") == before.contact.email
    assert value_of(body, "street") == before.contact.street
    assert value_of(body, "postal_code") == before.contact.postal_code
    assert value_of(body, "phone").replace(" ", "") == before.contact.phone
    assert re.search(r'<option value="CZ" selected>', body)
    assert [c for c in re.findall(r'<option value="([A-Z]{2})"', body)] == ["CZ", "SK", "DE", "AT", "PL"]
    assert 'hx-post="/w/contact/save"' in body
    assert "aria-invalid" not in body and 'role="alert"' not in body


# --------------------------------------------------------------------------- save


def test_changing_the_email_changes_only_that_field(app, post, owned, tmf, platform_calls):
    token, before = owned
    new_email = unique_email()
    response = post(
        "/w/contact/save", token, **form_of(before, email=new_email), current_password=DEMO_PASSWORD
    )
    assert response.status_code == 200
    assert response.headers["X-Selfcare-Action"] == "contact.change"
    body = response.get_data(as_text=True)
    assert 'role="status"' in body and "data-sc-contact-result" in body
    assert new_email in body
    # read back from the platform with a separate client: persisted, nothing else touched, although
    # the sandbox replaces the stored array with the one sent (RFC 7396 merge-patch)
    after = tmf.get_customer(OWNED_CUSTOMER)
    assert after.contact.email == new_email
    for name in ("phone", "street", "city", "postal_code", "country"):
        assert getattr(after.contact, name) == getattr(before.contact, name)
    # one PATCH carrying the whole array: the other media as read, the e-mail medium new
    (patch,) = [body for method, _, body in platform_calls if method == "PATCH"]
    media = {m["mediumType"]: m["characteristic"] for m in patch["contactMedium"]}
    assert set(media) == {"email", "mobile", "postalAddress"}
    assert media["email"] == {"emailAddress": new_email}
    assert media["mobile"]["phoneNumber"] == before.contact.phone


def test_edr_lists_changed_field_names_not_values(app, post, owned):
    token, before = owned
    new_email = unique_email()
    form = form_of(before, email=new_email, city="Kolín", postal_code="28002", current_password=DEMO_PASSWORD)
    assert post("/w/contact/save", token, **form).status_code == 200
    edr = [e for e in edrs(app) if e["action"] == "contact.change"][-1]
    assert edr["outcome"] == "success"
    assert edr["customer"] == OWNED_CUSTOMER and edr["partner"] == "demo-mobil"
    assert edr["details"] == {"fields": ["city", "email", "postal_code"]}
    raw = str(edr)
    for value in (new_email, "Kolín", "280 02", "28002", before.contact.phone):
        assert value not in raw


def test_address_change_sends_the_whole_address_and_keeps_the_rest(post, owned, tmf, platform_calls):
    token, before = owned
    response = post("/w/contact/save", token, **form_of(before, city="Kutná Hora", postal_code="28401"))
    assert response.status_code == 200
    after = tmf.get_customer(OWNED_CUSTOMER).contact
    assert (after.city, after.postal_code) == ("Kutná Hora", "284 01")  # normalised before sending
    assert (after.email, after.phone, after.street) == (
        before.contact.email,
        before.contact.phone,
        before.contact.street,
    )
    (patch,) = [body for method, _, body in platform_calls if method == "PATCH"]
    address = next(m for m in patch["contactMedium"] if m["mediumType"] == "postalAddress")
    assert address["characteristic"] == {
        "street1": before.contact.street,
        "city": "Kutná Hora",
        "postCode": "284 01",
        "country": before.contact.country,
    }


def test_phone_is_stored_in_e164(post, owned, tmf):
    token, before = owned
    response = post("/w/contact/save", token, **form_of(before, phone="778 123 456"))
    assert response.status_code == 200
    assert tmf.get_customer(OWNED_CUSTOMER).contact.phone == "+420778123456"
    assert "+420 778 123 456" in response.get_data(as_text=True)


def test_no_change_says_so_without_calling_the_platform_to_write(app, post, owned, platform_calls):
    token, before = owned
    count = len(edrs(app))
    response = post(
        "/w/contact/save", token, **form_of(before, postal_code=before.contact.postal_code.replace(" ", ""))
    )
    assert response.status_code == 200
    assert 'role="status"' in response.get_data(as_text=True)
    assert "X-Selfcare-Action" not in response.headers
    assert [m for m, _, _ in platform_calls if m != "GET"] == []
    assert len(edrs(app)) == count  # nothing happened, nothing recorded


# --------------------------------------------------------------------------- validation

INVALID = {
    "email": "jana@example",
    "phone": "12345",
    "street": "   ",
    "city": "x" * 61,
    "postal_code": "1234",
    "country": "US",
}


@pytest.mark.parametrize("field", FIELDS)
def test_invalid_field_gets_422_with_its_message_and_the_input_kept(post, owned, tmf, platform_calls, field):
    token, before = owned
    # a valid change elsewhere too, to prove it is kept (not saved) while the form is invalid
    form = form_of(before, **{"email": unique_email(), "city": "Beroun", field: INVALID[field]})
    response = post("/w/contact/save", token, **form)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    tag = input_tag(body, field)
    assert 'aria-invalid="true"' in tag and "data-sc-focus" in tag
    assert f'aria-describedby="sc-contact-{field}-error' in tag
    assert f'id="sc-contact-{field}-error"' in body
    assert body.count('aria-invalid="true"') == 1 and body.count("data-sc-focus") == 1
    assert re.search(r'role="alert"[^>]*>\s*<h3', body)  # the error summary
    assert f'data-sc-error-for="{field}"' in body
    # nothing lost: every entered value comes back (the valid changes too)
    for name in ("email", "phone", "street", "city", "postal_code"):
        if name != field or INVALID[name].strip():
            assert value_of(body, name) == form[name], name
    assert [m for m, _, _ in platform_calls if m != "GET"] == []
    assert tmf.get_customer(OWNED_CUSTOMER).contact == before.contact


def test_several_invalid_fields_focus_the_first(post, owned):
    token, before = owned
    response = post("/w/contact/save", token, **form_of(before, phone="1", postal_code="abc"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "data-sc-focus" in input_tag(body, "phone") and body.count("data-sc-focus") == 1
    assert body.count('aria-invalid="true"') == 2


def test_platform_rejection_shows_the_form_with_a_message(app, post, owned, tmf):
    token, before = owned
    taken = tmf.get_customer("cust-0009").contact.email  # another demo-mobil customer's login
    form = form_of(before, email=taken, city="Mělník", current_password=DEMO_PASSWORD)
    response = post("/w/contact/save", token, **form)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'role="alert"' in body
    assert value_of(body, "email") == taken and value_of(body, "city") == "Mělník"
    assert "Neplatný kontaktní údaj" not in html.unescape(body)  # the platform's raw reason stays out
    assert tmf.get_customer(OWNED_CUSTOMER).contact == before.contact
    edr = [e for e in edrs(app) if e["action"] == "contact.change"][-1]
    assert edr["outcome"] == "failure"
    assert edr["details"] == {"fields": ["city", "email"], "reason": "invalidContact"}


# --------------------------------------------------------------------------- authorization


def test_crafted_customer_fields_are_ignored(post, owned, tmf):
    token, before = owned
    victims = {c: tmf.get_customer(c).contact for c in ("cust-0001", "cust-0003")}
    new_email = unique_email()
    crafted = {"customer": "cust-0001", "customer_id": "cust-0003", "id": "cust-0001"}
    form = form_of(before, email=new_email, current_password=DEMO_PASSWORD)
    response = post("/w/contact/save", token, **form, **crafted)
    assert response.status_code == 200
    assert tmf.get_customer(OWNED_CUSTOMER).contact.email == new_email  # the signed-in customer
    for customer_id, contact in victims.items():
        assert tmf.get_customer(customer_id).contact == contact
    # reading with a crafted id shows the signed-in customer's details, nobody else's
    for path in ("/w/contact", "/w/contact/edit"):
        body = html.unescape(post(path, token, **crafted).get_data(as_text=True))
        assert new_email in body
        assert all(contact.email not in body for contact in victims.values())


# --------------------------------------------------------------------------- XSS

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"


def assert_inert(body: str) -> None:
    assert "<script" not in body
    assert "<img" not in body
    assert "&lt;script&gt;" in body
    assert TEMPLATE in body  # shown literally, never evaluated


def test_xss_payloads_saved_through_the_form_render_inert(post, owned, tmf):
    token, before = owned
    street = f"{IMG} {TEMPLATE}"
    response = post("/w/contact/save", token, **form_of(before, street=street, city=SCRIPT))
    assert response.status_code == 200
    assert_inert(response.get_data(as_text=True))
    stored = tmf.get_customer(OWNED_CUSTOMER).contact
    assert (stored.street, stored.city) == (street, SCRIPT)  # stored as typed, escaped on output
    for path in ("/w/contact", "/w/contact/edit"):
        body = post(path, token).get_data(as_text=True)
        assert_inert(body)
        assert "&#34;&gt;&lt;img" in body or "&quot;&gt;&lt;img" in body


def test_xss_payloads_in_rejected_input_render_inert(post, owned):
    token, before = owned
    form = form_of(before, email=f"{SCRIPT}@x", phone=IMG, street=TEMPLATE, postal_code=SCRIPT)
    response = post("/w/contact/save", token, **form)
    assert response.status_code == 422
    assert_inert(response.get_data(as_text=True))


def test_xss_payloads_from_the_platform_render_inert(app):
    """Platform data is not validated by us: every field of the view escapes what it shows."""
    from flask import render_template

    from selfcare_widget.platform.models import ContactDetails

    evil = ContactDetails(
        email=SCRIPT, phone=IMG, street=TEMPLATE, city=SCRIPT, postal_code=IMG, country=SCRIPT
    )
    with app.test_request_context():
        view = render_template(
            "widget/contact/index.html", contact=evil, phone=IMG, country=SCRIPT, status_message=""
        )
        entered = {name: getattr(evil, name) for name in FIELDS}
        form = render_template(
            "widget/contact/_edit.html",
            entered=entered,
            errors={},
            form_error=SCRIPT,
            first_invalid=None,
            countries={"CZ": "Česko"},
            fields=FIELDS,
        )
    assert_inert(view)
    assert_inert(form)


# --------------------------------------------------------------------------- focus


def test_focus_is_taken_only_after_an_action_inside_the_section(post, owned):
    token, before = owned
    first_load = post("/w/contact", token).get_data(as_text=True)
    assert "autofocus" not in first_load  # never steal focus from the host page on load
    assert "autofocus" in post("/w/contact", token, refocus="1").get_data(as_text=True)  # Cancel
    form = post("/w/contact/edit", token).get_data(as_text=True)
    assert re.search(r'<h2 id="sc-contact-title"[^>]*autofocus', form)
    invalid = post("/w/contact/save", token, **form_of(before, city="")).get_data(as_text=True)
    assert invalid.count("autofocus") == 1 and "autofocus" in input_tag(invalid, "city")


# --------------------------------------------------------------------------- outage


def test_platform_outage_gives_a_friendly_error_in_the_section(test_partners):
    from tests.support import PORTAL_ORIGIN, free_port, make_widget_app

    app = make_widget_app(f"http://127.0.0.1:{free_port()}", test_partners)  # nothing listens there
    token = services(app).sessions.create("demo-mobil", OWNED_CUSTOMER, "cs", "sso")
    client = app.test_client()
    form = {"_st": token, "_partner": "demo-mobil", "email": "a@example.cz", "phone": "601234567"}
    form |= {"street": "Ulice 1", "city": "Praha", "postal_code": "11000", "country": "CZ"}
    for path in ROUTES:
        response = client.post(path, data=form, headers={"Origin": PORTAL_ORIGIN})
        assert response.status_code == 503
        body = response.get_data(as_text=True)
        assert 'role="alert"' in body and "Traceback" not in body


# --- the e-mail is also the login: changing it needs the current password (issue 11, item 3) ---


def test_changing_the_email_without_the_current_password_is_refused_and_loses_nothing(app, post, owned, tmf):
    token, before = owned
    new_email = unique_email()
    for password in ("", "not-my-password"):
        form = form_of(before, email=new_email, city="Kolín", current_password=password)
        response = post("/w/contact/save", token, **form)
        assert response.status_code == 422
        body = html.unescape(response.get_data(as_text=True))
        assert "zadejte současné heslo nebo kód z SMS" in body
        assert 'id="sc-contact-current_password"' in body and 'aria-invalid="true"' in body
        assert value_of(body, "email") == new_email and value_of(body, "city") == "Kolín"  # kept
        assert password == "" or password not in body  # a password is never echoed
    assert tmf.get_customer(OWNED_CUSTOMER).contact == before.contact
    edr = [e for e in edrs(app) if e["action"] == "contact.change"][-1]
    assert (edr["outcome"], edr["details"]["reason"]) == ("rejected", "reauthentication")


def test_other_changes_need_no_password(post, owned, tmf):
    token, before = owned
    response = post("/w/contact/save", token, **form_of(before, city="Beroun", postal_code="26601"))
    assert response.status_code == 200
    assert tmf.get_customer(OWNED_CUSTOMER).contact.city == "Beroun"


def test_a_changed_email_is_announced_to_the_phone_on_file(post, owned, tmf, sandbox_url):
    import time

    from tests.support import sms_messages

    token, before = owned

    def notices() -> list[str]:
        return [text for text in sms_messages(sandbox_url, before.contact.phone) if "byl změněn" in text]

    already = len(notices())
    form = form_of(before, email=unique_email(), current_password=DEMO_PASSWORD)
    assert post("/w/contact/save", token, **form).status_code == 200
    deadline = time.monotonic() + 10
    while len(notices()) == already and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(notices()) == already + 1


def test_guessing_the_password_in_a_session_is_limited(post, owned):
    token, before = owned
    form = form_of(before, email=unique_email(), current_password="guess")
    codes = [post("/w/contact/save", token, **form).status_code for _ in range(6)]
    assert codes == [422] * 5 + [429]


def test_the_email_changes_with_a_code_sent_to_the_line_instead_of_the_password(
    app, post, owned, tmf, sandbox_url
):
    """For customers who sign in by SSO or SMS and have no password at hand (issue 11, item 3)."""
    import time

    from tests.support import new_sms_code, sms_codes

    token, before = owned
    line = tmf.list_sims(OWNED_CUSTOMER)[0].msisdn
    new_email = unique_email()
    typed = form_of(before, email=new_email, city="Kolín")
    had = len(sms_codes(sandbox_url, line))
    asked = post("/w/contact/code", token, **typed)
    assert asked.status_code == 200
    body = html.unescape(asked.get_data(as_text=True))
    assert 'id="sc-contact-reauth_code"' in body and "Kód jsme poslali na číslo" in body
    assert value_of(body, "email") == new_email and value_of(body, "city") == "Kolín"  # kept
    code = new_sms_code(sandbox_url, line, had)
    wrong = "000000" if code != "000000" else "111111"
    assert post("/w/contact/save", token, **typed, reauth_code=wrong).status_code == 422
    saved = post("/w/contact/save", token, **typed, reauth_code=code)
    assert saved.status_code == 200
    assert tmf.get_customer(OWNED_CUSTOMER).contact.email == new_email
    time.sleep(0.1)
    again = post("/w/contact/save", token, **form_of(before, email=unique_email()), reauth_code=code)
    assert again.status_code == 422  # single use
