//! Checkout sessions and their line items.

use super::group_commit::Positional;
use super::idempotency::{IdempotencyClaim, KeyLost, bind_effect};
use super::tx::{Tx, dispatch_tx, write_counted, write_later};
use super::{Page, PageRequest, Store, StoreError, StoreResult, dispatch};
use crate::domain::catalog::{CouponDuration, Recurring};
use crate::domain::money::{Currency, Money};
use crate::domain::session::{
    AdjustableQuantity, AmountSummary, AppliedDiscount, CheckoutSession, Confirmation,
    PaymentMethodType, SessionKind, SessionLineItem, SessionMode, SessionStatus, SessionTransition,
};
use serde::de::DeserializeOwned;

#[derive(sqlx::FromRow)]
struct SessionRow {
    /// Read by [`Store::session_by_id`] and [`Store::session_with_latest_attempt`] only; not a
    /// column of [`SESSION_COLUMNS`], which inserts write too.
    #[sqlx(default)]
    latest_attempt_id: Option<String>,
    id: String,
    organization_id: String,
    livemode: bool,
    pricing_model_id: String,
    kind: String,
    mode: String,
    status: String,
    currency: Option<String>,
    customer_id: Option<String>,
    customer_external_id: Option<String>,
    anonymous: bool,
    guest: Option<String>,
    customer_email: Option<String>,
    customer_name: Option<String>,
    billing_address: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    pending_url: Option<String>,
    payment_method_types: String,
    payment_method_type: Option<String>,
    allow_promotion_codes: bool,
    coupon_id: Option<String>,
    promotion_code_id: Option<String>,
    discount_duration: Option<String>,
    trial_period_days: Option<i32>,
    preserve_billing_cycle_anchor: bool,
    target_subscription_id: Option<String>,
    automatically_update_subscriptions: Option<bool>,
    output_name: Option<String>,
    output_metadata: Option<String>,
    metadata: String,
    attribution: Option<String>,
    trace_id: Option<String>,
    amount_subtotal: i64,
    amount_discount: i64,
    amount_tax: i64,
    amount_total: i64,
    amount_due_today: i64,
    expires_at: i64,
    created_at: i64,
    updated_at: i64,
    completed_at: Option<i64>,
    purchase_id: Option<String>,
    invoice_id: Option<String>,
    subscription_id: Option<String>,
    payment_method_id: Option<String>,
    plan_id: Option<String>,
    starts_at: Option<i64>,
    confirmation: Option<String>,
    cancelled_at: Option<i64>,
    client_reference_id: Option<String>,
    collection: Option<String>,
    customer_phone: Option<String>,
    shipping_details: Option<String>,
    payment_link_id: Option<String>,
    locale: Option<String>,
    answers: Option<String>,
    origin: String,
    customer_tax_ids: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    session_id: String,
    price_id: String,
    product_id: String,
    description: String,
    quantity: i32,
    adjustable_minimum: Option<i32>,
    adjustable_maximum: Option<i32>,
    unit_amount: i64,
    currency: String,
    interval_unit: Option<String>,
    interval_count: Option<i32>,
}

const SESSION_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, kind, mode, status, \
     currency, customer_id, customer_external_id, anonymous, guest, customer_email, customer_name, \
     billing_address, success_url, cancel_url, pending_url, payment_method_types, \
     payment_method_type, allow_promotion_codes, coupon_id, promotion_code_id, discount_duration, \
     trial_period_days, preserve_billing_cycle_anchor, target_subscription_id, \
     automatically_update_subscriptions, output_name, output_metadata, metadata, attribution, \
     trace_id, amount_subtotal, amount_discount, amount_tax, amount_total, amount_due_today, \
     expires_at, created_at, updated_at, completed_at, purchase_id, invoice_id, subscription_id, \
     payment_method_id, plan_id, starts_at, confirmation, cancelled_at, client_reference_id, \
     collection, customer_phone, shipping_details, payment_link_id, locale, answers, origin, \
     customer_tax_ids";
const LINE_COLUMNS: &str = "session_id, price_id, product_id, description, quantity, adjustable_minimum, \
     adjustable_maximum, unit_amount, currency, interval_unit, interval_count";

fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("checkout_sessions.{what}: {error}"))
}

fn json<T: DeserializeOwned>(what: &str, text: Option<&str>) -> StoreResult<Option<T>> {
    text.map(|t| serde_json::from_str(t).map_err(|e| corrupt(what, e)))
        .transpose()
}

fn word<T: DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|e| corrupt(what, e))
}

fn as_word<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

impl LineRow {
    fn into_domain(self) -> StoreResult<SessionLineItem> {
        let currency = Currency::parse(&self.currency).map_err(|e| corrupt("line.currency", e))?;
        let recurring = match (self.interval_unit, self.interval_count) {
            (Some(unit), Some(count)) => Some(Recurring {
                interval: unit.parse().map_err(|e| corrupt("line.interval_unit", e))?,
                interval_count: count.max(1) as u32,
            }),
            _ => None,
        };
        let adjustable = match (self.adjustable_minimum, self.adjustable_maximum) {
            (Some(minimum), Some(maximum)) => Some(AdjustableQuantity {
                minimum: minimum.max(0) as u32,
                maximum: maximum.max(0) as u32,
            }),
            _ => None,
        };
        Ok(SessionLineItem {
            price_id: self.price_id,
            product_id: self.product_id,
            description: self.description,
            quantity: self.quantity.max(0) as u32,
            adjustable,
            unit_amount: Money::new(self.unit_amount, currency),
            recurring,
        })
    }
}

impl SessionRow {
    fn into_domain(self, line_items: Vec<SessionLineItem>) -> StoreResult<CheckoutSession> {
        let discount = match (self.coupon_id, self.discount_duration) {
            (Some(coupon_id), Some(duration)) => Some(AppliedDiscount {
                coupon_id,
                promotion_code_id: self.promotion_code_id,
                duration: json::<CouponDuration>("discount_duration", Some(&duration))?
                    .ok_or_else(|| corrupt("discount_duration", "empty"))?,
            }),
            _ => None,
        };
        Ok(CheckoutSession {
            id: self.id,
            organization_id: self.organization_id,
            livemode: self.livemode,
            pricing_model_id: self.pricing_model_id,
            kind: word::<SessionKind>("kind", &self.kind)?,
            mode: word::<SessionMode>("mode", &self.mode)?,
            status: word::<SessionStatus>("status", &self.status)?,
            currency: self
                .currency
                .as_deref()
                .map(Currency::parse)
                .transpose()
                .map_err(|e| corrupt("currency", e))?,
            line_items,
            customer_id: self.customer_id,
            customer_external_id: self.customer_external_id,
            anonymous: self.anonymous,
            guest: json("guest", self.guest.as_deref())?,
            customer_email: self.customer_email,
            customer_name: self.customer_name,
            billing_address: json("billing_address", self.billing_address.as_deref())?,
            success_url: self.success_url,
            cancel_url: self.cancel_url,
            pending_url: self.pending_url,
            payment_method_types: json::<Vec<PaymentMethodType>>(
                "payment_method_types",
                Some(&self.payment_method_types),
            )?
            .unwrap_or_default(),
            payment_method_type: self
                .payment_method_type
                .as_deref()
                .map(|t| word("payment_method_type", t))
                .transpose()?,
            allow_promotion_codes: self.allow_promotion_codes,
            discount,
            trial_period_days: self.trial_period_days.map(|d| d.max(0) as u32),
            preserve_billing_cycle_anchor: self.preserve_billing_cycle_anchor,
            target_subscription_id: self.target_subscription_id,
            automatically_update_subscriptions: self.automatically_update_subscriptions,
            output_name: self.output_name,
            output_metadata: json("output_metadata", self.output_metadata.as_deref())?,
            metadata: json("metadata", Some(&self.metadata))?.unwrap_or_default(),
            attribution: json("attribution", self.attribution.as_deref())?,
            trace_id: self.trace_id,
            amounts: AmountSummary {
                subtotal: self.amount_subtotal,
                discount: self.amount_discount,
                tax: self.amount_tax,
                total: self.amount_total,
                due_today: self.amount_due_today,
            },
            expires_at: self.expires_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            completed_at: self.completed_at,
            purchase_id: self.purchase_id,
            invoice_id: self.invoice_id,
            subscription_id: self.subscription_id,
            payment_method_id: self.payment_method_id,
            plan_id: self.plan_id,
            starts_at: self.starts_at,
            confirmation: self
                .confirmation
                .as_deref()
                .map(|c| Confirmation::parse(c).ok_or_else(|| corrupt("confirmation", c)))
                .transpose()?,
            cancelled_at: self.cancelled_at,
            client_reference_id: self.client_reference_id,
            collection: json("collection", self.collection.as_deref())?.unwrap_or_default(),
            customer_phone: self.customer_phone,
            shipping_details: json("shipping_details", self.shipping_details.as_deref())?,
            payment_link_id: self.payment_link_id,
            locale: self.locale,
            answers: json("answers", self.answers.as_deref())?,
            origin: crate::domain::session::Origin::parse(&self.origin),
            customer_tax_ids: json("customer_tax_ids", self.customer_tax_ids.as_deref())?
                .unwrap_or_default(),
        })
    }
}

/// Pairs rows with their line items (fetched in one query for the whole page).
fn assemble(rows: Vec<SessionRow>, lines: Vec<LineRow>) -> StoreResult<Vec<CheckoutSession>> {
    let mut by_session: std::collections::HashMap<String, Vec<SessionLineItem>> =
        std::collections::HashMap::new();
    for line in lines {
        let id = line.session_id.clone();
        by_session.entry(id).or_default().push(line.into_domain()?);
    }
    rows.into_iter()
        .map(|row| {
            let lines = by_session.remove(&row.id).unwrap_or_default();
            row.into_domain(lines)
        })
        .collect()
}

/// Bind parameters of one line in [`lines_sql`].
const LINE_PARAMS: usize = 12;

/// `INSERT INTO checkout_session_line_items … VALUES (…), (…)` for `count` lines, their
/// parameters numbered from `$first`; [`bind_lines!`] binds them in that order.
fn lines_sql(first: usize, count: usize) -> String {
    let rows = super::value_rows(count, first, LINE_PARAMS, |p| format!("({})", p.join(", ")));
    format!(
        "INSERT INTO checkout_session_line_items (session_id, position, price_id, product_id, \
         description, quantity, adjustable_minimum, adjustable_maximum, unit_amount, currency, \
         interval_unit, interval_count) VALUES {rows}"
    )
}

/// Binds the parameters of [`lines_sql`] to `$query` (on either engine).
macro_rules! bind_lines {
    ($query:expr, $session_id:expr, $lines:expr) => {{
        let mut query = $query;
        for (position, line) in $lines.iter().enumerate() {
            query = query
                .bind($session_id)
                .bind(position as i32)
                .bind(&line.price_id)
                .bind(&line.product_id)
                .bind(&line.description)
                .bind(line.quantity as i32)
                .bind(line.adjustable.map(|a| a.minimum as i32))
                .bind(line.adjustable.map(|a| a.maximum as i32))
                .bind(line.unit_amount.amount)
                .bind(line.unit_amount.currency.code_lower())
                .bind(line.recurring.map(|r| r.interval.as_str()))
                .bind(line.recurring.map(|r| r.interval_count as i32));
        }
        query
    }};
}

/// A session's columns that are not stored as they are in [`CheckoutSession`]: its enums as their
/// words, its structured fields as JSON. Made before a write, so that SQLite's writer does not.
struct SessionValues {
    guest: Option<String>,
    collection: Option<String>,
    shipping_details: Option<String>,
    answers: Option<String>,
    customer_tax_ids: Option<String>,
    billing_address: Option<String>,
    payment_method_types: String,
    output_metadata: Option<String>,
    metadata: String,
    attribution: Option<String>,
    discount_duration: Option<String>,
    kind: String,
    mode: String,
    status: String,
    payment_method_type: Option<&'static str>,
    currency: Option<String>,
}

impl SessionValues {
    fn of(s: &CheckoutSession) -> SessionValues {
        SessionValues {
            guest: s.guest.as_ref().map(to_json),
            // Nothing for the default: most sessions collect no more than card networks need.
            collection: (s.collection != Default::default()).then(|| to_json(&s.collection)),
            shipping_details: s.shipping_details.as_ref().map(to_json),
            answers: s.answers.as_ref().map(to_json),
            customer_tax_ids: (!s.customer_tax_ids.is_empty())
                .then(|| to_json(&s.customer_tax_ids)),
            billing_address: s.billing_address.as_ref().map(to_json),
            payment_method_types: to_json(&s.payment_method_types),
            output_metadata: s.output_metadata.as_ref().map(to_json),
            metadata: to_json(&s.metadata),
            attribution: s.attribution.as_ref().map(to_json),
            discount_duration: s.discount.as_ref().map(|d| to_json(&d.duration)),
            kind: as_word(&s.kind),
            mode: as_word(&s.mode),
            status: as_word(&s.status),
            payment_method_type: s.payment_method_type.map(|t| t.as_str()),
            currency: s.currency.map(Currency::code_lower),
        }
    }
}

/// Binds `$1` to `$55` of the session insert: the session `$s` with its [`SessionValues`] `$v`.
macro_rules! bind_session {
    ($query:expr, $s:expr, $v:expr) => {
        $query
            .bind(&$s.id)
            .bind(&$s.organization_id)
            .bind($s.livemode)
            .bind(&$s.pricing_model_id)
            .bind(&$v.kind)
            .bind(&$v.mode)
            .bind(&$v.status)
            .bind(&$v.currency)
            .bind(&$s.customer_id)
            .bind(&$s.customer_external_id)
            .bind($s.anonymous)
            .bind(&$v.guest)
            .bind(&$s.customer_email)
            .bind(&$s.customer_name)
            .bind(&$v.billing_address)
            .bind(&$s.success_url)
            .bind(&$s.cancel_url)
            .bind(&$s.pending_url)
            .bind(&$v.payment_method_types)
            .bind($v.payment_method_type)
            .bind($s.allow_promotion_codes)
            .bind($s.discount.as_ref().map(|d| d.coupon_id.as_str()))
            .bind(
                $s.discount
                    .as_ref()
                    .and_then(|d| d.promotion_code_id.as_deref()),
            )
            .bind(&$v.discount_duration)
            .bind($s.trial_period_days.map(|d| d as i32))
            .bind($s.preserve_billing_cycle_anchor)
            .bind(&$s.target_subscription_id)
            .bind($s.automatically_update_subscriptions)
            .bind(&$s.output_name)
            .bind(&$v.output_metadata)
            .bind(&$v.metadata)
            .bind(&$v.attribution)
            .bind(&$s.trace_id)
            .bind($s.amounts.subtotal)
            .bind($s.amounts.discount)
            .bind($s.amounts.tax)
            .bind($s.amounts.total)
            .bind($s.amounts.due_today)
            .bind($s.expires_at)
            .bind($s.created_at)
            .bind($s.updated_at)
            .bind($s.completed_at)
            .bind(&$s.purchase_id)
            .bind(&$s.invoice_id)
            .bind(&$s.subscription_id)
            .bind(&$s.payment_method_id)
            .bind(&$s.plan_id)
            .bind($s.starts_at)
            .bind($s.confirmation.map(Confirmation::as_str))
            .bind($s.cancelled_at)
            .bind(&$s.client_reference_id)
            .bind(&$v.collection)
            .bind(&$s.customer_phone)
            .bind(&$v.shipping_details)
            .bind(&$s.payment_link_id)
            .bind(&$s.locale)
            .bind(&$v.answers)
            .bind($s.origin.as_str())
            .bind(&$v.customer_tax_ids)
    };
}

/// The session insert: its columns and one `$n` each, bound by [`bind_session!`].
static INSERT_SESSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let params: Vec<String> = (1..=session_params()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO checkout_sessions ({SESSION_COLUMNS}) VALUES ({})",
        params.join(", ")
    )
});

/// How many parameters the session insert binds: one per column.
fn session_params() -> usize {
    SESSION_COLUMNS.split(',').count()
}

impl Store {
    /// Records a new session and its lines in one transaction, and, for a request under an
    /// idempotency key (`once`), names the session on the key in the same transaction: nothing
    /// is written ([`StoreError::IdempotencyKeyLost`]) when the key is no longer the request's.
    /// On SQLite it is queued whole for the writer ([`super::group_commit::Work`]): prepared
    /// statements run on the writer's handle inside the batch, with no hand-off of the connection
    /// to this task.
    pub async fn insert_session(
        &self,
        s: &CheckoutSession,
        once: Option<&IdempotencyClaim>,
    ) -> StoreResult<()> {
        let values = SessionValues::of(s);
        let session_sql = &*INSERT_SESSION;
        if let super::Backend::Sqlite { batches, .. } = &self.backend {
            let s = s.clone();
            let once = once.cloned();
            // Made here, in the request's task, so that the writer's serial turn does not.
            let lines_sql = (!s.line_items.is_empty()).then(|| lines_sql(1, s.line_items.len()));
            return batches
                .run(Box::new(move |db| {
                    let mut insert = db.prepare_cached(session_sql)?;
                    bind_session!(Positional::new(&mut insert), s, values).done()?;
                    insert.raw_execute()?;
                    if let Some(lines_sql) = lines_sql {
                        let mut lines = db.prepare_cached(&lines_sql)?;
                        bind_lines!(Positional::new(&mut lines), &s.id, &s.line_items).done()?;
                        lines.raw_execute()?;
                    }
                    if let Some(claim) = &once {
                        let mut effect = db.prepare_cached(IdempotencyClaim::EFFECT_SQL)?;
                        bind_effect!(Positional::new(&mut effect), claim, s.id.as_str()).done()?;
                        if effect.raw_execute()? != 1 {
                            return Err(KeyLost::rusqlite());
                        }
                    }
                    Ok(())
                }))
                .await
                .map_err(StoreError::from);
        }
        // The session and its lines in one statement, one round trip to PostgreSQL.
        let sql = if s.line_items.is_empty() {
            std::borrow::Cow::Borrowed(session_sql)
        } else {
            std::borrow::Cow::Owned(format!(
                "WITH session AS ({session_sql}) {}",
                lines_sql(session_params() + 1, s.line_items.len())
            ))
        };
        let Some(claim) = once else {
            // One statement is one transaction of its own: no BEGIN and COMMIT, two round trips
            // to the server fewer.
            dispatch!(self, write, |db| {
                let query = bind_session!(sqlx::query(&sql), s, values);
                bind_lines!(query, &s.id, &s.line_items).execute(db).await?;
            });
            return Ok(());
        };
        let mut tx = self.begin().await?;
        dispatch_tx!(tx, |conn| {
            let query = bind_session!(sqlx::query(&sql), s, values);
            bind_lines!(query, &s.id, &s.line_items)
                .execute(&mut *conn)
                .await?;
            // Last, so that the key's row is locked only for the commit: the request's renewals
            // of its hold are not kept waiting behind its own transaction.
            let named = bind_effect!(sqlx::query(IdempotencyClaim::EFFECT_SQL), claim, &s.id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if named != 1 {
                return Err(StoreError::IdempotencyKeyLost);
            }
        });
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the terms of a session that is still open, unconfirmed, unexpired and not held
    /// by a payment: its lines, amounts, customer, URLs and data. `false` (and nothing written)
    /// when the session has moved on.
    pub async fn replace_open_session(&self, s: &CheckoutSession, now: i64) -> StoreResult<bool> {
        let guest = s.guest.as_ref().map(to_json);
        let billing_address = s.billing_address.as_ref().map(to_json);
        let metadata = to_json(&s.metadata);
        let attribution = s.attribution.as_ref().map(to_json);
        let mode = as_word(&s.mode);
        let currency = s.currency.map(Currency::code_lower);
        let mut tx = self.begin().await?;
        let changed = dispatch_tx!(tx, |conn| {
            sqlx::query(
                "UPDATE checkout_sessions SET mode = $1, currency = $2, customer_id = $3, \
                 customer_external_id = $4, anonymous = $5, guest = $6, customer_email = $7, \
                 customer_name = $8, billing_address = $9, success_url = $10, cancel_url = $11, \
                 pending_url = $12, trial_period_days = $13, metadata = $14, attribution = $15, \
                 trace_id = $16, amount_subtotal = $17, amount_discount = $18, amount_tax = $19, \
                 amount_total = $20, amount_due_today = $21, expires_at = $22, plan_id = $23, \
                 starts_at = $24, updated_at = $25, client_reference_id = $27, collection = $28 \
                 WHERE id = $26 AND status = 'open' AND confirmation IS NULL AND expires_at > $25 \
                 AND (lock_token IS NULL OR lock_expires_at < $25)",
            )
            .bind(&mode)
            .bind(&currency)
            .bind(&s.customer_id)
            .bind(&s.customer_external_id)
            .bind(s.anonymous)
            .bind(&guest)
            .bind(&s.customer_email)
            .bind(&s.customer_name)
            .bind(&billing_address)
            .bind(&s.success_url)
            .bind(&s.cancel_url)
            .bind(&s.pending_url)
            .bind(s.trial_period_days.map(|d| d as i32))
            .bind(&metadata)
            .bind(&attribution)
            .bind(&s.trace_id)
            .bind(s.amounts.subtotal)
            .bind(s.amounts.discount)
            .bind(s.amounts.tax)
            .bind(s.amounts.total)
            .bind(s.amounts.due_today)
            .bind(s.expires_at)
            .bind(&s.plan_id)
            .bind(s.starts_at)
            .bind(now)
            .bind(&s.id)
            .bind(&s.client_reference_id)
            .bind((s.collection != Default::default()).then(|| to_json(&s.collection)))
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if changed != 1 {
            return Ok(false);
        }
        dispatch_tx!(tx, |conn| {
            sqlx::query("DELETE FROM checkout_session_line_items WHERE session_id = $1")
                .bind(&s.id)
                .execute(&mut *conn)
                .await?;
        });
        tx.insert_session_lines(&s.id, &s.line_items).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records that the merchant confirmed an open, unconfirmed session to be paid on the hosted
    /// page; `false` when it was not open, already confirmed, or held by a payment.
    pub async fn confirm_open_session(
        &self,
        id: &str,
        confirmation: Confirmation,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE checkout_sessions SET confirmation = $1, confirmed_at = $2, updated_at = $2 \
                 WHERE id = $3 AND status = 'open' AND confirmation IS NULL AND expires_at > $2 \
                 AND (lock_token IS NULL OR lock_expires_at < $2)",
            )
            .bind(confirmation.as_str())
            .bind(now)
            .bind(id)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// A session of the organization in the given mode.
    pub async fn session(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<CheckoutSession>> {
        let found = self.session_by_id(id).await?;
        Ok(found.filter(|s| s.organization_id == organization_id && s.livemode == livemode))
    }

    /// A session by id alone: for the hosted page, where the unguessable id is the capability.
    pub async fn session_by_id(&self, id: &str) -> StoreResult<Option<CheckoutSession>> {
        Ok(self
            .read_session(id, false)
            .await?
            .map(|(session, _)| session))
    }

    /// A session and its latest payment attempt, as its page shows them.
    pub async fn session_with_latest_attempt(
        &self,
        id: &str,
    ) -> StoreResult<Option<(CheckoutSession, Option<super::AttemptRecord>)>> {
        self.read_session(id, true).await
    }

    /// A session with its lines and, if `with_attempt`, its latest attempt: all on one connection,
    /// since sqlx pings a connection as it goes back to the pool, a round trip to its worker thread
    /// (SQLite) or to the server (PostgreSQL). The attempt is asked for only when there is one.
    async fn read_session(
        &self,
        id: &str,
        with_attempt: bool,
    ) -> StoreResult<Option<(CheckoutSession, Option<super::AttemptRecord>)>> {
        let session_sql = format!(
            "SELECT {SESSION_COLUMNS}, latest_attempt_id FROM checkout_sessions WHERE id = $1"
        );
        let lines_sql = format!(
            "SELECT {LINE_COLUMNS} FROM checkout_session_line_items WHERE session_id = $1 ORDER BY position"
        );
        let attempt_sql = format!(
            "SELECT {} FROM payment_attempts WHERE id = $1",
            super::attempts::ATTEMPT_COLUMNS
        );
        let (row, lines, attempt) = dispatch!(self, read, |db| {
            let mut db = db.acquire().await?;
            let row = sqlx::query_as::<_, SessionRow>(&session_sql)
                .bind(id)
                .fetch_optional(&mut *db)
                .await?;
            let lines = match row {
                Some(_) => {
                    sqlx::query_as::<_, LineRow>(&lines_sql)
                        .bind(id)
                        .fetch_all(&mut *db)
                        .await?
                }
                None => Vec::new(),
            };
            let latest = row.as_ref().and_then(|r| r.latest_attempt_id.as_ref());
            let attempt = match latest.filter(|_| with_attempt) {
                Some(attempt_id) => {
                    sqlx::query_as::<_, super::AttemptRecord>(&attempt_sql)
                        .bind(attempt_id)
                        .fetch_optional(&mut *db)
                        .await?
                }
                None => None,
            };
            (row, lines, attempt)
        });
        match row {
            Some(row) => Ok(assemble(vec![row], lines)?.pop().map(|s| (s, attempt))),
            None => Ok(None),
        }
    }

    /// A page of the organization's sessions in a mode, newest first.
    pub async fn sessions(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<CheckoutSession>> {
        let rows: Page<SessionRow> = self
            .page_of(
                "checkout_sessions",
                SESSION_COLUMNS,
                "",
                organization_id,
                livemode,
                page,
            )
            .await?;
        self.with_lines(rows).await
    }

    /// A page of the organization's sessions in a mode with `status` (the stored one) and whose
    /// id is `search` or whose customer's email contains it, newest first: the dashboard's list.
    pub async fn sessions_matching(
        &self,
        organization_id: &str,
        livemode: bool,
        status: Option<SessionStatus>,
        search: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<CheckoutSession>> {
        let (created_at, after_id) = match &page.after {
            Some(cursor) => (cursor.created_at, cursor.id.as_str()),
            None => (i64::MAX, ""),
        };
        let limit = i64::from(page.limit.max(1));
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE organization_id = $1 AND livemode = $2 \
             AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
             AND ($5 IS NULL OR status = $5) \
             AND ($6 IS NULL OR id = $6 OR LOWER(customer_email) LIKE '%' || LOWER($6) || '%') \
             ORDER BY created_at DESC, id DESC LIMIT $7"
        );
        let mut items = dispatch!(self, read, |db| {
            sqlx::query_as::<_, SessionRow>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .bind(created_at)
                .bind(after_id)
                .bind(status.map(|s| s.as_str()))
                .bind(search)
                .bind(limit + 1)
                .fetch_all(db)
                .await?
        });
        let has_more = items.len() > limit as usize;
        items.truncate(limit as usize);
        self.with_lines(Page { items, has_more }).await
    }

    /// Sessions of the organization in a mode created since `since`, counted by stored status.
    pub async fn session_counts_since(
        &self,
        organization_id: &str,
        livemode: bool,
        since: i64,
    ) -> StoreResult<Vec<(String, i64)>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT status, COUNT(*) FROM checkout_sessions \
                 WHERE organization_id = $1 AND livemode = $2 AND created_at >= $3 \
                 GROUP BY status ORDER BY status",
            )
            .bind(organization_id)
            .bind(livemode)
            .bind(since)
            .fetch_all(db)
            .await?
        }))
    }

    /// Sessions of the organization in a mode created since `since`, by UTC day (days since the
    /// epoch): (day, how many, how many succeeded).
    pub async fn sessions_by_day(
        &self,
        organization_id: &str,
        livemode: bool,
        since: i64,
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, (i64, i64, i64)>(
                "SELECT created_at / 86400000 AS day, COUNT(*), \
                 CAST(SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS BIGINT) \
                 FROM checkout_sessions \
                 WHERE organization_id = $1 AND livemode = $2 AND created_at >= $3 \
                 GROUP BY created_at / 86400000 ORDER BY day",
            )
            .bind(organization_id)
            .bind(livemode)
            .bind(since)
            .fetch_all(db)
            .await?
        }))
    }

    /// The `limit` sessions just newer than `cursor`, newest first; `has_more` tells whether
    /// still newer ones exist (Stripe's `ending_before`).
    pub async fn sessions_newer_than(
        &self,
        organization_id: &str,
        livemode: bool,
        cursor: &super::Cursor,
        limit: u32,
    ) -> StoreResult<Page<CheckoutSession>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM checkout_sessions WHERE organization_id = $1 \
             AND livemode = $2 AND (created_at > $3 OR (created_at = $3 AND id > $4)) \
             ORDER BY created_at, id LIMIT $5"
        );
        let limit = i64::from(limit.max(1));
        let mut rows = dispatch!(self, read, |db| {
            sqlx::query_as::<_, SessionRow>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .bind(cursor.created_at)
                .bind(&cursor.id)
                .bind(limit + 1)
                .fetch_all(db)
                .await?
        });
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        rows.reverse();
        self.with_lines(Page {
            items: rows,
            has_more,
        })
        .await
    }

    async fn with_lines(&self, rows: Page<SessionRow>) -> StoreResult<Page<CheckoutSession>> {
        if rows.items.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                has_more: rows.has_more,
            });
        }
        let placeholders: Vec<String> = (1..=rows.items.len()).map(|i| format!("${i}")).collect();
        let lines_sql = format!(
            "SELECT {LINE_COLUMNS} FROM checkout_session_line_items WHERE session_id IN ({}) \
             ORDER BY session_id, position",
            placeholders.join(", ")
        );
        let lines = dispatch!(self, read, |db| {
            let mut query = sqlx::query_as::<_, LineRow>(&lines_sql);
            for row in &rows.items {
                query = query.bind(&row.id);
            }
            query.fetch_all(db).await?
        });
        Ok(Page {
            items: assemble(rows.items, lines)?,
            has_more: rows.has_more,
        })
    }

    pub async fn count_sessions(&self, organization_id: &str, livemode: bool) -> StoreResult<i64> {
        self.count_of("checkout_sessions", "", organization_id, livemode)
            .await
    }

    /// Moves a session as `transition` says if, and only if, it is still in its `from`: of two
    /// writers racing on one session, exactly one sees `true`.
    pub async fn compare_and_set_session_status(
        &self,
        id: &str,
        transition: SessionTransition,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE checkout_sessions SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
            )
            .bind(transition.to().as_str())
            .bind(now)
            .bind(id)
            .bind(transition.from().as_str())
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }
}

impl Tx {
    /// Moves a session as `transition` says in this transaction, unless a payment holds it (its
    /// claim has not run out); `false` when it was not in the transition's `from` or is held
    /// (then nothing changed). A session is never closed under a charge in flight.
    pub async fn set_session_status_if(
        &mut self,
        id: &str,
        transition: SessionTransition,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE checkout_sessions SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 \
                 AND (lock_token IS NULL OR lock_expires_at < $2)",
            )
            .bind(transition.to().as_str())
            .bind(now)
            .bind(id)
            .bind(transition.from().as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }
}

impl Tx {
    /// Writes a session's lines, in order, in one statement.
    pub async fn insert_session_lines(
        &mut self,
        session_id: &str,
        lines: &[SessionLineItem],
    ) -> StoreResult<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let sql = lines_sql(1, lines.len());
        dispatch_tx!(self, |conn| {
            let query = sqlx::query(&sql);
            bind_lines!(query, session_id, lines)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Notes that the merchant ended the session (it was just expired in this transaction).
    pub async fn mark_session_cancelled(&mut self, id: &str, now: i64) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query("UPDATE checkout_sessions SET cancelled_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Records the merchant's confirmation of a session this transaction is completing; `false`
    /// when it was confirmed already.
    pub async fn record_confirmation(
        &mut self,
        id: &str,
        confirmation: Confirmation,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE checkout_sessions SET confirmation = $1, confirmed_at = $2 \
                 WHERE id = $3 AND confirmation IS NULL",
            )
            .bind(confirmation.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }
}

/// An open session whose time has passed: what expiring it needs to tell.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueSession {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub kind: String,
    pub mode: String,
    pub customer_id: Option<String>,
    pub customer_email: Option<String>,
    /// Where it was made (`Origin::as_str`).
    pub origin: String,
}

impl Tx {
    /// Claims up to `limit` open sessions whose expiry is at or before `now` and that no payment
    /// is holding (a payment in flight finishes first), for this transaction to expire. On PostgreSQL the rows are locked and rows another transaction
    /// holds are skipped (`FOR UPDATE SKIP LOCKED`), so that several kassa instances sweeping at
    /// once take disjoint sessions; SQLite's write transaction already excludes other writers.
    pub async fn claim_due_sessions(
        &mut self,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<DueSession>> {
        let skip_locked = match &self.inner {
            super::tx::TxInner::Sqlite(_) => "",
            super::tx::TxInner::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "SELECT id, organization_id, livemode, kind, mode, customer_id, customer_email, origin \
             FROM checkout_sessions WHERE status = 'open' AND expires_at <= $1 \
             AND (lock_token IS NULL OR lock_expires_at < $1) \
             ORDER BY expires_at LIMIT $2{skip_locked}"
        );
        Ok(dispatch_tx!(self, |conn| {
            sqlx::query_as::<_, DueSession>(&sql)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
        }))
    }
}

/// What completing a session records on it.
#[derive(Debug, Clone)]
pub struct SessionCompletion<'a> {
    pub session_id: &'a str,
    pub attempt_id: &'a str,
    /// From open (a confirm holding the claim) or pending (an asynchronous payment settling) to
    /// succeeded.
    pub transition: SessionTransition,
    pub now: i64,
    pub customer_id: &'a str,
    pub customer_email: &'a str,
    pub customer_name: Option<&'a str>,
    /// JSON of the billing address.
    pub billing_address: Option<&'a str>,
    pub customer_phone: Option<&'a str>,
    /// JSON of the shipping details.
    pub shipping_details: Option<&'a str>,
    /// JSON of the buyer's answers to the session's questions and consent.
    pub answers: Option<&'a str>,
    /// JSON of the buyer's tax ids.
    pub customer_tax_ids: Option<&'a str>,
    pub payment_method_type: &'a str,
    pub amounts: AmountSummary,
    pub coupon_id: Option<&'a str>,
    pub promotion_code_id: Option<&'a str>,
    /// JSON of the coupon's duration.
    pub discount_duration: Option<&'a str>,
    pub quantities: &'a [u32],
    pub purchase_id: Option<&'a str>,
    pub invoice_id: Option<&'a str>,
    pub subscription_id: Option<&'a str>,
    pub payment_method_id: Option<&'a str>,
}

/// A session's state as a confirm that could not claim it needs it, all read at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaim {
    pub status: SessionStatus,
    pub expires_at: i64,
    pub updated_at: i64,
    /// Until when a payment's claim holds the session, if one does.
    pub claimed_until: Option<i64>,
    /// The status of the session's latest payment attempt, if it has one.
    pub latest_attempt: Option<crate::domain::payment::AttemptStatus>,
}

impl Store {
    /// The session's status, last change, claim and latest attempt in one read. Read apart they
    /// can disagree: a payment claiming or finishing between two reads would show the session
    /// still open and already unclaimed, or a claim not yet committed beside its attempt.
    pub async fn session_claim(&self, session_id: &str) -> StoreResult<Option<SessionClaim>> {
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, (String, i64, i64, Option<i64>, Option<String>)>(
                "SELECT s.status, s.expires_at, s.updated_at, \
                 CASE WHEN s.lock_token IS NOT NULL THEN s.lock_expires_at END, a.status \
                 FROM checkout_sessions s LEFT JOIN payment_attempts a ON a.id = s.latest_attempt_id \
                 WHERE s.id = $1",
            )
            .bind(session_id)
            .fetch_optional(db)
            .await?
        });
        row.map(
            |(status, expires_at, updated_at, claimed_until, latest_attempt)| {
                Ok(SessionClaim {
                    status: word("status", &status)?,
                    expires_at,
                    updated_at,
                    claimed_until,
                    latest_attempt: latest_attempt
                        .map(|a| word("attempt status", &a))
                        .transpose()?,
                })
            },
        )
        .transpose()
    }

    /// Until when a payment's claim holds the session, if one does.
    pub async fn session_claimed_until(&self, session_id: &str) -> StoreResult<Option<i64>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT lock_expires_at FROM checkout_sessions WHERE id = $1 AND lock_token IS NOT NULL",
            )
            .bind(session_id)
            .fetch_optional(db)
            .await?
            .flatten()
        }))
    }

    /// [`Tx::claim_session`] in a transaction of its own.
    pub async fn claim_session(
        &self,
        session_id: &str,
        attempt_id: &str,
        now: i64,
        lease_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let claimed = tx
            .claim_session(session_id, attempt_id, now, lease_ms, None)
            .await?;
        if claimed {
            tx.commit().await?;
        }
        Ok(claimed)
    }

    /// [`Tx::release_session`] in a transaction of its own.
    pub async fn release_session(&self, session_id: &str, attempt_id: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        tx.release_session(session_id, attempt_id).await?;
        tx.commit().await
    }
}

/// Claims a session for an attempt ([`Tx::claim_session`]); binds [`bind_claim!`].
pub(super) const CLAIM_SESSION: &str = "UPDATE checkout_sessions SET lock_token = $1, \
     lock_expires_at = $2, latest_attempt_id = $1, updated_at = $3 WHERE id = $4 \
     AND status = 'open' AND (lock_token IS NULL OR lock_expires_at < $3) \
     AND ($5 IS NULL OR updated_at = $5) \
     AND NOT EXISTS (SELECT 1 FROM payment_attempts a \
         WHERE a.id = checkout_sessions.latest_attempt_id AND a.status = 'charging')";

/// Binds [`CLAIM_SESSION`]'s parameters, for an sqlx query or a SQLite batch's statement.
macro_rules! bind_claim {
    ($query:expr, $session_id:expr, $attempt_id:expr, $now:expr, $lease_ms:expr, $unchanged_since:expr) => {
        $query
            .bind($attempt_id)
            .bind($now + $lease_ms)
            .bind($now)
            .bind($session_id)
            .bind($unchanged_since)
    };
}
pub(super) use bind_claim;

/// Claims, moves and completions of a session by a payment: each a compare-and-set on the
/// session's status (and, once claimed, on its latest attempt), so that of concurrent payments,
/// sweeps and merchants exactly one changes a session.
impl Tx {
    /// Claims an open session for one attempt for `lease_ms`: of concurrent claims exactly one
    /// wins, and a claim abandoned (its process died) can be taken over once its lease ran out,
    /// unless that attempt is still charging: a session whose latest charge may have moved money
    /// takes no new attempt until that charge's outcome is known. The claim also makes the
    /// attempt the session's latest. With `unchanged_since` (the session's `updated_at` as the
    /// payment read it), a session changed since (its terms replaced by the merchant) is not
    /// claimed: nobody pays for terms other than those their payment was priced from.
    pub async fn claim_session(
        &mut self,
        session_id: &str,
        attempt_id: &str,
        now: i64,
        lease_ms: i64,
        unchanged_since: Option<i64>,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            bind_claim!(
                sqlx::query(CLAIM_SESSION),
                session_id,
                attempt_id,
                now,
                lease_ms,
                unchanged_since
            )
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Releases the session's claim by this attempt, leaving its status as it is.
    pub async fn release_session(&mut self, session_id: &str, attempt_id: &str) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE checkout_sessions SET lock_token = NULL, lock_expires_at = NULL \
                 WHERE id = $1 AND lock_token = $2",
            )
            .bind(session_id)
            .bind(attempt_id)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Moves a session as `transition` says if this is its latest attempt, releasing any claim.
    /// `false` means another writer got there first; nothing changed.
    pub async fn move_session(
        &mut self,
        session_id: &str,
        attempt_id: &str,
        transition: SessionTransition,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE checkout_sessions SET status = $1, updated_at = $2, lock_token = NULL, lock_expires_at = NULL \
                 WHERE id = $3 AND status = $4 AND latest_attempt_id = $5",
            )
            .bind(transition.to().as_str())
            .bind(now)
            .bind(session_id)
            .bind(transition.from().as_str())
            .bind(attempt_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Marks a session succeeded with what it created, if it is still in the transition's `from`
    /// and this is its latest attempt. `false` means another writer got there first; nothing changed.
    pub async fn complete_session(&mut self, c: &SessionCompletion<'_>) -> StoreResult<bool> {
        debug_assert_eq!(c.transition.to(), SessionStatus::Succeeded);
        let changed = write_counted!(
            self,
            "UPDATE checkout_sessions SET status = 'succeeded', completed_at = $1, updated_at = $1, \
                 customer_id = $2, customer_email = $3, customer_name = $4, billing_address = $5, \
                 payment_method_type = $6, amount_subtotal = $7, amount_discount = $8, amount_tax = $9, \
                 amount_total = $10, amount_due_today = $11, coupon_id = $12, promotion_code_id = $13, \
                 discount_duration = $14, purchase_id = $15, invoice_id = $16, subscription_id = $17, \
                 payment_method_id = $18, customer_phone = $22, shipping_details = $23, answers = $24, \
                 customer_tax_ids = $25, lock_token = NULL, lock_expires_at = NULL \
                 WHERE id = $19 AND status = $20 AND latest_attempt_id = $21",
            |q| q
                .bind(c.now)
                .bind(c.customer_id)
                .bind(c.customer_email)
                .bind(c.customer_name)
                .bind(c.billing_address)
                .bind(c.payment_method_type)
                .bind(c.amounts.subtotal)
                .bind(c.amounts.discount)
                .bind(c.amounts.tax)
                .bind(c.amounts.total)
                .bind(c.amounts.due_today)
                .bind(c.coupon_id)
                .bind(c.promotion_code_id)
                .bind(c.discount_duration)
                .bind(c.purchase_id)
                .bind(c.invoice_id)
                .bind(c.subscription_id)
                .bind(c.payment_method_id)
                .bind(c.session_id)
                .bind(c.transition.from().as_str())
                .bind(c.attempt_id)
                .bind(c.customer_phone)
                .bind(c.shipping_details)
                .bind(c.answers)
                .bind(c.customer_tax_ids)
        );
        if changed != 1 {
            return Ok(false);
        }
        for (position, quantity) in c.quantities.iter().enumerate() {
            write_later!(
                self,
                "UPDATE checkout_session_line_items SET quantity = $1 WHERE session_id = $2 AND position = $3",
                |q| q
                    .bind(*quantity as i32)
                    .bind(c.session_id)
                    .bind(position as i32)
            );
        }
        Ok(true)
    }
}
