//! Mail to buyers: receipts, failed renewals and trials about to end, in plain text and HTML with
//! the merchant's name and colour.
//!
//! A mail is queued ([`queue`]) in the transaction that records what it tells, once per kind and
//! object, with the facts its template needs. A worker in every instance ([`deliver_due`]) holds
//! each due mail (a lease), renders it, and sends it over SMTP (`KASSA_SMTP_URL`, through
//! lettre); a failed send is tried again after 1, 5, 30, 120 and 360 minutes, then given up
//! (`failed`). Without an SMTP server a mail is rendered and kept (`kept`): the dashboard shows
//! it on the customer's page.

use super::ServiceResult;
use super::ids::new_id;
use crate::domain::money::{Currency, Money};
use crate::i18n::{Lang, Messages};
use crate::store::{MailOutcome, MailRecord, NewMail, Store, Tx};
use serde::{Deserialize, Serialize};

/// How long a worker holds the mails it claims at once.
const MAIL_LEASE_MS: i64 = 120_000;
/// How many mails a worker claims at once ([`deliver_due`] settles that many, or stops early).
pub const MAILS_PER_CLAIM: i64 = 20;
/// How long a worker goes on sending the mails it claimed: half their hold, so that no mail is
/// still being sent when another worker may take it.
const MAIL_SENDING_TIME: std::time::Duration =
    std::time::Duration::from_millis(MAIL_LEASE_MS as u64 / 2);
/// When a failed send is tried again: minutes after the attempt before.
const RETRY_MINUTES: [i64; 5] = [1, 5, 30, 120, 360];
/// A trial's ending is told this long before it.
pub const TRIAL_NOTICE_MS: i64 = 3 * 86_400_000;

/// What a mail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A payment was taken (a checkout, a renewal).
    Receipt,
    /// A renewal's charge failed.
    RenewalFailed,
    /// A trial ends soon.
    TrialEnding,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Receipt => "receipt",
            Kind::RenewalFailed => "renewal_failed",
            Kind::TrialEnding => "trial_ending",
        }
    }
}

/// What a mail tells: the facts its template shows, kept with it when it is queued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// What was bought or is subscribed to.
    pub description: String,
    /// In minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// `Visa •••• 4242`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// When it was paid, or when the trial ends (milliseconds).
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// A failed renewal's reason, and when it is tried again (none: it was the last try).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    /// A path on kassa's public address that shows it (the receipt page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Where the order ships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<crate::domain::address::ShippingDetails>,
    /// The buyer's language (the one they paid in); English when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
}

/// Queues a mail of `kind` about `about` to `recipient`, in the transaction `tx` (nothing when
/// one of its kind about the same thing was queued before).
#[allow(clippy::too_many_arguments)]
pub async fn queue(
    tx: &mut Tx,
    organization_id: &str,
    livemode: bool,
    customer_id: Option<&str>,
    kind: Kind,
    about: &str,
    recipient: &str,
    facts: &Facts,
    now: i64,
) -> ServiceResult<()> {
    if recipient.is_empty() {
        return Ok(());
    }
    let facts = serde_json::to_string(facts)
        .map_err(|e| crate::store::StoreError::Corrupt(format!("mail facts: {e}")))?;
    tx.queue_mail(
        &NewMail {
            id: &new_id("mail"),
            organization_id,
            livemode,
            customer_id,
            kind: kind.as_str(),
            about,
            recipient,
            facts: &facts,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The SMTP server mail goes through, and who it is from.
#[derive(Clone)]
pub struct Mailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer(from {})", self.from)
    }
}

impl Mailer {
    /// A mailer for `url` (`smtp://host:25`, `smtp://user:password@host:587?tls=required`,
    /// `smtps://user:password@host:465`), sending from `from` (`Shop <receipts@shop.example>`).
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| format!("not an SMTP URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("`{from}` is not a mail address: {e}"))?;
        Ok(Mailer { transport, from })
    }

    async fn send(&self, to: &str, rendered: &Rendered, sender_name: &str) -> Result<(), String> {
        use lettre::AsyncTransport;
        use lettre::message::{Mailbox, MultiPart};
        let to: Mailbox = to
            .parse()
            .map_err(|e| format!("`{to}` is not a mail address: {e}"))?;
        // The merchant's name on kassa's address: replies go nowhere the buyer would not expect.
        let from = Mailbox::new(Some(sender_name.to_owned()), self.from.email.clone());
        let message = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(rendered.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                rendered.text.clone(),
                rendered.html.clone(),
            ))
            .map_err(|e| format!("the mail could not be built: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("the SMTP server did not take the mail: {e}"))
    }
}

/// A mail as the buyer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders, then sends (or keeps, without a mailer) the mails due at `now`, each held by one
/// worker; returns how many it settled.
pub async fn deliver_due(
    store: &Store,
    mailer: Option<&Mailer>,
    public_base: &str,
    now: i64,
) -> ServiceResult<usize> {
    let mut settled = 0;
    let held_since = std::time::Instant::now();
    for mail in store
        .claim_due_mails(now, MAIL_LEASE_MS, MAILS_PER_CLAIM)
        .await?
    {
        // A slow SMTP server: what is left goes back before its hold could run out under it.
        if held_since.elapsed() > MAIL_SENDING_TIME {
            break;
        }
        let crate::store::Storefront {
            merchant_name: merchant,
            branding,
        } = store.storefront(&mail.organization_id).await?;
        let merchant = if merchant.is_empty() {
            "kassa".to_owned()
        } else {
            merchant
        };
        // Where the buyer manages what they pay for (a signed link to their page).
        let manage = match &mail.customer_id {
            Some(id) => match store
                .customer(&mail.organization_id, mail.livemode, id)
                .await?
            {
                Some(customer) => Some(
                    super::portal::link(
                        store,
                        public_base,
                        &customer,
                        now + super::portal::MAIL_LINK_MS,
                    )
                    .await?,
                ),
                None => None,
            },
            None => None,
        };
        let rendered = render(
            &mail,
            &merchant,
            branding.accent_color.as_deref(),
            public_base,
            manage.as_deref(),
        );
        let (status, error, next) = match mailer {
            None => ("kept", None, mail.next_attempt_at),
            Some(mailer) => match mailer.send(&mail.recipient, &rendered, &merchant).await {
                Ok(()) => ("sent", None, mail.next_attempt_at),
                Err(error) => {
                    let tried = usize::try_from(mail.attempts).unwrap_or(0);
                    tracing::warn!(mail = %mail.id, %error, "sending a mail failed");
                    match RETRY_MINUTES.get(tried) {
                        Some(minutes) => ("pending", Some(error), now + minutes * 60_000),
                        None => ("failed", Some(error), mail.next_attempt_at),
                    }
                }
            },
        };
        store
            .finish_mail(
                &mail.id,
                &MailOutcome {
                    status,
                    subject: &rendered.subject,
                    text_body: &rendered.text,
                    html_body: &rendered.html,
                    error: error.as_deref(),
                    next_attempt_at: next,
                },
                now,
            )
            .await?;
        settled += 1;
    }
    Ok(settled)
}

fn amount(facts: &Facts, tr: &Messages) -> String {
    Currency::parse(&facts.currency)
        .map(|c| tr.money(Money::new(facts.amount, c)))
        .unwrap_or_else(|_| format!("{} {}", facts.amount, facts.currency))
}

/// A day as buyers read it in mail and on their page: `5 January 2027`.
pub fn long_date(ms: i64) -> String {
    crate::i18n::catalog::long_date(ms, Lang::En)
}

/// A mail in plain text and HTML, in the buyer's language (the one they paid in), with the
/// merchant's name (and accent colour, when it is a plain `#rrggbb`).
pub fn render(
    mail: &MailRecord,
    merchant: &str,
    accent: Option<&str>,
    public_base: &str,
    manage: Option<&str>,
) -> Rendered {
    let facts: Facts = serde_json::from_str(&mail.facts).unwrap_or_default();
    let lang = facts.lang.unwrap_or_default();
    let tr = crate::i18n::catalog::mail(lang);
    let total = amount(&facts, tr);
    let date = |ms: i64| crate::i18n::catalog::long_date(ms, lang);
    let link = facts
        .link
        .as_ref()
        .map(|path| format!("{public_base}{path}"));
    let (subject, lines): (String, Vec<String>) = match mail.kind.as_str() {
        "receipt" => (
            tr.tf("Your receipt from {merchant}", &[("merchant", merchant)]),
            [
                Some(tr.tf(
                    "Thank you for your payment of {amount} to {merchant}.",
                    &[("amount", &total), ("merchant", merchant)],
                )),
                Some(tr.tf("For: {description}", &[("description", &facts.description)])),
                facts
                    .method
                    .as_ref()
                    .map(|m| tr.tf("Paid with: {method}", &[("method", m)])),
                Some(tr.tf("Date: {date}", &[("date", &date(facts.at))])),
                facts
                    .invoice_number
                    .as_ref()
                    .map(|n| tr.tf("Invoice: {number}", &[("number", n)])),
                facts.shipping.as_ref().map(|s| {
                    let mut to = vec![s.name.clone()];
                    to.extend(crate::domain::address::envelope_lines(&s.address));
                    tr.tf("Shipping to: {address}", &[("address", &to.join(", "))])
                }),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        "renewal_failed" => (
            tr.tf(
                "Your payment to {merchant} did not go through",
                &[("merchant", merchant)],
            ),
            [
                Some(tr.tf(
                    "We could not charge {amount} for {description}.",
                    &[("amount", &total), ("description", &tr.t(&facts.description))],
                )),
                facts
                    .failure
                    .as_ref()
                    .map(|f| tr.tf("Reason: {reason}", &[("reason", &tr.t(f))])),
                Some(match facts.next_attempt_at {
                    Some(at) => tr.tf(
                        "We will try again on {date}. To avoid an interruption, update your payment method before then.",
                        &[("date", &date(at))],
                    ),
                    None => tr.t("This was the last try: the subscription is no longer paid for."),
                }),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        _ => (
            tr.tf(
                "Your trial with {merchant} ends on {date}",
                &[("merchant", merchant), ("date", &date(facts.at))],
            ),
            vec![
                tr.tf(
                    "Your free trial of {description} ends on {date}.",
                    &[("description", &tr.t(&facts.description)), ("date", &date(facts.at))],
                ),
                tr.tf(
                    "Then {amount} will be charged to your saved payment method, each period, until you cancel.",
                    &[("amount", &total)],
                ),
            ],
        ),
    };
    let mut text = lines.join("\n");
    if let Some(link) = &link {
        text.push_str(&format!(
            "\n\n{}",
            tr.tf("View it online: {link}", &[("link", link)])
        ));
    }
    if let Some(manage) = manage {
        text.push_str(&format!(
            "\n{}",
            tr.tf(
                "Manage your subscriptions, card and invoices: {link}",
                &[("link", manage)]
            )
        ));
    }
    text.push_str(&format!("\n\n— {merchant}\n"));
    let accent = accent
        .filter(|c| {
            c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|d| d.is_ascii_hexdigit())
        })
        .unwrap_or("#4f46e5");
    let escape = |s: &str| html_escape::encode_text(s).into_owned();
    let paragraphs: String = lines
        .iter()
        .map(|l| format!("<p style=\"margin:0 0 12px\">{}</p>", escape(l)))
        .collect();
    let button = link
        .as_ref()
        .map(|l| {
            format!(
                "<p style=\"margin:20px 0\"><a href=\"{}\" style=\"background:{accent};color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none\">{}</a></p>",
                html_escape::encode_double_quoted_attribute(l),
                escape(&tr.t("View it online"))
            )
        })
        .unwrap_or_default();
    let manage_html = manage
        .map(|m| {
            format!(
                "<p style=\"margin:0 0 12px\"><a href=\"{}\" style=\"color:{accent}\">{}</a></p>",
                html_escape::encode_double_quoted_attribute(m),
                escape(&tr.t("Manage your subscriptions, card and invoices"))
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family:system-ui,sans-serif;color:#111;max-width:560px;margin:0 auto;padding:24px\">\
         <h1 style=\"font-size:20px;color:{accent};margin:0 0 16px\">{}</h1>{paragraphs}{button}{manage_html}\
         <p style=\"color:#666;font-size:13px\">— {}</p></body></html>",
        lang.as_str(),
        escape(&subject),
        escape(merchant),
    );
    Rendered {
        subject,
        text,
        html,
    }
}
