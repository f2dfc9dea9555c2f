"""Stripe's official Python SDK, its API base pointed at kassa, on a session that ships: `create`
makes a session that requires a billing address, ships to the US and Canada and asks for a phone
number, and prints its id; `check ID` reads the paid session back and checks what the buyer gave
(customer_details with the phone, shipping_details). Run by tests/address.spec.ts with
KASSA_BASE_URL, KASSA_SECRET_KEY, KASSA_PRICE."""

import os
import sys

import stripe

client = stripe.StripeClient(
    os.environ["KASSA_SECRET_KEY"],
    base_addresses={"api": os.environ["KASSA_BASE_URL"]},
    max_network_retries=0,
)


def check(condition, what):
    if not condition:
        sys.exit(f"FAILED: {what}")


if sys.argv[1] == "create":
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": os.environ["KASSA_PRICE"]}],
            "billing_address_collection": "required",
            "shipping_address_collection": {"allowed_countries": ["US", "CA"]},
            "phone_number_collection": {"enabled": True},
        }
    )
    check(session.billing_address_collection == "required", "billing address required")
    check(session.shipping_address_collection.allowed_countries == ["US", "CA"], "ships to US, CA")
    check(session.phone_number_collection.enabled, "asks for a phone number")
    print(session.id)
else:
    session = client.v1.checkout.sessions.retrieve(sys.argv[2])
    check(session.status == "complete" and session.payment_status == "paid", f"paid: {session.status}")
    details = session.customer_details
    check(details.phone == "+16502530000", f"the phone in E.164: {details.phone}")
    check(details.address.line1 == "1600 Amphitheatre Pkwy", f"billed there: {details.address}")
    shipping = session.shipping_details
    check(shipping.name == "Grace Hopper", f"shipped to: {shipping.name}")
    check(shipping.address.city == "Mountain View" and shipping.address.state == "CA", "the city and state")
    check(shipping.address.postal_code == "94043" and shipping.address.country == "US", "ZIP, country")
    collected = session.collected_information.shipping_details
    check(collected.address.line1 == "1600 Amphitheatre Pkwy", "collected_information too")
    print(f"stripe {stripe.VERSION}: shipping checks passed")
