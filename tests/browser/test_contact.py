"""Contact details in the embedded widget on the demo portal (real Chromium)."""

from __future__ import annotations

import uuid

import pytest

from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from tests.support import save_artifact

pytestmark = pytest.mark.browser

CUSTOMER = "cust-0005"  # demo-mobil; cust-0001 is left to the overview tests


def open_contact(page):
    # Let the first section (overview) arrive first: a late overview response would otherwise
    # replace the contact section this click brings in.
    page.locator("#sc-main .sc-section").first.wait_for()
    page.locator("[data-sc-nav=contact]").click()
    page.locator("#sc-main [data-sc-contact=email]").wait_for()


def open_form(page):
    page.locator("#sc-main button[hx-post*='/w/contact/edit']").click()
    page.locator("#sc-contact-email").wait_for()


def submit(page):
    page.locator(".sc-contact__form button[type=submit]").click()


FOCUSED = "id => document.querySelector('#selfcare-0').shadowRoot.activeElement?.id === id"


def assert_focused(page, element_id: str) -> None:
    """Focus lands on ``element_id`` inside the widget's shadow root (htmx focuses after settling)."""
    page.wait_for_function(FOCUSED, arg=element_id, timeout=5000)


def save_email(page, email: str) -> None:
    open_form(page)
    page.locator("#sc-contact-email").fill(email)
    page.locator("#sc-contact-current_password").fill(DEMO_PASSWORD)  # the e-mail is the login too
    submit(page)
    page.locator("#sc-main [data-sc-contact-result]").wait_for()


def test_change_email_and_see_a_field_message_for_a_bad_postal_code(portal):
    page = portal(CUSTOMER)
    open_contact(page)
    original = page.locator("[data-sc-contact=email]").inner_text().strip()
    assert "@" in original
    save_artifact(page, "contact-view")

    new_email = f"jiri.{uuid.uuid4().hex[:8]}@example.cz"
    open_form(page)
    assert_focused(page, "sc-contact-title")  # focus moved to the form's heading
    page.locator("#sc-contact-email").fill(new_email)
    save_artifact(page, "contact-edit")
    submit(page)
    # without the current password the change is refused at that field, nothing typed is lost
    page.locator("#sc-contact-current_password-error").wait_for()
    assert_focused(page, "sc-contact-current_password")
    assert page.locator("#sc-contact-email").input_value() == new_email
    page.locator("#sc-contact-current_password").fill(DEMO_PASSWORD)
    submit(page)
    result = page.locator("#sc-main [data-sc-contact-result]")
    result.wait_for()
    assert page.locator("#sc-main [role=status]").count() == 1
    assert page.locator("[data-sc-contact=email]").inner_text().strip() == new_email
    assert_focused(page, "sc-contact-title")
    save_artifact(page, "contact-saved")

    # an invalid postal code: 422 swapped in, message at the field, focus on it, input kept
    open_form(page)
    page.locator("#sc-contact-postal_code").fill("1234")
    page.locator("#sc-contact-city").fill("Beroun")
    submit(page)
    page.locator("#sc-contact-postal_code-error").wait_for()
    field = page.locator("#sc-contact-postal_code")
    assert field.get_attribute("aria-invalid") == "true"
    assert "sc-contact-postal_code-error" in field.get_attribute("aria-describedby")
    assert field.input_value() == "1234" and page.locator("#sc-contact-city").input_value() == "Beroun"
    assert page.locator("#sc-main [role=alert]").count() == 1
    assert_focused(page, "sc-contact-postal_code")  # focus on the first invalid field
    assert "110 00" in page.locator("#sc-contact-postal_code-error").inner_text()
    save_artifact(page, "contact-invalid-postal-code")

    # leave the demo customer as we found it (the session's sandbox is shared by browser tests)
    page.locator("#sc-main button[hx-post$='/w/contact']").click()
    page.locator("#sc-main [data-sc-contact=email]").wait_for()
    save_email(page, original)
    assert page.locator("[data-sc-contact=email]").inner_text().strip() == original


def test_error_summary_items_take_the_customer_to_their_field(portal):
    """Issue 12 bug 8: each item of the error summary is a link to its field, inside the widget."""
    page = portal(CUSTOMER)
    open_contact(page)
    open_form(page)
    page.locator("#sc-contact-postal_code").fill("1")
    page.locator("#sc-contact-city").fill("")
    submit(page)
    link = page.locator("#sc-main .sc-error-summary a[data-sc-jump=sc-contact-postal_code]")
    link.wait_for()
    url = page.url
    link.click()
    assert_focused(page, "sc-contact-postal_code")
    assert page.url == url  # the host page's address is untouched
