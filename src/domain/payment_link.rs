//! Payment links: a reusable address that makes a checkout session for every visit. A link keeps
//! a template of the session it makes (its lines and what the page collects); each visit turns
//! the template into a [`SessionDraft`], checked like any other.

use super::custom_field::{CustomField, CustomFieldDraft};
use super::session::draft::{
    AdjustableDraft, CollectionDraft, CustomerDraft, LineItemDraft, PriceRef, SessionDraft,
};
use super::session::{SessionKind, SessionMode};
use serde::{Deserialize, Serialize};

/// A line of a link: a price (by id), how many, and whether the buyer may change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkLine {
    pub price: String,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustable: Option<LinkAdjustable>,
}

/// A line's adjustable quantity, as kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkAdjustable {
    pub enabled: bool,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
}

/// What every session a link makes is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTemplate {
    /// `None`: from the prices (a recurring price makes a subscription).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<SessionMode>,
    pub lines: Vec<LinkLine>,
    #[serde(default)]
    pub allow_promotion_codes: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address_collection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_countries: Option<Vec<String>>,
    #[serde(default)]
    pub phone: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_types: Option<Vec<String>>,
    /// Where the buyer goes once paid (Stripe's `after_completion[redirect][url]`); kassa's
    /// receipt page when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_url: Option<String>,
    /// The questions every session of the link asks (Stripe's `custom_fields`), checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomField>,
    /// Whether its buyers must accept the terms of service.
    #[serde(default)]
    pub terms_of_service: bool,
}

impl LinkTemplate {
    /// The session a visit makes: anonymous (the buyer gives their details on the page).
    pub fn to_draft(&self) -> SessionDraft {
        let mut draft = SessionDraft::new(SessionKind::Purchase);
        draft.origin = super::session::Origin::PaymentLink;
        draft.mode = self.mode;
        draft.line_items = self
            .lines
            .iter()
            .map(|line| LineItemDraft {
                price: PriceRef::Id(line.price.clone()),
                quantity: Some(line.quantity),
                adjustable: line.adjustable.map(|a| AdjustableDraft {
                    enabled: a.enabled,
                    minimum: a.minimum,
                    maximum: a.maximum,
                }),
            })
            .collect();
        draft.customer = CustomerDraft::Anonymous;
        draft.allow_promotion_codes = self.allow_promotion_codes;
        draft.payment_method_types = self.payment_method_types.clone();
        draft.success_url = self.success_url.clone();
        draft.collection = CollectionDraft {
            billing_address: self.billing_address_collection.clone(),
            shipping_countries: self.shipping_countries.clone(),
            phone: self.phone,
            payment_method_save: None,
            custom_fields: self
                .custom_fields
                .iter()
                .map(CustomFieldDraft::from)
                .collect(),
            terms_of_service: self.terms_of_service.then(|| "required".to_owned()),
            tax_id: false,
            tax_id_required: None,
        };
        draft
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_makes_an_anonymous_purchase_of_its_lines() {
        let template = LinkTemplate {
            lines: vec![LinkLine {
                price: "price_1".into(),
                quantity: 2,
                adjustable: Some(LinkAdjustable {
                    enabled: true,
                    minimum: Some(1),
                    maximum: Some(5),
                }),
            }],
            shipping_countries: Some(vec!["US".into()]),
            success_url: Some("https://shop.example/thanks".into()),
            ..LinkTemplate::default()
        };
        let draft = template.to_draft();
        assert_eq!(draft.kind, SessionKind::Purchase);
        assert_eq!(draft.customer, CustomerDraft::Anonymous);
        assert_eq!(draft.line_items[0].price, PriceRef::Id("price_1".into()));
        assert_eq!(draft.line_items[0].quantity, Some(2));
        assert_eq!(draft.line_items[0].adjustable.unwrap().maximum, Some(5));
        assert_eq!(draft.collection.shipping_countries, Some(vec!["US".into()]));
        assert_eq!(
            draft.success_url.as_deref(),
            Some("https://shop.example/thanks")
        );
        // It survives being kept as JSON.
        let kept: LinkTemplate =
            serde_json::from_str(&serde_json::to_string(&template).unwrap()).unwrap();
        assert_eq!(kept, template);
    }
}
