"""Stripe's official Python SDK, its API base pointed at kassa: creates, retrieves, lists and
expires checkout sessions, reads their line items, and meets InvalidRequestError for an unknown
price. Run by tests/api/stripe-sdk.spec.ts with KASSA_BASE_URL, KASSA_SECRET_KEY, KASSA_PRICE."""

import os
import sys

import stripe

base = os.environ["KASSA_BASE_URL"]
client = stripe.StripeClient(
    os.environ["KASSA_SECRET_KEY"], base_addresses={"api": base}, max_network_retries=0
)
price = os.environ["KASSA_PRICE"]
checks = 0


def check(condition, what):
    global checks
    if not condition:
        sys.exit(f"FAILED: {what}")
    checks += 1


created = client.v1.checkout.sessions.create(
    params={
        "mode": "payment",
        "line_items": [{"price": price, "quantity": 2}],
        "success_url": "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}",
        "metadata": {"order": "A-1001"},
    },
    options={"idempotency_key": f"sdk-{os.getpid()}"},
)
check(created.id.startswith("cs_test_"), f"an id: {created.id}")
check(created.object == "checkout.session", "the object is a checkout.session")
check(created.status == "open" and created.payment_status == "unpaid", "open and unpaid")
check(created.url == f"{base}/checkout/{created.id}", f"the hosted page: {created.url}")
check(created.metadata["order"] == "A-1001", "metadata kept")
check(created.amount_total > 0 and created.currency == "usd", "priced in usd")

retrieved = client.v1.checkout.sessions.retrieve(created.id)
check(retrieved.id == created.id and retrieved.amount_total == created.amount_total, "retrieved")

items = client.v1.checkout.sessions.line_items.list(created.id)
check(len(items.data) == 1 and items.data[0].quantity == 2, "one line of two")
check(items.data[0].price.id == price, "the line's price")

second = client.v1.checkout.sessions.create(
    params={"mode": "payment", "line_items": [{"price": price}], "success_url": "https://shop.example/t"}
)
page = client.v1.checkout.sessions.list(params={"limit": 1})
check(page.has_more and [s.id for s in page.data] == [second.id], "the newest first, more after it")
older = client.v1.checkout.sessions.list(params={"limit": 1, "starting_after": second.id})
check([s.id for s in older.data] == [created.id], "the next page")

expired = client.v1.checkout.sessions.expire(created.id)
check(expired.status == "expired", "expired")
try:
    client.v1.checkout.sessions.expire(created.id)
    check(False, "expiring twice is refused")
except stripe.InvalidRequestError as error:
    check(error.http_status == 400, "a second expiry is a 400")

try:
    client.v1.checkout.sessions.create(
        params={"mode": "payment", "line_items": [{"price": "price_nope"}], "success_url": "https://shop.example/t"}
    )
    check(False, "an unknown price is refused")
except stripe.InvalidRequestError as error:
    check(error.param == "line_items[0][price]", f"the param: {error.param}")
    check(error.code == "resource_missing", f"the code: {error.code}")

try:
    client.v1.checkout.sessions.retrieve("cs_test_nope")
    check(False, "an unknown session is refused")
except stripe.InvalidRequestError as error:
    check(error.http_status == 404, "an unknown session is a 404")

try:
    stripe.StripeClient("sk_test_nope", base_addresses={"api": base}).v1.checkout.sessions.list()
    check(False, "a wrong key is refused")
except stripe.AuthenticationError:
    checks += 1

print(f"stripe {stripe.VERSION}: {checks} checks passed")
