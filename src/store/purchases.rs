//! Purchases: what a completed checkout bought.

use super::tx::{Tx, write_later};
use super::{Store, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PurchaseRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub customer_id: String,
    pub session_id: String,
    pub price_id: String,
    pub subscription_id: Option<String>,
    pub quantity: i32,
    pub name: String,
    pub status: String,
    pub price_type: String,
    pub first_invoice_value: i64,
    pub total_purchase_value: i64,
    pub billing_address: Option<String>,
    pub metadata: Option<String>,
    pub phone: Option<String>,
    /// JSON of [`crate::domain::address::ShippingDetails`].
    pub shipping_details: Option<String>,
    pub purchase_date: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(super) const PURCHASE_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, customer_id, session_id, \
     price_id, subscription_id, quantity, name, status, price_type, first_invoice_value, \
     total_purchase_value, billing_address, metadata, phone, shipping_details, purchase_date, \
     created_at, updated_at";

#[derive(Debug, Clone)]
pub struct NewPurchase<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub customer_id: &'a str,
    pub session_id: &'a str,
    pub price_id: &'a str,
    pub subscription_id: Option<&'a str>,
    pub quantity: i32,
    pub name: &'a str,
    pub price_type: &'a str,
    pub first_invoice_value: i64,
    pub total_purchase_value: i64,
    pub billing_address: Option<&'a str>,
    pub metadata: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub shipping_details: Option<&'a str>,
}

impl Store {
    pub async fn purchase(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<PurchaseRecord>> {
        self.one_of("purchases", PURCHASE_COLUMNS, organization_id, livemode, id)
            .await
    }

    /// A customer's purchases, newest first (at most `limit`).
    pub async fn purchases_of_customer(
        &self,
        organization_id: &str,
        livemode: bool,
        customer_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<PurchaseRecord>> {
        self.of_customer(
            "purchases",
            PURCHASE_COLUMNS,
            organization_id,
            livemode,
            customer_id,
            limit,
        )
        .await
    }
}

impl PurchaseRecord {
    pub fn shipping(&self) -> Option<crate::domain::address::ShippingDetails> {
        self.shipping_details
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
    }
}

impl Tx {
    pub async fn insert_purchase(&mut self, p: &NewPurchase<'_>, now: i64) -> StoreResult<()> {
        write_later!(
            self,
            format!(
                "INSERT INTO purchases ({PURCHASE_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'paid', $11, $12, $13, $14, $15, $17, $18, \
                  $16, $16, $16)"
            ),
            |q| q
                .bind(p.id)
                .bind(p.organization_id)
                .bind(p.livemode)
                .bind(p.pricing_model_id)
                .bind(p.customer_id)
                .bind(p.session_id)
                .bind(p.price_id)
                .bind(p.subscription_id)
                .bind(p.quantity)
                .bind(p.name)
                .bind(p.price_type)
                .bind(p.first_invoice_value)
                .bind(p.total_purchase_value)
                .bind(p.billing_address)
                .bind(p.metadata)
                .bind(now)
                .bind(p.phone)
                .bind(p.shipping_details)
        );
        Ok(())
    }
}
