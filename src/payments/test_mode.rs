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
//! | 4000 0000 0000 0341 | saved (a setup, a zero amount) succeeds; every charge is declined, on session or off |
//! | any other card | declined: not a test card |
//! | IBAN DE62370400440532013001, AT861904300235473202 | SEPA debit pending, then fails |
//! | other IBANs | SEPA debit pending, then succeeds |
//! | US account 000111111113 / 000222222227 | pending, then fails: closed / insufficient funds |
//! | other US accounts | pending, then succeeds |
//! | Link, PayPal, customer balance | an approval page, then succeeds or is cancelled |
//!
//! Like a real processor it keeps a ledger (`store::test_processor`, in kassa's database so that
//! every kassa process sharing it, or one restarted, sees one processor): a key seen again gets
//! the first answer and moves no more money; a charge can be looked up by its key, and a lookup
//! of a key it never charged closes the key; a succeeded charge can be refunded once.

use super::{
    ActionKind, ChargeOutcome, ChargeRequest, Lookup, LookupRequest, MethodSummary,
    PaymentProcessor, ProcessorError, RefundRequest, SavedChargeRequest, Settlement,
};
use crate::domain::payment::PaymentDetails;
use crate::store::{NewTestCharge, Store, StoreError, TestCharge, TestRefund};
use async_trait::async_trait;

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
/// Saves, then declines every charge (Stripe's "attaching succeeds, charging fails" card).
const SAVED_THEN_DECLINED_CARD: &str = "4000000000000341";
/// How the test processor names a method it saved: what an off-session charge of it does.
const SAVED_OK: &str = "tm_pm_ok_";
const SAVED_DECLINES: &str = "tm_pm_declines_";
const SAVED_DEBIT: &str = "tm_pm_debit_";
const FAILING_IBANS: &[&str] = &["DE62370400440532013001", "AT861904300235473202"];

/// The test-mode processor. Refuses live-mode payments.
#[derive(Clone)]
pub struct TestProcessor {
    ledger: Store,
}

fn decline(code: &str, message: &str) -> ChargeOutcome {
    ChargeOutcome::Declined {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// The installation key card and account fingerprints are keyed with.
pub const FINGERPRINT_KEY: &str = "test-processor-fingerprints";

/// A stable, one-way fingerprint of a method's identifying number: an HMAC under the
/// installation's key, since the digits of a card number left to guess are few enough to try
/// every one against a plain digest in seconds.
fn fingerprint(key: &[u8; 32], identifying: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(identifying.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..8])
}

impl TestProcessor {
    /// A test processor keeping its ledger in `ledger`'s database.
    pub fn new(ledger: Store) -> TestProcessor {
        TestProcessor { ledger }
    }

    /// Keeps `answer` under `key` in the ledger and answers what the key was first answered.
    async fn record(
        &self,
        key: &str,
        amount: crate::domain::money::Money,
        answer: &ChargeOutcome,
    ) -> Result<ChargeOutcome, ProcessorError> {
        let json =
            serde_json::to_string(answer).map_err(|e| ProcessorError::Unknown(e.to_string()))?;
        let currency = amount.currency.code_lower();
        let charge = self
            .ledger
            .test_charge_once(
                &NewTestCharge {
                    idempotency_key: key,
                    reference: reference_of(answer),
                    amount: amount.amount,
                    currency: &currency,
                    state: state_of(answer),
                    answer: Some(&json),
                },
                crate::store::now_ms(),
            )
            .await
            .map_err(ledger_error)?;
        if charge.state == "closed" {
            return Err(ProcessorError::NotCharged(
                "this idempotency key was closed by a lookup before any charge".into(),
            ));
        }
        // A key seen before gets its first answer, whatever this request asked.
        read_answer(&charge)
    }
}

/// What the test processor answers a charge, by the card or account number (the table above).
fn answer(request: &ChargeRequest<'_>, keyed: &[u8; 32]) -> ChargeOutcome {
    let key = request.idempotency_key;
    match request.details {
        PaymentDetails::Card { .. } => card_outcome(request, keyed),
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
                    fingerprint: fingerprint(keyed, iban.expose()),
                    bank_name: Some(format!("{} bank", iban.country())),
                    processor_method: saved_debit(request, keyed, iban.expose()),
                    ..MethodSummary::default()
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
                    fingerprint: fingerprint(
                        keyed,
                        &format!("{routing_number}/{}", account_number.expose()),
                    ),
                    bank_name: Some("STRIPE TEST BANK".to_owned()),
                    processor_method: saved_debit(
                        request,
                        keyed,
                        &format!("{routing_number}/{}", account_number.expose()),
                    ),
                    ..MethodSummary::default()
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
                fingerprint: fingerprint(keyed, method_type.as_str()),
                bank_name: None,
                ..MethodSummary::default()
            },
            redirect_url: None,
        },
    }
}

/// The name a saved bank account is charged by later.
fn saved_debit(request: &ChargeRequest<'_>, key: &[u8; 32], identifying: &str) -> Option<String> {
    request
        .save_for_later
        .then(|| format!("{SAVED_DEBIT}{}", fingerprint(key, identifying)))
}

/// What the test processor answers an off-session charge of a method it saved: by the name it
/// gave the method (a card that declines, a bank debit that settles later, or a card that
/// pays); a method it did not save (no name) is charged as a card that pays.
fn saved_answer(request: &SavedChargeRequest<'_>) -> ChargeOutcome {
    let key = request.idempotency_key;
    let saved = request.method;
    let method = MethodSummary {
        brand: saved.brand,
        last4: saved.last4.to_owned(),
        exp_month: saved.exp_month,
        exp_year: saved.exp_year,
        fingerprint: saved.fingerprint.to_owned(),
        processor_method: saved.processor_method.map(str::to_owned),
        ..MethodSummary::default()
    };
    match saved.processor_method {
        Some(name) if name.starts_with(SAVED_DECLINES) => {
            decline("card_declined", "Your card was declined.")
        }
        Some(name) if name.starts_with(SAVED_DEBIT) => ChargeOutcome::Processing {
            reference: format!("tm_bank_ok_{key}"),
            method,
            settle_after_ms: SETTLEMENT_DELAY_MS,
        },
        _ => ChargeOutcome::Succeeded {
            reference: format!("tm_ch_{key}"),
            method,
        },
    }
}

fn card_outcome(request: &ChargeRequest<'_>, key: &[u8; 32]) -> ChargeOutcome {
    let PaymentDetails::Card { number, expiry, .. } = request.details else {
        unreachable!("only called for cards")
    };
    let digits = number.expose_digits();
    let fingerprint = fingerprint(key, digits);
    let saved_as = if digits == SAVED_THEN_DECLINED_CARD {
        SAVED_DECLINES
    } else {
        SAVED_OK
    };
    let method = MethodSummary {
        brand: Some(number.brand()),
        last4: number.last4().to_owned(),
        exp_month: Some(expiry.month),
        exp_year: Some(expiry.year),
        processor_method: request
            .save_for_later
            .then(|| format!("{saved_as}{fingerprint}")),
        fingerprint,
        ..MethodSummary::default()
    };
    let reference = format!("tm_ch_{}", request.idempotency_key);
    match digits {
        "4000000000000002" => decline("generic_decline", "Your card was declined."),
        "4000000000009995" => decline(
            "insufficient_funds",
            "Your card was declined: insufficient funds.",
        ),
        "4000000000000069" => decline("expired_card", "Your card was declined: it has expired."),
        "4000000000000127" => decline(
            "incorrect_cvc",
            "Your card was declined: its security code is incorrect.",
        ),
        THREE_D_SECURE_CARD => ChargeOutcome::RequiresAction {
            reference: format!("tm_3ds_{}", request.idempotency_key),
            action: ActionKind::ThreeDSecure,
            method,
            redirect_url: None,
        },
        SAVED_THEN_DECLINED_CARD if request.amount.amount == 0 => {
            ChargeOutcome::Succeeded { reference, method }
        }
        SAVED_THEN_DECLINED_CARD => decline("card_declined", "Your card was declined."),
        d if SUCCEEDING_CARDS.contains(&d) => ChargeOutcome::Succeeded { reference, method },
        _ => decline(
            "card_declined",
            "Your card was declined. This is test mode, which takes only test cards such as 4242 4242 4242 4242.",
        ),
    }
}

/// The ledger's word for an answer.
fn state_of(answer: &ChargeOutcome) -> &'static str {
    match answer {
        ChargeOutcome::Succeeded { .. } => "succeeded",
        ChargeOutcome::Declined { .. } => "declined",
        ChargeOutcome::RequiresAction { .. } => "requires_action",
        ChargeOutcome::Processing { .. } => "processing",
    }
}

fn reference_of(answer: &ChargeOutcome) -> Option<&str> {
    match answer {
        ChargeOutcome::Succeeded { reference, .. }
        | ChargeOutcome::RequiresAction { reference, .. }
        | ChargeOutcome::Processing { reference, .. } => Some(reference),
        ChargeOutcome::Declined { .. } => None,
    }
}

/// How the buyer's step ends for a charge that awaits it, as they chose.
fn action_outcome(reference: &str, approved: bool) -> Option<Settlement> {
    let failed = |code: &str, message: &str| Settlement::Failed {
        code: code.into(),
        message: message.into(),
    };
    if reference.starts_with("tm_3ds_") {
        Some(if approved {
            Settlement::Succeeded
        } else {
            failed(
                "authentication_failed",
                "Your card was declined: the bank could not authenticate you.",
            )
        })
    } else if reference.starts_with("tm_approve_") {
        Some(if approved {
            Settlement::Succeeded
        } else {
            failed("payment_canceled", "You cancelled the payment.")
        })
    } else {
        None
    }
}

/// How a bank debit settles, as its reference says.
fn settlement_of(reference: &str) -> Option<Settlement> {
    let failed = |code: &str, message: &str| Settlement::Failed {
        code: code.into(),
        message: message.into(),
    };
    if reference.starts_with("tm_bank_ok_") {
        Some(Settlement::Succeeded)
    } else if reference.starts_with("tm_bank_fail_closed_") {
        Some(failed("account_closed", "The bank account is closed."))
    } else if reference.starts_with("tm_bank_fail_funds_") {
        Some(failed(
            "insufficient_funds",
            "The bank account has insufficient funds.",
        ))
    } else if reference.starts_with("tm_bank_fail_") {
        Some(failed(
            "debit_not_authorized",
            "The bank refused the direct debit.",
        ))
    } else {
        None
    }
}

fn ledger_error(error: StoreError) -> ProcessorError {
    // The processor's own books could not be read or written: to kassa, like a processor that did
    // not answer.
    ProcessorError::Unknown(format!("the test processor's ledger failed: {error}"))
}

fn read_answer(charge: &TestCharge) -> Result<ChargeOutcome, ProcessorError> {
    let answer = charge.answer.as_deref().unwrap_or("null");
    serde_json::from_str(answer).map_err(|e| ProcessorError::Unknown(e.to_string()))
}

impl TestProcessor {
    /// The charge with `reference`, ended as `ended` says if it is still `from` (the buyer's step,
    /// a settlement): what it came to.
    async fn end(
        &self,
        reference: &str,
        from: &str,
        ended: Option<Settlement>,
    ) -> Result<Settlement, ProcessorError> {
        let unknown = || ProcessorError::UnknownReference(reference.to_owned());
        let charge = self
            .ledger
            .test_charge_by_reference(reference)
            .await
            .map_err(ledger_error)?
            .ok_or_else(unknown)?;
        if charge.state == from {
            let ended = ended.ok_or_else(unknown)?;
            let answer = match (&ended, read_answer(&charge)?) {
                (Settlement::Succeeded, previous) => ChargeOutcome::Succeeded {
                    reference: reference.to_owned(),
                    method: method_of(&previous),
                },
                (Settlement::Failed { code, message }, _) => decline(code, message),
                (Settlement::Pending, _) => return Ok(Settlement::Pending),
            };
            let json = serde_json::to_string(&answer)
                .map_err(|e| ProcessorError::Unknown(e.to_string()))?;
            let to = match ended {
                Settlement::Pending => return Ok(Settlement::Pending),
                Settlement::Succeeded => "succeeded",
                Settlement::Failed { .. } if from == "processing" => "failed",
                Settlement::Failed { .. } => "declined",
            };
            self.ledger
                .move_test_charge(
                    reference,
                    from,
                    to,
                    Some(&json),
                    None,
                    crate::store::now_ms(),
                )
                .await
                .map_err(ledger_error)?;
        }
        // Asked again, or ended meanwhile by another request: what the ledger says now.
        let charge = self
            .ledger
            .test_charge_by_reference(reference)
            .await
            .map_err(ledger_error)?
            .ok_or_else(unknown)?;
        match read_answer(&charge)? {
            ChargeOutcome::Succeeded { .. } => Ok(Settlement::Succeeded),
            ChargeOutcome::Declined { code, message } => Ok(Settlement::Failed { code, message }),
            _ => Err(ProcessorError::NotCharged(format!(
                "the charge `{reference}` is {}",
                charge.state
            ))),
        }
    }
}

/// The method a charge was made with, as its first answer described it.
fn method_of(answer: &ChargeOutcome) -> MethodSummary {
    match answer {
        ChargeOutcome::Succeeded { method, .. }
        | ChargeOutcome::RequiresAction { method, .. }
        | ChargeOutcome::Processing { method, .. } => method.clone(),
        ChargeOutcome::Declined { .. } => MethodSummary::default(),
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
        let key = self
            .ledger
            .installation_key(FINGERPRINT_KEY)
            .await
            .map_err(|e| ProcessorError::NotCharged(format!("reading the fingerprint key: {e}")))?;
        let answer = answer(&request, &key);
        self.record(request.idempotency_key, request.amount, &answer)
            .await
    }

    async fn charge_saved(
        &self,
        request: SavedChargeRequest<'_>,
    ) -> Result<ChargeOutcome, ProcessorError> {
        if request.livemode {
            return Err(ProcessorError::LiveModeUnavailable);
        }
        let answer = saved_answer(&request);
        self.record(request.idempotency_key, request.amount, &answer)
            .await
    }

    async fn complete_action(
        &self,
        reference: &str,
        approved: bool,
    ) -> Result<Settlement, ProcessorError> {
        self.end(
            reference,
            "requires_action",
            action_outcome(reference, approved),
        )
        .await
    }

    async fn settle(&self, reference: &str) -> Result<Settlement, ProcessorError> {
        self.end(reference, "processing", settlement_of(reference))
            .await
    }

    async fn lookup(&self, request: LookupRequest<'_>) -> Result<Lookup, ProcessorError> {
        let idempotency_key = request.idempotency_key;
        // Closes the key unless a charge took it first.
        let charge = self
            .ledger
            .test_charge_once(
                &NewTestCharge {
                    idempotency_key,
                    reference: None,
                    amount: 0,
                    currency: "",
                    state: "closed",
                    answer: None,
                },
                crate::store::now_ms(),
            )
            .await
            .map_err(ledger_error)?;
        if charge.state == "closed" {
            return Ok(Lookup::NotCharged);
        }
        let answer = read_answer(&charge)?;
        Ok(Lookup::Charged(match (charge.state.as_str(), answer) {
            // Refunded since: it was charged, and succeeded.
            ("refunded", answer) => ChargeOutcome::Succeeded {
                reference: charge.reference.clone().unwrap_or_default(),
                method: method_of(&answer),
            },
            (_, answer) => answer,
        }))
    }

    async fn refund(&self, request: RefundRequest<'_>) -> Result<String, ProcessorError> {
        let reference = request.reference;
        if self
            .ledger
            .test_charge_by_reference(reference)
            .await
            .map_err(ledger_error)?
            .is_none()
        {
            return Err(ProcessorError::UnknownReference(reference.to_owned()));
        }
        match self
            .ledger
            .test_refund_once(
                request.idempotency_key,
                reference,
                request.amount.amount,
                crate::store::now_ms(),
            )
            .await
            .map_err(ledger_error)?
        {
            TestRefund::Made(refund) => Ok(refund),
            TestRefund::NotRefundable(why) => Err(ProcessorError::NotCharged(why)),
            TestRefund::TooMuch { refundable } => Err(ProcessorError::NotCharged(format!(
                "the refund is more than is left of the charge `{reference}` ({refundable})"
            ))),
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
    use crate::payments::testing::{BUYER, CLIENT, lookup_of};

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

    /// A test processor with a ledger of its own, in a fresh SQLite file.
    struct Fixture {
        processor: TestProcessor,
        keys: std::sync::atomic::AtomicU32,
        _dir: tempfile::TempDir,
    }

    async fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
        let store = Store::connect(&url, &crate::store::PoolSettings::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        Fixture {
            processor: TestProcessor::new(store),
            keys: Default::default(),
            _dir: dir,
        }
    }

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::parse("usd").unwrap())
    }

    impl Fixture {
        /// Charges 10.00 under `key`.
        async fn charge_with(
            &self,
            key: &str,
            details: &PaymentDetails,
        ) -> Result<ChargeOutcome, ProcessorError> {
            self.processor
                .charge(ChargeRequest {
                    idempotency_key: key,
                    amount: usd(1000),
                    details,
                    save_for_later: false,
                    buyer: BUYER,
                    return_url: "http://kassa.test/checkout/cs_1/return",
                    client: &CLIENT,
                    livemode: false,
                })
                .await
        }

        /// Charges 10.00 under a key of its own.
        async fn charge(
            &self,
            details: &PaymentDetails,
            livemode: bool,
        ) -> Result<ChargeOutcome, ProcessorError> {
            let n = self.keys.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.processor
                .charge(ChargeRequest {
                    idempotency_key: &format!("att_{n}"),
                    amount: usd(1000),
                    details,
                    save_for_later: false,
                    buyer: BUYER,
                    return_url: "http://kassa.test/checkout/cs_1/return",
                    client: &CLIENT,
                    livemode,
                })
                .await
        }
    }

    #[test]
    fn fingerprints_are_keyed_with_the_installations_secret() {
        let card = "4242424242424242";
        let ours = fingerprint(&[7; 32], card);
        assert_eq!(ours, fingerprint(&[7; 32], card), "stable");
        assert_ne!(ours, fingerprint(&[7; 32], "4000056655665556"));
        // Another installation's fingerprint of the same card tells nothing of ours, and the
        // digest anyone could compute (what kassa kept before) is not it.
        assert_ne!(ours, fingerprint(&[8; 32], card));
        use sha2::Digest;
        let unkeyed = sha2::Sha256::digest(format!("kassa-test-processor:{card}").as_bytes());
        assert_ne!(ours, hex::encode(&unkeyed[..8]));
    }

    #[tokio::test]
    async fn test_cards_behave_as_documented() {
        let fx = fixture().await;
        let outcome = fx.charge(&card("4242424242424242"), false).await.unwrap();
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
            let outcome = fx.charge(&card(number), false).await.unwrap();
            assert!(
                matches!(&outcome, ChargeOutcome::Declined { code: c, .. } if c == code),
                "{number}: {outcome:?}"
            );
        }
        let outcome = fx.charge(&card("4000002500003155"), false).await.unwrap();
        let ChargeOutcome::RequiresAction {
            reference, action, ..
        } = outcome
        else {
            panic!()
        };
        assert_eq!(action, ActionKind::ThreeDSecure);
        assert_eq!(
            fx.processor
                .complete_action(&reference, true)
                .await
                .unwrap(),
            Settlement::Succeeded
        );
        // The step ended: asked again, the processor says the same.
        assert_eq!(
            fx.processor
                .complete_action(&reference, false)
                .await
                .unwrap(),
            Settlement::Succeeded
        );
        let Ok(ChargeOutcome::RequiresAction { reference, .. }) =
            fx.charge(&card("4000002500003155"), false).await
        else {
            panic!()
        };
        assert!(matches!(
            fx.processor
                .complete_action(&reference, false)
                .await
                .unwrap(),
            Settlement::Failed { .. }
        ));
    }

    #[tokio::test]
    async fn bank_debits_settle_later_as_their_number_says() {
        let fx = fixture().await;
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
            } = fx.charge(&details, false).await.unwrap()
            else {
                panic!()
            };
            assert_eq!(settle_after_ms, SETTLEMENT_DELAY_MS);
            assert_eq!(
                fx.processor.settle(&reference).await.unwrap() == Settlement::Succeeded,
                settles,
                "{details:?}"
            );
        }
    }

    #[tokio::test]
    async fn wallets_ask_for_approval_and_live_mode_is_refused() {
        let fx = fixture().await;
        let outcome = fx
            .charge(&PaymentDetails::Approval(PaymentMethodType::Paypal), false)
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
            fx.processor
                .complete_action(&reference, false)
                .await
                .unwrap(),
            Settlement::Failed { .. }
        ));
        assert!(matches!(
            fx.charge(&card("4242424242424242"), true).await,
            Err(ProcessorError::LiveModeUnavailable)
        ));
        assert!(fx.processor.settle("nonsense").await.is_err());
    }

    #[tokio::test]
    async fn a_key_gets_its_first_answer_and_moves_money_once() {
        let fx = fixture().await;
        let first = fx
            .charge_with("att_once", &card("4242424242424242"))
            .await
            .unwrap();
        // The same key with a declining card: still the first answer, and one row.
        let again = fx
            .charge_with("att_once", &card("4000000000000002"))
            .await
            .unwrap();
        assert_eq!(again, first);
        assert!(matches!(first, ChargeOutcome::Succeeded { .. }));
        let charges = fx.processor.ledger.test_charges().await.unwrap();
        assert_eq!(charges.len(), 1);
        assert_eq!(
            (charges[0].amount, charges[0].state.as_str()),
            (1000, "succeeded")
        );
    }

    #[tokio::test]
    async fn a_lookup_finds_a_charge_or_closes_its_key() {
        let fx = fixture().await;
        let charged = fx
            .charge_with("att_charged", &card("4242424242424242"))
            .await
            .unwrap();
        assert_eq!(
            fx.processor
                .lookup(lookup_of("att_charged", None))
                .await
                .unwrap(),
            Lookup::Charged(charged)
        );
        // Never charged: the lookup closes the key, and a late request with it is refused.
        assert_eq!(
            fx.processor
                .lookup(lookup_of("att_lost", None))
                .await
                .unwrap(),
            Lookup::NotCharged
        );
        let late = fx.charge_with("att_lost", &card("4242424242424242")).await;
        assert!(
            matches!(late, Err(ProcessorError::NotCharged(_))),
            "{late:?}"
        );
        assert_eq!(
            fx.processor
                .lookup(lookup_of("att_lost", None))
                .await
                .unwrap(),
            Lookup::NotCharged
        );
        // A charge that awaited the buyer's step is looked up as it ended.
        let Ok(ChargeOutcome::RequiresAction { reference, .. }) =
            fx.charge_with("att_3ds", &card("4000002500003155")).await
        else {
            panic!()
        };
        fx.processor
            .complete_action(&reference, true)
            .await
            .unwrap();
        assert!(matches!(
            fx.processor
                .lookup(lookup_of("att_3ds", Some(&reference)))
                .await
                .unwrap(),
            Lookup::Charged(ChargeOutcome::Succeeded { .. })
        ));
    }

    #[tokio::test]
    async fn a_succeeded_charge_is_refunded_in_parts_never_past_it_and_once_per_key() {
        let fx = fixture().await;
        let Ok(ChargeOutcome::Succeeded { reference, .. }) = fx
            .charge_with("att_refund", &card("4242424242424242"))
            .await
        else {
            panic!()
        };
        let refund = |key, amount| RefundRequest {
            idempotency_key: key,
            reference: &reference,
            amount: usd(amount),
        };
        // A part, asked twice under its key, is made once.
        let part = fx.processor.refund(refund("re_1", 400)).await.unwrap();
        assert_eq!(
            fx.processor.refund(refund("re_1", 400)).await.unwrap(),
            part
        );
        assert_eq!(
            fx.processor.ledger.test_refunded_total().await.unwrap(),
            400
        );
        // More than is left is refused; the rest completes it.
        assert!(matches!(
            fx.processor.refund(refund("re_2", 601)).await,
            Err(ProcessorError::NotCharged(_))
        ));
        let rest = fx.processor.refund(refund("re_3", 600)).await.unwrap();
        let charges = fx.processor.ledger.test_charges().await.unwrap();
        assert_eq!(
            (
                charges[0].state.as_str(),
                charges[0].refund_reference.as_deref()
            ),
            ("refunded", Some(rest.as_str()))
        );
        // Nothing is left to give back.
        assert!(matches!(
            fx.processor.refund(refund("re_4", 1)).await,
            Err(ProcessorError::NotCharged(_))
        ));
        assert_eq!(
            fx.processor.ledger.test_refunded_total().await.unwrap(),
            1000
        );
        // A decline moved nothing and cannot be refunded.
        fx.charge_with("att_declined", &card("4000000000000002"))
            .await
            .unwrap();
        assert!(matches!(
            fx.processor
                .refund(RefundRequest {
                    idempotency_key: "x",
                    reference: "tm_ch_att_declined",
                    amount: usd(1000),
                })
                .await,
            Err(ProcessorError::UnknownReference(_))
        ));
    }
}
