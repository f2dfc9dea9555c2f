//! What kassa tells a merchant happened: the event types, by their wire names.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    CheckoutSessionCompleted,
    CheckoutSessionExpired,
    CheckoutSessionAsyncPaymentSucceeded,
    CheckoutSessionAsyncPaymentFailed,
    PaymentSucceeded,
    PaymentFailed,
    PaymentRefunded,
    PurchaseCompleted,
    SubscriptionCreated,
    SubscriptionUpdated,
    SubscriptionCanceled,
    SubscriptionRenewed,
    SubscriptionPastDue,
    InvoicePaid,
    InvoicePaymentFailed,
    PaymentMethodAttached,
    CustomerCreated,
}

impl EventType {
    pub const ALL: [EventType; 17] = [
        EventType::CheckoutSessionCompleted,
        EventType::CheckoutSessionExpired,
        EventType::CheckoutSessionAsyncPaymentSucceeded,
        EventType::CheckoutSessionAsyncPaymentFailed,
        EventType::PaymentSucceeded,
        EventType::PaymentFailed,
        EventType::PaymentRefunded,
        EventType::PurchaseCompleted,
        EventType::SubscriptionCreated,
        EventType::SubscriptionUpdated,
        EventType::SubscriptionCanceled,
        EventType::SubscriptionRenewed,
        EventType::SubscriptionPastDue,
        EventType::InvoicePaid,
        EventType::InvoicePaymentFailed,
        EventType::PaymentMethodAttached,
        EventType::CustomerCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CheckoutSessionCompleted => "checkout.session.completed",
            EventType::CheckoutSessionExpired => "checkout.session.expired",
            EventType::CheckoutSessionAsyncPaymentSucceeded => {
                "checkout.session.async_payment_succeeded"
            }
            EventType::CheckoutSessionAsyncPaymentFailed => "checkout.session.async_payment_failed",
            EventType::PaymentSucceeded => "payment.succeeded",
            EventType::PaymentFailed => "payment.failed",
            EventType::PaymentRefunded => "payment.refunded",
            EventType::PurchaseCompleted => "purchase.completed",
            EventType::SubscriptionCreated => "subscription.created",
            EventType::SubscriptionUpdated => "subscription.updated",
            EventType::SubscriptionCanceled => "subscription.canceled",
            EventType::SubscriptionRenewed => "subscription.renewed",
            EventType::SubscriptionPastDue => "subscription.past_due",
            EventType::InvoicePaid => "invoice.paid",
            EventType::InvoicePaymentFailed => "invoice.payment_failed",
            EventType::PaymentMethodAttached => "payment_method.attached",
            EventType::CustomerCreated => "customer.created",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("checkout.session.created"), None);
        let names: std::collections::HashSet<_> =
            EventType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names.len(), EventType::ALL.len());
    }
}
