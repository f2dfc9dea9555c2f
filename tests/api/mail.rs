//! Mail to buyers, read as a real SMTP server received it: Python's aiosmtpd (PyPI, installed by
//! scripts/setup into target/sdk-python) writes every message it takes into a Maildir that the
//! test reads. Without an SMTP server, mail is kept, rendered, for the dashboard.

use crate::app::{Options, TestApp};
use kassa::store::{Branding, Engine};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

crate::on_both_engines!(
    receipts_and_failed_renewals_arrive_over_smtp_once_with_the_merchants_name,
    without_smtp_mail_is_kept_rendered_and_a_trial_ending_is_told,
);

/// An SMTP server on a free port, keeping what it receives in a Maildir.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

/// The Python that has aiosmtpd: scripts/setup's venv.
fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sdk-python/bin/python");
    let ok = Command::new(&venv)
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "aiosmtpd is missing from target/sdk-python: run scripts/setup (it installs it from PyPI)"
    );
    venv
}

impl SmtpServer {
    async fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir =
            std::env::temp_dir().join(format!("kassa-mail-{}", kassa::service::ids::new_id("m")));
        let server = SmtpServer {
            child: Command::new(python())
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{port}"))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&maildir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("aiosmtpd starts"),
            port,
            maildir,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Dropping the server stops the process.
        panic!("aiosmtpd did not listen on {port}");
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received, as its raw text.
    fn received(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect()
    }

    /// Waits for a message whose subject contains `subject`.
    async fn wait_for(&self, subject: &str) -> String {
        for _ in 0..150 {
            if let Some(found) = self
                .received()
                .into_iter()
                .find(|m| header(m, "Subject").is_some_and(|s| s.contains(subject)))
            {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let subjects: Vec<_> = self
            .received()
            .iter()
            .filter_map(|m| header(m, "Subject"))
            .collect();
        panic!("no mail `{subject}` arrived; received {subjects:?}");
    }
}

/// A header's value, unfolded.
fn header(message: &str, name: &str) -> Option<String> {
    let mut lines = message.lines();
    let prefix = format!("{name}: ");
    while let Some(line) = lines.next() {
        if line.is_empty() {
            return None;
        }
        if let Some(value) = line.strip_prefix(&prefix) {
            let mut value = value.to_owned();
            for more in lines.by_ref() {
                if more.starts_with(' ') || more.starts_with('\t') {
                    value.push_str(more.trim_start());
                } else {
                    break;
                }
            }
            return Some(value);
        }
    }
    None
}

/// A header value with its RFC 2047 `=?utf-8?b?…?=` words decoded.
fn decoded(value: &str) -> String {
    use base64::Engine;
    value
        .split(' ')
        .map(|word| {
            match word
                .strip_prefix("=?utf-8?b?")
                .and_then(|w| w.strip_suffix("?="))
            {
                Some(encoded) => String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .unwrap(),
                )
                .unwrap(),
                None => word.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The message's text, soft line breaks of quoted-printable joined.
fn body(message: &str) -> String {
    message.replace("=\r\n", "").replace("=\n", "")
}

async fn receipts_and_failed_renewals_arrive_over_smtp_once_with_the_merchants_name(
    engine: Engine,
) {
    let smtp = SmtpServer::start().await;
    let options = Options {
        smtp_url: Some(smtp.url()),
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(engine, "mail_smtp", options).await else {
        return;
    };
    app.store
        .set_branding(
            &app.demo.organization_id,
            &Branding {
                display_name: Some("Bean & Leaf".into()),
                accent_color: Some("#0a7d5a".into()),
                logo_url: None,
                terms_url: None,
            },
        )
        .await
        .unwrap();
    let (session, sub) = app.subscribe_monthly().await;

    let receipt = smtp.wait_for("Your receipt from Bean & Leaf").await;
    assert_eq!(header(&receipt, "To").as_deref(), Some("buyer@example.com"));
    let from = header(&receipt, "From").unwrap();
    assert_eq!(decoded(&from), "Bean & Leaf <no-reply@localhost>", "{from}");
    let text = body(&receipt);
    assert!(
        text.contains("multipart/alternative"),
        "plain text and HTML: {text}"
    );
    assert!(
        text.contains("Thank you for your payment of $15.00 to Bean & Leaf."),
        "{text}"
    );
    assert!(
        text.contains(&format!("/checkout/{session}")),
        "a link to the receipt: {text}"
    );
    assert!(
        text.contains("#0a7d5a"),
        "the merchant's colour in the HTML: {text}"
    );

    // A declined renewal tells the buyer when it is tried again.
    let customer = app
        .api_get(&app.demo.secret_key, &format!("/api/subscriptions/{sub}"))
        .await
        .1["customer"]
        .as_str()
        .unwrap()
        .to_owned();
    app.save_card_for(&sub, "4000000000000341").await;
    let end = app
        .api_get(&app.demo.secret_key, &format!("/api/subscriptions/{sub}"))
        .await
        .1["current_period_end"]
        .as_i64()
        .unwrap();
    let (status, _) = app
        .api_post(
            &app.demo.secret_key,
            "/api/test_clock/advance",
            &json!({ "frozen_time": end / 1000 + 60 }),
        )
        .await;
    assert_eq!(status, 200);
    let failed = body(
        &smtp
            .wait_for("Your payment to Bean & Leaf did not go through")
            .await,
    );
    assert!(failed.contains("We could not charge $15.00"), "{failed}");
    assert!(
        failed.contains("Reason: Your card was declined."),
        "{failed}"
    );
    assert!(failed.contains("We will try again on"), "{failed}");

    // Each once, recorded as sent.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let subjects: Vec<String> = smtp
        .received()
        .iter()
        .filter_map(|m| header(m, "Subject"))
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    let mails = app
        .store
        .mails_of_customer(&app.demo.organization_id, false, &customer, 10)
        .await
        .unwrap();
    assert_eq!(
        mails
            .iter()
            .map(|m| (m.kind.as_str(), m.status.as_str()))
            .collect::<Vec<_>>(),
        [("renewal_failed", "sent"), ("receipt", "sent")]
    );
    app.stop().await;
}

async fn without_smtp_mail_is_kept_rendered_and_a_trial_ending_is_told(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "mail_kept").await else {
        return;
    };
    let session = app
        .create_session(&json!({
            "line_items": [{ "price": app.price_id("coffee-club-monthly") }],
            "trial_period_days": 7,
        }))
        .await;
    app.pay_by_card(&session).await;
    let sub = app
        .store
        .session_by_id(&session)
        .await
        .unwrap()
        .unwrap()
        .subscription_id
        .unwrap();
    let (_, s) = app
        .api_get(&app.demo.secret_key, &format!("/api/subscriptions/{sub}"))
        .await;
    let customer = s["customer"].as_str().unwrap().to_owned();
    let trial_end = s["trial_end"].as_i64().unwrap();
    // Nothing was paid today (a trial): no receipt. Three days before the end, the buyer is told.
    let (status, _) = app
        .api_post(
            &app.demo.secret_key,
            "/api/test_clock/advance",
            &json!({ "frozen_time": trial_end / 1000 - 2 * 86_400 }),
        )
        .await;
    assert_eq!(status, 200);
    let mut kept = None;
    for _ in 0..50 {
        kept = app
            .store
            .mail_about("trial_ending", &sub)
            .await
            .unwrap()
            .filter(|m| m.status == "kept");
        if kept.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let kept = kept.expect("the trial's end told, and kept");
    assert_eq!(kept.recipient, "buyer@example.com");
    let subject = kept.subject.unwrap();
    assert!(subject.starts_with("Your trial with "), "{subject}");
    let text = kept.text_body.unwrap();
    assert!(text.contains("Then $15.00 will be charged"), "{text}");
    assert!(kept.html_body.unwrap().contains("<h1"), "and in HTML");
    // Once, however often the workers pass.
    let (status, _) = app
        .api_post(
            &app.demo.secret_key,
            "/api/test_clock/advance",
            &json!({ "frozen_time": trial_end / 1000 - 86_400 }),
        )
        .await;
    assert_eq!(status, 200);
    let mails = app
        .store
        .mails_of_customer(&app.demo.organization_id, false, &customer, 10)
        .await
        .unwrap();
    assert_eq!(
        mails.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(),
        ["trial_ending"]
    );
    app.stop().await;
}
