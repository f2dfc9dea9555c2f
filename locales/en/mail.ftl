# The mail kassa sends buyers for a merchant: receipts, a renewal that failed, a trial ending.
# Named in the code by the English text, as checkout.ftl.

## A receipt
mail-receipt-subject = Your receipt from { $merchant }
mail-receipt-thanks = Thank you for your payment of { $amount } to { $merchant }.
mail-receipt-for = For: { $description }
mail-receipt-paid-with = Paid with: { $method }
mail-receipt-date = Date: { $date }
mail-receipt-invoice = Invoice: { $number }
mail-receipt-shipping = Shipping to: { $address }

## A renewal that did not go through
mail-failed-subject = Your payment to { $merchant } did not go through
mail-failed-could-not = We could not charge { $amount } for { $description }.
mail-failed-reason = Reason: { $reason }
mail-failed-retry = We will try again on { $date }. To avoid an interruption, update your payment method before then.
mail-failed-last = This was the last try: the subscription is no longer paid for.

## A trial ending
mail-trial-subject = Your trial with { $merchant } ends on { $date }
mail-trial-ends = Your free trial of { $description } ends on { $date }.
mail-trial-then = Then { $amount } will be charged to your saved payment method, each period, until you cancel.

## Every mail
mail-view-online-text = View it online: { $link }
mail-view-online = View it online
mail-manage-text = Manage your subscriptions, card and invoices: { $link }
mail-manage = Manage your subscriptions, card and invoices
mail-your-subscription = your subscription
