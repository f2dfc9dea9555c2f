//! No charge unaccounted for: the processor or the database fails at each point of a payment,
//! and every test ends with exactly one charge per paid session and no charge that kassa does not
//! know about, held against the test processor's own ledger (what it charged, by idempotency key).

use crate::app::{Options, TestApp, card, confirm};
use async_trait::async_trait;
use kassa::domain::payment::AttemptStatus;
use kassa::payments::test_mode::TestProcessor;
use kassa::payments::{
    Buyer, ChargeOutcome, ChargeRequest, ClientInfo, Lookup, LookupRequest, PaymentProcessor,
    ProcessorError, RefundRequest, SavedChargeRequest, Settlement,
};
use kassa::store::{Engine, Store};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

crate::on_both_engines!(
    a_refused_request_charges_nothing_and_the_buyer_tries_again,
    a_charge_whose_answer_is_lost_is_found_and_recorded_once,
    a_request_lost_before_the_processor_is_closed_and_never_charges,
    a_charge_whose_record_cannot_be_written_is_found_and_recorded,
    a_charge_whose_process_died_is_found_and_recorded,
    a_charge_that_outlives_its_session_is_refunded_and_recorded,
    a_lost_answer_to_the_buyers_step_is_found_and_recorded,
    a_payment_in_flight_when_kassa_stops_is_finished_and_recorded,
    a_limited_code_paid_with_at_once_is_redeemed_no_more_than_its_limit,
    a_refund_whose_answer_is_lost_is_asked_for_again_and_made_once,
    a_refund_the_processor_refuses_gives_its_amount_back_to_the_payment,
    a_renewal_whose_answer_is_lost_is_looked_up_and_charged_once,
);

/// What the test processor does instead of answering, once, in order.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Answers as the test processor does.
    Pass,
    /// Refuses the request before charging (the processor rejected it).
    Refuse,
    /// Charges, and the answer never arrives (a timeout after the processor took it).
    LoseAnswer,
    /// The request never reaches the processor (a timeout before it arrived).
    LoseRequest,
    /// Charges, and the request's task never goes on: as if its process died there.
    Die,
    /// Answers as the test processor does, a second late.
    Slow,
}

/// The test processor with faults injected into its charges and the buyer's steps.
struct Faulty {
    inner: TestProcessor,
    faults: Mutex<VecDeque<Fault>>,
    /// Told when a charge was made under a fault that hides it.
    charged: tokio::sync::Notify,
}

impl Faulty {
    fn next(&self) -> Option<Fault> {
        self.faults.lock().unwrap().pop_front()
    }

    async fn apply<T>(
        &self,
        call: impl Future<Output = Result<T, ProcessorError>>,
    ) -> Result<T, ProcessorError> {
        match self.next() {
            None | Some(Fault::Pass) => call.await,
            Some(Fault::Refuse) => Err(ProcessorError::NotCharged("injected: refused".into())),
            Some(Fault::LoseRequest) => Err(ProcessorError::Unknown("injected: lost".into())),
            Some(Fault::LoseAnswer) => {
                call.await?;
                self.charged.notify_one();
                Err(ProcessorError::Unknown(
                    "injected: the answer was lost".into(),
                ))
            }
            Some(Fault::Die) => {
                call.await?;
                self.charged.notify_one();
                // Nothing after the charge runs: the request's task ends here.
                panic!("injected: the process died after the charge")
            }
            Some(Fault::Slow) => {
                self.charged.notify_one();
                tokio::time::sleep(Duration::from_secs(1)).await;
                call.await
            }
        }
    }
}

#[async_trait]
impl PaymentProcessor for Faulty {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn supports_livemode(&self) -> bool {
        false
    }
    async fn charge(&self, request: ChargeRequest<'_>) -> Result<ChargeOutcome, ProcessorError> {
        self.apply(self.inner.charge(request)).await
    }
    async fn charge_saved(
        &self,
        request: SavedChargeRequest<'_>,
    ) -> Result<ChargeOutcome, ProcessorError> {
        self.apply(self.inner.charge_saved(request)).await
    }
    async fn complete_action(
        &self,
        reference: &str,
        ok: bool,
    ) -> Result<Settlement, ProcessorError> {
        self.apply(self.inner.complete_action(reference, ok)).await
    }
    async fn settle(&self, reference: &str) -> Result<Settlement, ProcessorError> {
        self.inner.settle(reference).await
    }
    async fn lookup(&self, request: LookupRequest<'_>) -> Result<Lookup, ProcessorError> {
        self.inner.lookup(request).await
    }
    async fn refund(&self, request: RefundRequest<'_>) -> Result<String, ProcessorError> {
        self.apply(self.inner.refund(request)).await
    }
}

/// A kassa whose processor does `faults`, in order, then behaves.
async fn spawn(engine: Engine, test: &str, faults: &[Fault]) -> Option<(TestApp, Arc<Faulty>)> {
    let faulty: Arc<Mutex<Option<Arc<Faulty>>>> = Default::default();
    let made = faulty.clone();
    let faults: VecDeque<Fault> = faults.iter().copied().collect();
    let options = Options {
        processor: Some(Box::new(move |store: &Store| {
            let processor = Arc::new(Faulty {
                inner: TestProcessor::new(store.clone()),
                faults: Mutex::new(faults),
                charged: Default::default(),
            });
            *made.lock().unwrap() = Some(processor.clone());
            processor as Arc<dyn PaymentProcessor>
        })),
        ..Options::default()
    };
    let app = TestApp::spawn_with(engine, test, options).await?;
    let processor = faulty.lock().unwrap().clone().expect("made at start");
    Some((app, processor))
}

async fn beans_session(app: &TestApp) -> String {
    app.create_session(&json!({
        "line_items": [{ "price": app.price_id("espresso-beans"), "quantity": 2 }],
        "success_url": "https://shop.example/thanks",
    }))
    .await
}

/// The session's attempts, newest first.
async fn attempts(app: &TestApp, id: &str) -> Vec<kassa::store::AttemptRecord> {
    app.store.attempts_of_session(id).await.unwrap()
}

async fn status(app: &TestApp, id: &str) -> String {
    let session = app.store.session_by_id(id).await.unwrap().unwrap();
    session.status.as_str().to_owned()
}

/// Makes the session's charging attempt due to be asked about now, as its time would.
async fn due_now(app: &TestApp, attempt: &str) {
    app.execute_sql(&format!(
        "UPDATE payment_attempts SET settle_after = 0 WHERE id = '{attempt}'"
    ))
    .await;
}

/// Waits (up to 20 s) until the attempt leaves `charging`, as the reconciler records it.
async fn resolved(app: &TestApp, attempt: &str) -> AttemptStatus {
    for _ in 0..200 {
        let found = app.store.attempt(attempt).await.unwrap().unwrap();
        if found.status != AttemptStatus::Charging {
            return found.status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the attempt {attempt} was never resolved");
}

/// The books agree: every charge the processor kept is one payment of kassa's with its amount,
/// every charge it gave back is an attempt kassa recorded as refunded, every key it closed is
/// a failed attempt, and kassa records no payment the processor did not take. Returns how many
/// charges the processor kept.
async fn assert_books_agree(app: &TestApp, sessions: &[&str]) -> usize {
    let ledger = app.store.test_charges().await.unwrap();
    let mut kept = 0;
    let mut payments = Vec::new();
    for session in sessions {
        let (paid, _) = app.store.payments_of_session(session).await.unwrap();
        payments.extend(paid);
    }
    for charge in &ledger {
        let attempt = app
            .store
            .attempt(&charge.idempotency_key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("a charge kassa does not know: {charge:?}"));
        let paid: Vec<_> = payments
            .iter()
            .filter(|p| p.attempt_id.as_deref() == Some(attempt.id.as_str()))
            .collect();
        match charge.state.as_str() {
            "succeeded" => {
                kept += 1;
                assert_eq!(attempt.status, AttemptStatus::Succeeded, "{charge:?}");
                assert_eq!(paid.len(), 1, "one payment for {charge:?}");
                assert_eq!(paid[0].amount, charge.amount);
            }
            "refunded" => {
                assert_eq!(attempt.status, AttemptStatus::Refunded, "{charge:?}");
                assert_eq!(attempt.refund_reference, charge.refund_reference);
                assert!(paid.is_empty(), "a refunded charge paid for nothing");
            }
            "closed" => {
                assert_eq!(attempt.status, AttemptStatus::Failed, "{charge:?}");
                assert!(paid.is_empty());
            }
            "declined" => assert_eq!(attempt.status, AttemptStatus::Declined),
            other => panic!("a charge left {other}: {charge:?}"),
        }
    }
    for payment in &payments {
        assert!(
            ledger
                .iter()
                .any(|c| Some(&c.idempotency_key) == payment.attempt_id.as_ref()
                    && c.state == "succeeded"),
            "kassa recorded a payment the processor did not take: {payment:?}"
        );
    }
    kept
}

async fn a_refused_request_charges_nothing_and_the_buyer_tries_again(engine: Engine) {
    let Some((app, _)) = spawn(engine, "fault_refused", &[Fault::Refuse]).await else {
        return;
    };
    let id = beans_session(&app).await;
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 402, "{body}");
    assert!(
        body["Declined"]["message"]
            .as_str()
            .unwrap()
            .contains("Nothing was charged"),
        "{body}"
    );
    assert_eq!(attempts(&app, &id).await[0].status, AttemptStatus::Failed);
    assert_eq!(status(&app, &id).await, "open");
    assert_eq!(assert_books_agree(&app, &[&id]).await, 0);

    let (status_code, _) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 200);
    assert_eq!(status(&app, &id).await, "succeeded");
    assert_eq!(assert_books_agree(&app, &[&id]).await, 1);
    app.stop().await;
}

async fn a_charge_whose_answer_is_lost_is_found_and_recorded_once(engine: Engine) {
    let Some((app, _)) = spawn(engine, "fault_lost_answer", &[Fault::LoseAnswer]).await else {
        return;
    };
    let id = beans_session(&app).await;
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    // The buyer is sent to the page, which says the payment is being checked.
    assert_eq!(status_code, 200, "{body}");
    let page = body["Redirect"]["url"].as_str().unwrap().to_owned();
    assert!(page.ends_with(&format!("/checkout/{id}")), "{body}");
    let html = app.html(&format!("/checkout/{id}")).await;
    assert!(html.contains("We are checking your payment"), "{html}");
    assert!(!html.contains("Nothing was charged"));
    let polled: Value = app
        .get(&format!("/api/checkout/{id}/status"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(polled, json!({ "status": "open", "checking": true }));

    // Paying again meanwhile starts no second charge: while the first holds the session the
    // buyer is told it is being paid, and once its hold has run out, that it is being checked.
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 409, "{body}");
    assert!(body["Busy"].is_object(), "{body}");
    app.execute_sql(&format!(
        "UPDATE checkout_sessions SET lock_expires_at = 0 WHERE id = '{id}'"
    ))
    .await;
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 200, "{body}");
    assert_eq!(body["Redirect"]["url"].as_str(), Some(page.as_str()));
    let tried = attempts(&app, &id).await;
    assert_eq!(tried.len(), 1, "one attempt while the first is checked");
    assert_eq!(tried[0].status, AttemptStatus::Charging);

    due_now(&app, &tried[0].id).await;
    assert_eq!(resolved(&app, &tried[0].id).await, AttemptStatus::Succeeded);
    assert_eq!(status(&app, &id).await, "succeeded");
    let polled: Value = app
        .get(&format!("/api/checkout/{id}/status"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(polled, json!({ "status": "succeeded", "checking": false }));
    assert_eq!(assert_books_agree(&app, &[&id]).await, 1);
    app.stop().await;
}

async fn a_request_lost_before_the_processor_is_closed_and_never_charges(engine: Engine) {
    let Some((app, _)) = spawn(engine, "fault_lost_request", &[Fault::LoseRequest]).await else {
        return;
    };
    let id = beans_session(&app).await;
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 200, "{body}");
    let attempt = attempts(&app, &id).await[0].id.clone();
    due_now(&app, &attempt).await;
    assert_eq!(resolved(&app, &attempt).await, AttemptStatus::Failed);
    assert_eq!(status(&app, &id).await, "open", "the buyer may pay again");

    // The lost request arrives late: the processor refuses its closed key.
    let late = TestProcessor::new(app.store.clone())
        .charge(ChargeRequest {
            idempotency_key: &attempt,
            amount: kassa::domain::Money::new(4800, kassa::domain::Currency::parse("usd").unwrap()),
            details: &kassa::domain::payment::PaymentDetails::Approval(
                kassa::domain::session::PaymentMethodType::Paypal,
            ),
            save_for_later: false,
            livemode: false,
            buyer: Buyer {
                email: "ada@example.com",
                name: None,
            },
            return_url: &app.url(&format!("/checkout/{id}/return")),
            client: &ClientInfo::default(),
        })
        .await;
    assert!(
        matches!(late, Err(ProcessorError::NotCharged(_))),
        "{late:?}"
    );

    let html = app.html(&format!("/checkout/{id}")).await;
    assert!(
        html.contains("nothing was charged"),
        "the buyer is told: {html}"
    );
    let (status_code, _) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 200);
    assert_eq!(status(&app, &id).await, "succeeded");
    assert_eq!(assert_books_agree(&app, &[&id]).await, 1);
    app.stop().await;
}

/// A statement that makes every write of a payment fail, as a full disk or a lost connection
/// would: the database refuses the finalization's transaction.
fn refuse_payments(engine: Engine) -> Vec<&'static str> {
    match engine {
        Engine::Sqlite => vec![
            "CREATE TRIGGER refuse_payments BEFORE INSERT ON payments \
             BEGIN SELECT RAISE(ABORT, 'injected: the disk is full'); END",
        ],
        Engine::Postgres => vec![
            "CREATE FUNCTION refuse_payments() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'injected: the disk is full'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_payments BEFORE INSERT ON payments \
             FOR EACH ROW EXECUTE FUNCTION refuse_payments()",
        ],
    }
}

async fn a_charge_whose_record_cannot_be_written_is_found_and_recorded(engine: Engine) {
    let Some((app, _)) = spawn(engine, "fault_record_fails", &[]).await else {
        return;
    };
    let id = beans_session(&app).await;
    for sql in refuse_payments(engine) {
        app.execute_sql(sql).await;
    }
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(
        status_code, 200,
        "charged but not recorded is no 5xx: {body}"
    );
    assert!(
        body["Redirect"]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/checkout/{id}")),
        "{body}"
    );
    let attempt = attempts(&app, &id).await[0].clone();
    assert_eq!(
        attempt.status,
        AttemptStatus::Charging,
        "still to be looked up"
    );
    assert_eq!(
        app.store.test_charges().await.unwrap()[0].state,
        "succeeded"
    );

    app.execute_sql(match engine {
        Engine::Sqlite => "DROP TRIGGER refuse_payments",
        Engine::Postgres => "DROP TRIGGER refuse_payments ON payments",
    })
    .await;
    due_now(&app, &attempt.id).await;
    assert_eq!(resolved(&app, &attempt.id).await, AttemptStatus::Succeeded);
    assert_eq!(status(&app, &id).await, "succeeded");
    assert_eq!(assert_books_agree(&app, &[&id]).await, 1);
    app.stop().await;
}

/// The buyer pays `id` with 4242 under a [`Fault::Die`]: once the processor has charged, the
/// buyer's browser gives up, and nothing after the charge runs on kassa's side.
async fn pay_until_the_process_dies(app: &TestApp, faulty: &Faulty, id: &str) {
    let buyer = {
        let (client, url, form) = (
            app.client.clone(),
            app.url("/api/checkout/confirm"),
            card(id, "4242424242424242"),
        );
        tokio::spawn(async move { client.post(url).form(&form).send().await })
    };
    faulty.charged.notified().await;
    buyer.abort();
}

async fn a_charge_whose_process_died_is_found_and_recorded(engine: Engine) {
    let Some((app, faulty)) = spawn(engine, "fault_died", &[Fault::Die]).await else {
        return;
    };
    let id = beans_session(&app).await;
    pay_until_the_process_dies(&app, &faulty, &id).await;
    let attempt = attempts(&app, &id).await[0].clone();
    assert_eq!(attempt.status, AttemptStatus::Charging);

    due_now(&app, &attempt.id).await;
    assert_eq!(resolved(&app, &attempt.id).await, AttemptStatus::Succeeded);
    assert_eq!(status(&app, &id).await, "succeeded");
    assert_eq!(assert_books_agree(&app, &[&id]).await, 1);
    app.stop().await;
}

async fn a_charge_that_outlives_its_session_is_refunded_and_recorded(engine: Engine) {
    let Some((app, faulty)) = spawn(engine, "fault_outlived", &[Fault::Die]).await else {
        return;
    };
    let id = beans_session(&app).await;
    pay_until_the_process_dies(&app, &faulty, &id).await;
    // The claim's lease runs out, and the merchant cancels the session meanwhile.
    app.execute_sql(&format!(
        "UPDATE checkout_sessions SET lock_expires_at = 0 WHERE id = '{id}'"
    ))
    .await;
    let cancelled = app
        .client
        .post(app.url(&format!("/api/checkout-sessions/{id}/expire")))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);

    let attempt = attempts(&app, &id).await[0].clone();
    due_now(&app, &attempt.id).await;
    assert_eq!(resolved(&app, &attempt.id).await, AttemptStatus::Refunded);
    assert_eq!(status(&app, &id).await, "expired");
    let ledger = app.store.test_charges().await.unwrap();
    assert_eq!(
        (ledger.len(), ledger[0].state.as_str()),
        (1, "refunded"),
        "the charge was given back"
    );
    assert_eq!(assert_books_agree(&app, &[&id]).await, 0);
    let events: Value = app
        .client
        .get(app.url("/api/events"))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refunded: Vec<&Value> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "payment.refunded")
        .collect();
    assert_eq!(refunded.len(), 1, "{events}");
    assert_eq!(
        (
            &refunded[0]["data"]["object"]["id"],
            &refunded[0]["data"]["object"]["amount"]
        ),
        (&json!(attempt.id), &json!(4800))
    );
    let html = app.html(&format!("/checkout/{id}")).await;
    assert!(html.contains("refunded in full"), "{html}");
    app.stop().await;
}

async fn a_lost_answer_to_the_buyers_step_is_found_and_recorded(engine: Engine) {
    let faults = [Fault::Pass, Fault::LoseAnswer];
    let Some((app, _)) = spawn(engine, "fault_lost_step", &faults).await else {
        return;
    };
    let id = beans_session(&app).await;
    let (_, body) = confirm(&app, &card(&id, "4000002500003155")).await;
    assert!(
        body["Redirect"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/authenticate"),
        "{body}"
    );
    // The buyer passes 3-D Secure; the processor's answer to it is lost.
    let response = app
        .client
        .post(app.url("/api/checkout/authenticate"))
        .header("accept", "application/json")
        .form(&[("session_id", id.as_str()), ("decision", "complete")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["Redirect"]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/checkout/{id}")),
        "{body}"
    );
    let attempt = attempts(&app, &id).await[0].clone();
    assert_eq!(attempt.status, AttemptStatus::Charging);

    due_now(&app, &attempt.id).await;
    assert_eq!(resolved(&app, &attempt.id).await, AttemptStatus::Succeeded);
    assert_eq!(status(&app, &id).await, "succeeded");
    assert_eq!(assert_books_agree(&app, &[&id]).await, 1);
    app.stop().await;
}

/// The buyer's browser gives up while the processor is still charging, and kassa is told to stop
/// meanwhile: no connection is left to wait for, yet the request's task is, and the payment is
/// recorded before the database closes.
async fn a_payment_in_flight_when_kassa_stops_is_finished_and_recorded(engine: Engine) {
    let Some((app, faulty)) = spawn(engine, "fault_shutdown", &[Fault::Slow]).await else {
        return;
    };
    let id = beans_session(&app).await;
    let buyer = {
        let (client, url, form) = (
            app.client.clone(),
            app.url("/api/checkout/confirm"),
            card(&id, "4242424242424242"),
        );
        tokio::spawn(async move { client.post(url).form(&form).send().await })
    };
    faulty.charged.notified().await;
    buyer.abort();
    let (_, db) = app.stop_keeping_database().await;
    let store = db.store().await;
    let session = store.session_by_id(&id).await.unwrap().unwrap();
    assert_eq!(session.status.as_str(), "succeeded");
    let attempts = store.attempts_of_session(&id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, AttemptStatus::Succeeded);
    store.close().await;
    db.drop_db().await;
}

/// A promotion code limited to 3 redemptions, paid with on 8 checkouts at once: 3 checkouts are
/// paid with it and 3 redemptions counted; every other payment was refused before its charge, or
/// charged and given back.
async fn a_limited_code_paid_with_at_once_is_redeemed_no_more_than_its_limit(engine: Engine) {
    let Some((app, _)) = spawn(engine, "limited_code", &[]).await else {
        return;
    };
    app.execute_sql("UPDATE promotion_codes SET max_redemptions = 3 WHERE code = 'WELCOME10'")
        .await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(
            app.create_session(&json!({
                "line_items": [{ "price": app.price_id("espresso-beans") }],
                "allow_promotion_codes": true,
            }))
            .await,
        );
    }
    let mut payments = tokio::task::JoinSet::new();
    for id in &ids {
        let (client, url) = (app.client.clone(), app.url("/api/checkout/confirm"));
        let mut form = card(id, "4242424242424242");
        form.push(("promotion_code".into(), "WELCOME10".into()));
        payments.spawn(async move {
            let response = client.post(url).form(&form).send().await.unwrap();
            response.status().as_u16()
        });
    }
    while let Some(status) = payments.join_next().await {
        let status = status.unwrap();
        assert!(status < 500, "a payment answered {status}");
    }
    let mut paid_with_code = 0;
    for id in &ids {
        let session = app.store.session_by_id(id).await.unwrap().unwrap();
        if session.status.as_str() == "succeeded" {
            assert!(
                session.amounts.discount > 0,
                "{id} was paid without its code"
            );
            paid_with_code += 1;
        }
    }
    assert_eq!(paid_with_code, 3);
    let code = app
        .store
        .promotion_code(&app.demo.organization_id, false, "WELCOME10")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(code.times_redeemed, 3);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(assert_books_agree(&app, &ids).await, 3);
    app.stop().await;
}

/// The processor makes a refund but its answer is lost: the refund stays pending with its amount
/// reserved (nothing more can be refunded meanwhile), and asking again under its key later
/// settles it, while the processor's ledger holds one refund.
async fn a_refund_whose_answer_is_lost_is_asked_for_again_and_made_once(engine: Engine) {
    let Some((app, _)) = spawn(
        engine,
        "fault_refund_lost",
        &[Fault::Pass, Fault::LoseAnswer],
    )
    .await
    else {
        return;
    };
    let payment = paid_beans(&app).await;
    let (status, pending) = refund(&app, &payment.id, json!({})).await;
    assert_eq!(
        (status, pending["status"].as_str()),
        (201, Some("pending")),
        "{pending}"
    );
    let (status, again) = refund(&app, &payment.id, json!({ "amount": 1 })).await;
    assert_eq!(status, 409, "the whole amount is reserved: {again}");
    assert_eq!(again["error"]["code"], "charge_already_refunded");
    // Not yet due: asked again only once the first request is surely over.
    let now = kassa::store::now_ms();
    let refunds = kassa::service::payment::refunds::retry_pending_refunds;
    assert_eq!(refunds(&app.store, &app.processors, now).await.unwrap(), 0);
    let later = now + kassa::service::payment::refunds::REFUND_RETRY_AFTER_MS + 1;
    assert_eq!(
        refunds(&app.store, &app.processors, later).await.unwrap(),
        1
    );
    let made = app.store.refunds_of_payment(&payment.id).await.unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(
        (made[0].status.as_str(), made[0].amount),
        ("succeeded", payment.amount)
    );
    let ledger = app.store.test_charges().await.unwrap();
    let charged = ledger
        .iter()
        .find(|c| c.state == "refunded")
        .expect("refunded at the processor");
    assert_eq!(
        charged.refund_reference.as_deref(),
        made[0].processor_reference.as_deref(),
        "one refund, the one kassa recorded"
    );
    assert_eq!(
        refunds(&app.store, &app.processors, later + 1)
            .await
            .unwrap(),
        0
    );
    app.stop().await;
}

/// The processor refuses a refund: it is recorded as failed, and its amount can be refunded
/// again.
async fn a_refund_the_processor_refuses_gives_its_amount_back_to_the_payment(engine: Engine) {
    let Some((app, _)) = spawn(
        engine,
        "fault_refund_refused",
        &[Fault::Pass, Fault::Refuse],
    )
    .await
    else {
        return;
    };
    let payment = paid_beans(&app).await;
    let (status, refused) = refund(&app, &payment.id, json!({ "amount": 700 })).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "refund_refused");
    let (status, made) = refund(&app, &payment.id, json!({})).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["amount"]["amount"], payment.amount);
    let statuses: Vec<String> = app
        .store
        .refunds_of_payment(&payment.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, ["failed", "succeeded"]);
    app.stop().await;
}

/// A session of beans paid by card: its payment.
async fn paid_beans(app: &TestApp) -> kassa::store::PaymentRecord {
    let id = beans_session(app).await;
    confirm(app, &card(&id, "4242424242424242")).await;
    app.store.payments_of_session(&id).await.unwrap().0[0].clone()
}

async fn refund(app: &TestApp, payment: &str, body: Value) -> (u16, Value) {
    let path = format!("/api/payments/{payment}/refunds");
    app.api_post(&app.demo.secret_key, &path, &body).await
}

/// A renewal charge is recorded before the processor is asked; when its answer is lost the
/// subscription is held, and once the hold runs out the charge is looked up under its key and
/// recorded as it happened: one charge, one payment, the period paid.
async fn a_renewal_whose_answer_is_lost_is_looked_up_and_charged_once(engine: Engine) {
    use kassa::service::renewals::renew_due;
    let Some((app, _faulty)) =
        spawn(engine, "fault_renewal", &[Fault::Pass, Fault::LoseAnswer]).await
    else {
        return;
    };
    let (_, sub) = app.subscribe_monthly().await;
    let org = app.demo.organization_id.clone();
    let record = app
        .store
        .subscription(&org, false, &sub)
        .await
        .unwrap()
        .unwrap();
    let ended = record.current_period_end.unwrap();
    let now = kassa::store::now_ms();
    app.store
        .advance_test_clock(&org, ended + 60_000 - now)
        .await
        .unwrap();
    renew_due(&app.store, &app.processors, now, Some(&org))
        .await
        .unwrap();
    // Charged at the processor, the answer lost: recorded as charging, nothing paid yet.
    let charges = app.store.renewal_charges_of(&sub).await.unwrap();
    assert_eq!(
        charges
            .iter()
            .map(|c| c.status.as_str())
            .collect::<Vec<_>>(),
        ["charging"]
    );
    let key = charges[0].id.clone();
    let ledger = app.store.test_charges().await.unwrap();
    assert!(
        ledger
            .iter()
            .any(|c| c.idempotency_key == key && c.state == "succeeded")
    );
    let held = app
        .store
        .subscription(&org, false, &sub)
        .await
        .unwrap()
        .unwrap();
    assert!(held.open_invoice_id.is_some(), "the invoice is still open");
    // Not asked again while held, however often the workers look.
    renew_due(&app.store, &app.processors, now + 1_000, Some(&org))
        .await
        .unwrap();
    assert_eq!(
        app.store.renewal_charges_of(&sub).await.unwrap()[0].status,
        "charging"
    );

    // After the hold: looked up under its key, found, recorded once.
    let later = now + kassa::service::payment::RECHECK_AFTER_MS + 1_000;
    renew_due(&app.store, &app.processors, later, Some(&org))
        .await
        .unwrap();
    let charges = app.store.renewal_charges_of(&sub).await.unwrap();
    assert_eq!(
        charges
            .iter()
            .map(|c| (c.id.as_str(), c.status.as_str()))
            .collect::<Vec<_>>(),
        [(key.as_str(), "succeeded")]
    );
    let renewed = app
        .store
        .subscription(&org, false, &sub)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            renewed.status.as_str(),
            renewed.open_invoice_id,
            renewed.current_period_start
        ),
        ("active", None, Some(ended))
    );
    let ledger = app.store.test_charges().await.unwrap();
    assert_eq!(
        ledger.iter().filter(|c| c.idempotency_key == key).count(),
        1,
        "charged once"
    );
    let payments = app
        .store
        .payments(&org, false, &kassa::store::PageRequest::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(
        payments
            .iter()
            .filter(|p| p.renewal_charge_id.as_deref() == Some(key.as_str()))
            .count(),
        1
    );
    app.stop().await;
}
