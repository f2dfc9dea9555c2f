//! Fields of requests and what was wrong with them. Every check in the domain reports a
//! [`FieldError`]; each API dialect renames the [`Field`] to its own wire name.

use std::fmt;

/// A field of a request (a session, a product, a price, a customer), in the core's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Kind,
    Mode,
    LineItems,
    LinePrice(usize),
    LineQuantity(usize),
    /// A field of a line's own price (`unit_amount`, `product_data.name`, …).
    LinePriceData(usize, &'static str),
    LineAdjustableMinimum(usize),
    LineAdjustableMaximum(usize),
    Currency,
    Customer,
    CustomerEmail,
    CustomerName,
    BusinessEntity,
    SuccessUrl,
    CancelUrl,
    PendingUrl,
    PaymentMethodTypes,
    Discounts,
    TrialPeriodDays,
    TargetSubscription,
    OutputName,
    OutputMetadata,
    Metadata,
    Attribution,
    ExpiresAt,
    ProductName,
    ProductSlug,
    ProductImageUrl,
    ProductId,
    PriceType,
    PriceUnitAmount,
    PriceCurrency,
    PriceInterval,
    PriceIntervalCount,
    PriceTrialPeriodDays,
    PriceSlug,
    PriceName,
    ExternalId,
    /// The `Idempotency-Key` header (or Zenskar's `idempotency_key`).
    IdempotencyKey,
    /// A refund's amount (Flowglad's `partialAmount`).
    RefundAmount,
    RefundReason,
    /// When a cancellation takes effect (Flowglad's `cancellation.timing`).
    CancelTiming,
    /// The time a test clock is moved to.
    TestClockTime,
    /// What becomes of a subscription whose every renewal retry failed.
    RenewalFailureAction,
    // The checkout form, named as its inputs are.
    BuyerEmail,
    BuyerName,
    Country,
    PostalCode,
    Line1,
    Line2,
    City,
    State,
    Phone,
    ShippingName,
    ShippingLine1,
    ShippingLine2,
    ShippingCity,
    ShippingState,
    ShippingPostalCode,
    ShippingCountry,
    SavedPaymentMethod,
    PaymentMethod,
    CardNumber,
    CardExpiry,
    CardCvc,
    CardName,
    Iban,
    AccountHolder,
    RoutingNumber,
    AccountNumber,
    PromotionCode,
    Quantity(usize),
    /// What the page showed as due: the charge is refused when the priced total differs.
    Total,
    // Dashboard accounts and settings.
    AccountEmail,
    Password,
    OrganizationName,
    CouponCode,
    CouponValue,
    CouponAmount,
    CouponDuration,
    CouponMonths,
    MaxRedemptions,
    AccentColor,
    DisplayName,
    LogoUrl,
    TermsUrl,
    // Webhook endpoints.
    WebhookUrl,
    WebhookName,
    WebhookFilterTypes,
    PricingModel,
    // Business entities and plans.
    EntityName,
    EntityCountry,
    PlanName,
    PlanCurrency,
    PlanItems,
    PlanItemPrice(usize),
    PlanItemQuantity(usize),
    // Contracts and their confirmation (Zenskar).
    Plan,
    StartDate,
    TraceId,
    Confirmation,
    PaymentMethodId,
    ClientReferenceId,
    /// The language of a session's page.
    Locale,
    /// A session's questions (Stripe's `custom_fields`), one of them, and a setting of one.
    CustomFields,
    CustomField(usize),
    CustomFieldSetting(usize, &'static str),
    /// The buyer's consent to the terms of service, and a session's asking for it.
    TermsOfService,
    ConsentTermsOfService,
    /// What a session collects (Stripe's names).
    BillingAddressCollection,
    ShippingAllowedCountries(usize),
    PaymentMethodSave,
    /// Whether a session asks buyers for their tax id (Stripe's `tax_id_collection`).
    TaxIdCollection,
    /// The buyer's tax id, typed on the page.
    TaxId,
    // Tax rates.
    TaxRatePercentage,
    TaxRateInclusive,
    TaxRateCountry,
    TaxRateDescription,
    TaxRateJurisdiction,
    TaxType,
    // Processors.
    StripeSecretKey,
    StripeWebhookSecret,
    TestModeProcessor,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Kind => f.write_str("type"),
            Field::Mode => f.write_str("mode"),
            Field::LineItems => f.write_str("line_items"),
            Field::LinePrice(i) => write!(f, "line_items[{i}].price"),
            Field::LineQuantity(i) => write!(f, "line_items[{i}].quantity"),
            Field::LinePriceData(i, path) => write!(f, "line_items[{i}].price_data.{path}"),
            Field::LineAdjustableMinimum(i) => {
                write!(f, "line_items[{i}].adjustable_quantity.minimum")
            }
            Field::LineAdjustableMaximum(i) => {
                write!(f, "line_items[{i}].adjustable_quantity.maximum")
            }
            Field::Currency => f.write_str("currency"),
            Field::Customer => f.write_str("customer"),
            Field::CustomerEmail => f.write_str("customer.email"),
            Field::CustomerName => f.write_str("customer.name"),
            Field::BusinessEntity => f.write_str("business_entity_id"),
            Field::SuccessUrl => f.write_str("success_url"),
            Field::CancelUrl => f.write_str("cancel_url"),
            Field::PendingUrl => f.write_str("pending_url"),
            Field::PaymentMethodTypes => f.write_str("payment_method_types"),
            Field::Discounts => f.write_str("discounts"),
            Field::TrialPeriodDays => f.write_str("trial_period_days"),
            Field::TargetSubscription => f.write_str("target_subscription_id"),
            Field::OutputName => f.write_str("output_name"),
            Field::OutputMetadata => f.write_str("output_metadata"),
            Field::Metadata => f.write_str("metadata"),
            Field::Attribution => f.write_str("attribution"),
            Field::ExpiresAt => f.write_str("expires_at"),
            Field::ProductName => f.write_str("product.name"),
            Field::ProductSlug => f.write_str("product.slug"),
            Field::ProductImageUrl => f.write_str("product.image_url"),
            Field::ProductId => f.write_str("price.product_id"),
            Field::PriceType => f.write_str("price.type"),
            Field::PriceUnitAmount => f.write_str("price.unit_amount"),
            Field::PriceCurrency => f.write_str("price.currency"),
            Field::PriceInterval => f.write_str("price.interval_unit"),
            Field::PriceIntervalCount => f.write_str("price.interval_count"),
            Field::PriceTrialPeriodDays => f.write_str("price.trial_period_days"),
            Field::PriceSlug => f.write_str("price.slug"),
            Field::PriceName => f.write_str("price.name"),
            Field::ExternalId => f.write_str("customer.external_id"),
            Field::IdempotencyKey => f.write_str("idempotency_key"),
            Field::RefundAmount => f.write_str("amount"),
            Field::RefundReason => f.write_str("reason"),
            Field::CancelTiming => f.write_str("at_period_end"),
            Field::TestClockTime => f.write_str("frozen_time"),
            Field::RenewalFailureAction => f.write_str("renewal_failure_action"),
            Field::BuyerEmail => f.write_str("email"),
            Field::BuyerName => f.write_str("name"),
            Field::Country => f.write_str("country"),
            Field::PostalCode => f.write_str("postal_code"),
            Field::Line1 => f.write_str("line1"),
            Field::Line2 => f.write_str("line2"),
            Field::City => f.write_str("city"),
            Field::State => f.write_str("state"),
            Field::Phone => f.write_str("phone"),
            Field::ShippingName => f.write_str("shipping_name"),
            Field::ShippingLine1 => f.write_str("shipping_line1"),
            Field::ShippingLine2 => f.write_str("shipping_line2"),
            Field::ShippingCity => f.write_str("shipping_city"),
            Field::ShippingState => f.write_str("shipping_state"),
            Field::ShippingPostalCode => f.write_str("shipping_postal_code"),
            Field::ShippingCountry => f.write_str("shipping_country"),
            Field::SavedPaymentMethod => f.write_str("saved_payment_method"),
            Field::PaymentMethod => f.write_str("payment_method_type"),
            Field::CardNumber => f.write_str("card_number"),
            Field::CardExpiry => f.write_str("card_exp"),
            Field::CardCvc => f.write_str("card_cvc"),
            Field::CardName => f.write_str("card_name"),
            Field::Iban => f.write_str("iban"),
            Field::AccountHolder => f.write_str("account_holder"),
            Field::RoutingNumber => f.write_str("routing_number"),
            Field::AccountNumber => f.write_str("account_number"),
            Field::PromotionCode => f.write_str("promotion_code"),
            Field::Quantity(i) => write!(f, "quantity[{i}]"),
            Field::AccountEmail => f.write_str("email"),
            Field::Password => f.write_str("password"),
            Field::OrganizationName => f.write_str("organization_name"),
            Field::CouponCode => f.write_str("code"),
            Field::CouponValue => f.write_str("percent_off"),
            Field::CouponAmount => f.write_str("amount_off"),
            Field::CouponDuration => f.write_str("duration"),
            Field::CouponMonths => f.write_str("duration_in_months"),
            Field::MaxRedemptions => f.write_str("max_redemptions"),
            Field::AccentColor => f.write_str("accent_color"),
            Field::DisplayName => f.write_str("display_name"),
            Field::LogoUrl => f.write_str("logo_url"),
            Field::TermsUrl => f.write_str("terms_url"),
            Field::WebhookUrl => f.write_str("url"),
            Field::WebhookName => f.write_str("name"),
            Field::WebhookFilterTypes => f.write_str("filter_types"),
            Field::PricingModel => f.write_str("pricing_model_id"),
            Field::EntityName => f.write_str("name"),
            Field::EntityCountry => f.write_str("country"),
            Field::PlanName => f.write_str("name"),
            Field::PlanCurrency => f.write_str("currency"),
            Field::PlanItems => f.write_str("items"),
            Field::PlanItemPrice(i) => write!(f, "items[{i}].price"),
            Field::PlanItemQuantity(i) => write!(f, "items[{i}].quantity"),
            Field::Plan => f.write_str("plan_id"),
            Field::StartDate => f.write_str("start_date"),
            Field::TraceId => f.write_str("trace_id"),
            Field::Confirmation => f.write_str("confirmation"),
            Field::PaymentMethodId => f.write_str("payment_method_id"),
            Field::ClientReferenceId => f.write_str("client_reference_id"),
            Field::Locale => f.write_str("locale"),
            Field::CustomFields => f.write_str("custom_fields"),
            Field::CustomField(i) => write!(f, "custom_fields[{i}]"),
            Field::CustomFieldSetting(i, path) => write!(f, "custom_fields[{i}].{path}"),
            Field::TermsOfService => f.write_str("terms_of_service"),
            Field::ConsentTermsOfService => f.write_str("consent_collection.terms_of_service"),
            Field::BillingAddressCollection => f.write_str("billing_address_collection"),
            Field::PaymentMethodSave => {
                f.write_str("saved_payment_method_options.payment_method_save")
            }
            Field::ShippingAllowedCountries(i) => {
                write!(f, "shipping_address_collection.allowed_countries[{i}]")
            }
            Field::TaxIdCollection => f.write_str("tax_id_collection.required"),
            Field::Total => f.write_str("total"),
            Field::TaxId => f.write_str("tax_id"),
            Field::TaxRatePercentage => f.write_str("percentage"),
            Field::TaxRateInclusive => f.write_str("inclusive"),
            Field::TaxRateCountry => f.write_str("country"),
            Field::TaxRateDescription => f.write_str("description"),
            Field::TaxRateJurisdiction => f.write_str("jurisdiction"),
            Field::TaxType => f.write_str("tax_type"),
            Field::StripeSecretKey => f.write_str("stripe_secret_key"),
            Field::StripeWebhookSecret => f.write_str("stripe_webhook_secret"),
            Field::TestModeProcessor => f.write_str("test_mode_processor"),
        }
    }
}

/// One thing wrong with a request: the field, a stable code, and a message for a developer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: Field, code: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            code,
            message: message.into(),
        }
    }

    pub fn missing(field: Field, message: impl Into<String>) -> Self {
        FieldError::new(field, "parameter_missing", message)
    }

    pub fn invalid(field: Field, message: impl Into<String>) -> Self {
        FieldError::new(field, "parameter_invalid", message)
    }
}
