//! A bound on how long kassa waits for a processor. A call that runs past it is answered
//! [`ProcessorError::Unknown`]: the request may have reached the processor and moved money, so the
//! attempt stays charging and is looked up later, never reported as "nothing was charged".

use super::{
    ChargeOutcome, ChargeRequest, Lookup, LookupRequest, PaymentProcessor, ProcessorError,
    RefundRequest, SavedChargeRequest, Settlement,
};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// How long kassa waits for a processor's answer by default: a buyer is watching a spinner.
pub const PROCESSOR_TIMEOUT: Duration = Duration::from_secs(30);

/// `inner`, with every call bounded by `limit`.
pub struct WithTimeout {
    inner: Arc<dyn PaymentProcessor>,
    limit: Duration,
}

impl WithTimeout {
    pub fn new(inner: Arc<dyn PaymentProcessor>, limit: Duration) -> Self {
        WithTimeout { inner, limit }
    }

    async fn bounded<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, ProcessorError>>,
    ) -> Result<T, ProcessorError> {
        match tokio::time::timeout(self.limit, call).await {
            Ok(answer) => answer,
            Err(_) => Err(ProcessorError::Unknown(format!(
                "no answer to the {what} within {:?}",
                self.limit
            ))),
        }
    }
}

#[async_trait]
impl PaymentProcessor for WithTimeout {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn supports_livemode(&self) -> bool {
        self.inner.supports_livemode()
    }

    async fn charge(&self, request: ChargeRequest<'_>) -> Result<ChargeOutcome, ProcessorError> {
        self.bounded("charge", self.inner.charge(request)).await
    }

    async fn charge_saved(
        &self,
        request: SavedChargeRequest<'_>,
    ) -> Result<ChargeOutcome, ProcessorError> {
        self.bounded("charge", self.inner.charge_saved(request))
            .await
    }

    async fn complete_action(
        &self,
        reference: &str,
        approved: bool,
    ) -> Result<Settlement, ProcessorError> {
        self.bounded(
            "buyer's step",
            self.inner.complete_action(reference, approved),
        )
        .await
    }

    async fn settle(&self, reference: &str) -> Result<Settlement, ProcessorError> {
        self.bounded("settlement", self.inner.settle(reference))
            .await
    }

    async fn lookup(&self, request: LookupRequest<'_>) -> Result<Lookup, ProcessorError> {
        self.bounded("lookup", self.inner.lookup(request)).await
    }

    async fn refund(&self, request: RefundRequest<'_>) -> Result<String, ProcessorError> {
        self.bounded("refund", self.inner.refund(request)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::payments::testing::{BUYER, CLIENT, lookup_of};

    /// A processor that never answers.
    struct Silent;

    #[async_trait]
    impl PaymentProcessor for Silent {
        fn name(&self) -> &'static str {
            "silent"
        }
        fn supports_livemode(&self) -> bool {
            true
        }
        async fn charge(&self, _: ChargeRequest<'_>) -> Result<ChargeOutcome, ProcessorError> {
            std::future::pending().await
        }
        async fn charge_saved(
            &self,
            _: SavedChargeRequest<'_>,
        ) -> Result<ChargeOutcome, ProcessorError> {
            std::future::pending().await
        }
        async fn complete_action(&self, _: &str, _: bool) -> Result<Settlement, ProcessorError> {
            std::future::pending().await
        }
        async fn settle(&self, _: &str) -> Result<Settlement, ProcessorError> {
            Err(ProcessorError::UnknownReference("x".into()))
        }
        async fn lookup(&self, _: LookupRequest<'_>) -> Result<Lookup, ProcessorError> {
            Ok(Lookup::NotCharged)
        }
        async fn refund(&self, _: RefundRequest<'_>) -> Result<String, ProcessorError> {
            std::future::pending().await
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_past_the_limit_may_have_charged() {
        let bounded = WithTimeout::new(Arc::new(Silent), Duration::from_secs(30));
        let details = crate::domain::payment::PaymentDetails::Approval(
            crate::domain::session::PaymentMethodType::Paypal,
        );
        let answer = bounded
            .charge(ChargeRequest {
                idempotency_key: "att_1",
                amount: crate::domain::Money::new(
                    100,
                    crate::domain::Currency::parse("usd").unwrap(),
                ),
                details: &details,
                save_for_later: false,
                buyer: BUYER,
                return_url: "http://kassa.test/checkout/cs_1/return",
                client: &CLIENT,
                livemode: false,
            })
            .await;
        let Err(error) = answer else { panic!() };
        assert!(error.may_have_charged(), "{error}");
        assert!(
            error
                .to_string()
                .contains("no answer to the charge within 30s")
        );
        // An answer within the limit passes through as it is.
        assert!(matches!(
            bounded.settle("x").await,
            Err(ProcessorError::UnknownReference(_))
        ));
        assert_eq!(
            bounded.lookup(lookup_of("k", None)).await.unwrap(),
            Lookup::NotCharged
        );
    }
}
