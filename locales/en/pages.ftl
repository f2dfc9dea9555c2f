# What only the server renders on the checkout's pages: the states after paying, the approval
# step, and what the server answers. Named in the code by the English text, as checkout.ftl.

## Titles and states
pay-merchant = Pay { $merchant }
checking-payment = Checking your payment
payment-processing = Payment processing
payment-complete = Payment complete
payment-failed = Payment failed
checkout-expired = Checkout expired
test-mode = Test mode
secure-checkout = Secure checkout by kassa
loading-checkout = Loading your checkout…
loading = Loading…
we-are-checking = We are checking your payment
checking-detail = The payment provider has not answered yet. Please do not pay again: this page shows the outcome as soon as it is known.
your-payment-processing = Your payment is processing
processing-detail = Bank debits take a moment to confirm. You can leave this page: the shop is told when it completes.
check-again = Check again
method-saved = Payment method saved
subscription-activated = Subscription activated
trial-started = Your trial has started
thank-you = Thank you for your order
account = Account
paid-with = Paid { $amount } with { $method }
nothing-charged-saved = Nothing was charged today. { $method } is saved for later payments.
nothing-charged = Nothing was charged.
trial-ends = Your trial ends on { $date }.
what-you-bought = What you bought
shipping-to = Shipping to
receipt-for = Receipt for { $email }
receipt-tax-id = Tax ID: { $value }
your-payment-failed = Your payment failed
could-not-complete = The payment could not be completed.
failed-detail = Nothing was charged. Start again from the shop to try another way of paying.
return-to = Return to { $merchant }
has-expired = This checkout has expired
refunded-detail = The checkout ended before your payment could be completed, so your { $amount } payment was refunded in full. Start again from the shop for a new checkout.
expired-detail = Checkout links are valid for a limited time. Nothing was charged; start again from the shop for a new one.
not-found-title = Checkout not found
not-found-detail = This checkout link is not valid. Check the address, or start again from the shop.
unreachable-title = This checkout cannot be shown right now
unreachable-detail = Reload the page in a moment.

## The approval step
nothing-to-confirm-title = Nothing to confirm
nothing-to-confirm = There is nothing to confirm
not-waiting = This payment is not waiting for you.
back-to-checkout = Back to the checkout
authenticate-title = Authenticate your payment
authenticate-detail = Your bank asks you to confirm this payment. This is kassa's test-mode stand-in for the bank's 3-D Secure page.
complete-authentication = Complete authentication
fail-authentication = Fail authentication
approve-with = Approve with { $method }
approve-detail = { $method } asks you to approve this payment. This is kassa's test-mode stand-in for its approval page.
approve-payment = Approve payment
cancel = Cancel
confirm-title = Confirm your payment
confirm-with-bank = Confirm your payment with your bank
bank-own-page = Your bank asks you to confirm this payment on its own page.
continue-to-bank = Continue to your bank

## What the server answers the buyer
no-such-checkout = There is no such checkout.
try-again-later = The payment could not be completed right now. Reload this page: it shows whether your payment went through.
already-being-paid = This checkout is already being paid. Wait a moment.
cannot-complete = This payment cannot be completed.
choose-decision = Choose to complete or cancel.
too-many-attempts-minute = Too many payment attempts. For your security, try again in a minute.
too-many-attempts = Too many payment attempts. For your security, try again in { $minutes } minutes.
too-many-codes = Too many codes were tried. Wait { $seconds } s, then try again.
enter-code = Enter a code.
code-not-valid = This code is not valid.
code-inactive = This code is no longer active.
code-expired = This code has expired.
code-used-up = This code has been used up.
code-other-currency = This code is for another currency.
phone-country-code = Enter your phone number with its country code, like +1 415 555 0100.
phone-not-exist = This phone number does not exist: check it, with its country code.
payment-failed-short = The payment failed.

## What the processor answers (the test-mode processor's declines and failures)
declined = Your card was declined.
declined-funds = Your card was declined: insufficient funds.
declined-expired = Your card was declined: it has expired.
declined-cvc = Your card was declined: its security code is incorrect.
declined-test-mode = Your card was declined. This is test mode, which takes only test cards such as 4242 4242 4242 4242.
declined-authentication = Your card was declined: the bank could not authenticate you.
you-cancelled = You cancelled the payment.
account-closed = The bank account is closed.
bank-insufficient = The bank account has insufficient funds.
debit-refused = The bank refused the direct debit.

## A payment link's own pages
link-inactive = This link is no longer active
link-inactive-detail = The shop has stopped selling through this link. Ask them for a new one.
link-not-found = There is no such payment link
link-not-found-detail = Check the address, or ask the shop for the link again.
link-cannot-sell = This link cannot sell right now
link-cannot-sell-detail = What it sells is no longer available. Ask the shop for a new link.
link-unavailable = This link cannot be opened right now
link-unavailable-detail = Try again in a moment.
too-many-visits = Too many visits
too-many-visits-text = This link was opened too often from your network. Try again in a few minutes.
