//! The test-mode processor: behaves like a real one for the public test cards and accounts, and
//! moves no money. Outcomes follow the card or account number, as in Stripe's test mode:
//!
//! | number | outcome |
//! | --- | --- |
//! | 4242 4242 4242 4242 and the other brands' success cards | succeeds |
//! | 4000 0025 0000 3155 | asks for 3-D Secure, then succeeds or fails as the buyer chooses |
//! | 4000 0000 0000 0002 | declined: generic decline |
//! | 4000 0000 0000 9995 | declined: insufficient funds |
//! | 4000 0000 0000 0069 | declined: expired card |
//! | 4000 0000 0000 0127 | declined: incorrect CVC |
//! | any other card | declined: not a test card |
//! | IBAN DE62370400440532013001, AT861904300235473202 | SEPA debit pending, then fails |
//! | other IBANs | SEPA debit pending, then succeeds |
//! | US account 000111111113 / 000222222227 | pending, then fails: closed / insufficient funds |
//! | other US accounts | pending, then succeeds |
//! | Link, PayPal, customer balance | an approval page, then succeeds or is cancelled |
//!
//! Everything it needs later is in the reference it hands out, so it keeps no state: several kassa
//! processes, or one restarted, continue each other's payments.

use super::{
    ActionKind, ChargeOutcome, ChargeRequest, MethodSummary, PaymentProcessor, ProcessorError,
    Settlement,
};
use crate::domain::payment::PaymentDetails;
use async_trait::async_trait;
use sha2::{Digest, Sha256};

/// How long a test bank debit takes to settle.
pub const SETTLEMENT_DELAY_MS: i64 = 3_000;

const SUCCEEDING_CARDS: &[&str] = &[
    "4242424242424242",
    "4000056655665556",
    "5555555555554444",
    "2223003122003222",
    "5200828282828210",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "3056930009020004",
    "36227206271667",
    "3566002020360505",
    "6200000000000005",
];
const THREE_D_SECURE_CARD: &str = "4000002500003155";
const FAILING_IBANS: &[&str] = &["DE62370400440532013001", "AT861904300235473202"];

/// The test-mode processor. Refuses live-mode payments.
#[derive(Debug, Default, Clone, Copy)]
pub struct TestProcessor;

fn decline(code: &str, message: &str) -> ChargeOutcome {
    ChargeOutcome::Declined {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// A stable, one-way fingerprint of a method's identifying number.
fn fingerprint(identifying: &str) -> String {
    let digest = Sha256::digest(format!("kassa-test-processor:{identifying}").as_bytes());
    hex::encode(&digest[..8])
}

impl TestProcessor {
    fn card_outcome(&self, request: &ChargeRequest<'_>) -> ChargeOutcome {
        let PaymentDetails::Card { number, expiry, .. } = request.details else {
            unreachable!("only called for cards")
        };
        let digits = number.expose_digits();
        let method = MethodSummary {
            brand: Some(number.brand()),
            last4: number.last4().to_owned(),
            exp_month: Some(expiry.month),
            exp_year: Some(expiry.year),
            fingerprint: fingerprint(digits),
            bank_name: None,
        };
        let reference = format!("tm_ch_{}", request.idempotency_key);
        match digits {
            "4000000000000002" => decline("generic_decline", "Your card was declined."),
            "4000000000009995" => decline(
                "insufficient_funds",
                "Your card was declined: insufficient funds.",
            ),
            "4000000000000069" => {
                decline("expired_card", "Your card was declined: it has expired.")
            }
            "4000000000000127" => decline(
                "incorrect_cvc",
                "Your card was declined: its security code is incorrect.",
            ),
            THREE_D_SECURE_CARD => ChargeOutcome::RequiresAction {
                reference: format!("tm_3ds_{}", request.idempotency_key),
                action: ActionKind::ThreeDSecure,
                method,
            },
            d if SUCCEEDING_CARDS.contains(&d) => ChargeOutcome::Succeeded { reference, method },
            _ => decline(
                "card_declined",
                "Your card was declined. This is test mode, which takes only test cards such as 4242 4242 4242 4242.",
            ),
        }
    }
}

#[async_trait]
impl PaymentProcessor for TestProcessor {
    fn name(&self) -> &'static str {
        "test"
    }

    fn supports_livemode(&self) -> bool {
        false
    }

    async fn charge(&self, request: ChargeRequest<'_>) -> Result<ChargeOutcome, ProcessorError> {
        if request.livemode {
            return Err(ProcessorError::LiveModeUnavailable);
        }
        let key = request.idempotency_key;
        Ok(match request.details {
            PaymentDetails::Card { .. } => self.card_outcome(&request),
            PaymentDetails::SepaDebit { iban, .. } => {
                let failing = FAILING_IBANS.contains(&iban.expose());
                ChargeOutcome::Processing {
                    reference: if failing {
                        format!("tm_bank_fail_{key}")
                    } else {
                        format!("tm_bank_ok_{key}")
                    },
                    method: MethodSummary {
                        brand: None,
                        last4: iban.last4().to_owned(),
                        exp_month: None,
                        exp_year: None,
                        fingerprint: fingerprint(iban.expose()),
                        bank_name: Some(format!("{} bank", iban.country())),
                    },
                    settle_after_ms: SETTLEMENT_DELAY_MS,
                }
            }
            PaymentDetails::UsBankAccount {
                routing_number,
                account_number,
                ..
            } => {
                let outcome = match account_number.expose() {
                    "000111111113" => "fail_closed",
                    "000222222227" => "fail_funds",
                    _ => "ok",
                };
                ChargeOutcome::Processing {
                    reference: format!("tm_bank_{outcome}_{key}"),
                    method: MethodSummary {
                        brand: None,
                        last4: account_number.last4().to_owned(),
                        exp_month: None,
                        exp_year: None,
                        fingerprint: fingerprint(&format!(
                            "{routing_number}/{}",
                            account_number.expose()
                        )),
                        bank_name: Some("STRIPE TEST BANK".to_owned()),
                    },
                    settle_after_ms: SETTLEMENT_DELAY_MS,
                }
            }
            PaymentDetails::Approval(method_type) => ChargeOutcome::RequiresAction {
                reference: format!("tm_approve_{key}"),
                action: ActionKind::Approval,
                method: MethodSummary {
                    brand: None,
                    last4: String::new(),
                    exp_month: None,
                    exp_year: None,
                    fingerprint: fingerprint(method_type.as_str()),
                    bank_name: None,
                },
            },
        })
    }

    async fn complete_action(
        &self,
        reference: &str,
        approved: bool,
    ) -> Result<Settlement, ProcessorError> {
        let failed = |code: &str, message: &str| Settlement::Failed {
            code: code.into(),
            message: message.into(),
        };
        if reference.starts_with("tm_3ds_") {
            Ok(if approved {
                Settlement::Succeeded
            } else {
                failed(
                    "authentication_failed",
                    "Your card was declined: the bank could not authenticate you.",
                )
            })
        } else if reference.starts_with("tm_approve_") {
            Ok(if approved {
                Settlement::Succeeded
            } else {
                failed("payment_canceled", "You cancelled the payment.")
            })
        } else {
            Err(ProcessorError::UnknownReference(reference.to_owned()))
        }
    }

    async fn settle(&self, reference: &str) -> Result<Settlement, ProcessorError> {
        let failed = |code: &str, message: &str| Settlement::Failed {
            code: code.into(),
            message: message.into(),
        };
        if reference.starts_with("tm_bank_ok_") {
            Ok(Settlement::Succeeded)
        } else if reference.starts_with("tm_bank_fail_closed_") {
            Ok(failed("account_closed", "The bank account is closed."))
        } else if reference.starts_with("tm_bank_fail_funds_") {
            Ok(failed(
                "insufficient_funds",
                "The bank account has insufficient funds.",
            ))
        } else if reference.starts_with("tm_bank_fail_") {
            Ok(failed(
                "debit_not_authorized",
                "The bank refused the direct debit.",
            ))
        } else {
            Err(ProcessorError::UnknownReference(reference.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::CardNumber;
    use crate::domain::money::{Currency, Money};
    use crate::domain::payment::{AccountNumber, CardExpiry, Cvc, Iban};
    use crate::domain::session::PaymentMethodType;

    fn card(number: &str) -> PaymentDetails {
        let number = CardNumber::parse(number).unwrap();
        let cvc = Cvc::parse(
            if number.brand() == crate::domain::CardBrand::Amex {
                "1234"
            } else {
                "123"
            },
            number.brand(),
        )
        .unwrap();
        PaymentDetails::Card {
            number,
            expiry: CardExpiry {
                month: 12,
                year: 2034,
            },
            cvc,
            name: None,
        }
    }

    async fn charge(
        details: &PaymentDetails,
        livemode: bool,
    ) -> Result<ChargeOutcome, ProcessorError> {
        TestProcessor
            .charge(ChargeRequest {
                idempotency_key: "att_1",
                amount: Money::new(1000, Currency::parse("usd").unwrap()),
                details,
                save_for_later: false,
                livemode,
            })
            .await
    }

    #[tokio::test]
    async fn test_cards_behave_as_documented() {
        let outcome = charge(&card("4242424242424242"), false).await.unwrap();
        let ChargeOutcome::Succeeded { method, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(
            (method.last4.as_str(), method.brand),
            ("4242", Some(crate::domain::CardBrand::Visa))
        );
        assert!(!method.fingerprint.contains("4242424242"));
        for (number, code) in [
            ("4000000000000002", "generic_decline"),
            ("4000000000009995", "insufficient_funds"),
            ("4000000000000069", "expired_card"),
            ("4000000000000127", "incorrect_cvc"),
            ("4111111111111111", "card_declined"),
        ] {
            let outcome = charge(&card(number), false).await.unwrap();
            assert!(
                matches!(&outcome, ChargeOutcome::Declined { code: c, .. } if c == code),
                "{number}: {outcome:?}"
            );
        }
        let outcome = charge(&card("4000002500003155"), false).await.unwrap();
        let ChargeOutcome::RequiresAction {
            reference, action, ..
        } = outcome
        else {
            panic!()
        };
        assert_eq!(action, ActionKind::ThreeDSecure);
        assert_eq!(
            TestProcessor
                .complete_action(&reference, true)
                .await
                .unwrap(),
            Settlement::Succeeded
        );
        assert!(matches!(
            TestProcessor
                .complete_action(&reference, false)
                .await
                .unwrap(),
            Settlement::Failed { .. }
        ));
    }

    #[tokio::test]
    async fn bank_debits_settle_later_as_their_number_says() {
        let sepa = |iban: &str| PaymentDetails::SepaDebit {
            iban: Iban::parse(iban).unwrap(),
            holder: "A".into(),
        };
        for (details, settles) in [
            (sepa("DE89370400440532013000"), true),
            (sepa("DE62370400440532013001"), false),
            (
                PaymentDetails::UsBankAccount {
                    routing_number: "110000000".into(),
                    account_number: AccountNumber::parse("000123456789").unwrap(),
                    holder: "A".into(),
                },
                true,
            ),
            (
                PaymentDetails::UsBankAccount {
                    routing_number: "110000000".into(),
                    account_number: AccountNumber::parse("000111111113").unwrap(),
                    holder: "A".into(),
                },
                false,
            ),
        ] {
            let ChargeOutcome::Processing {
                reference,
                settle_after_ms,
                ..
            } = charge(&details, false).await.unwrap()
            else {
                panic!()
            };
            assert_eq!(settle_after_ms, SETTLEMENT_DELAY_MS);
            assert_eq!(
                TestProcessor.settle(&reference).await.unwrap() == Settlement::Succeeded,
                settles,
                "{details:?}"
            );
        }
    }

    #[tokio::test]
    async fn wallets_ask_for_approval_and_live_mode_is_refused() {
        let outcome = charge(&PaymentDetails::Approval(PaymentMethodType::Paypal), false)
            .await
            .unwrap();
        let ChargeOutcome::RequiresAction {
            reference, action, ..
        } = outcome
        else {
            panic!()
        };
        assert_eq!(action, ActionKind::Approval);
        assert!(matches!(
            TestProcessor
                .complete_action(&reference, false)
                .await
                .unwrap(),
            Settlement::Failed { .. }
        ));
        assert!(matches!(
            charge(&card("4242424242424242"), true).await,
            Err(ProcessorError::LiveModeUnavailable)
        ));
        assert!(TestProcessor.settle("nonsense").await.is_err());
    }
}
