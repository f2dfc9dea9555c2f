//! What a buyer types on the checkout page, checked as they type (in the browser) and again on
//! the server, which decides. Messages are in words a buyer understands.
//!
//! Secrets (the card number and its security code, a bank account number) are types without
//! `Display` or `Serialize` whose `Debug` shows no more than the last four digits.

use crate::domain::address::{
    AddressFormat, AddressInput, BILLING_FIELDS, Collection, SHIPPING_FIELDS, ShippingDetails,
    check_address, check_phone_shape,
};
use crate::domain::card::{CardBrand, CardNumber};
use crate::domain::custom_field::{Answers, check_answers};
use crate::domain::customer::{BillingAddress, parse_email};
use crate::domain::field::{Field, FieldError};
use crate::domain::session::PaymentMethodType;
use crate::domain::tax_id::{TaxId, TaxIdKind, check_tax_id};
use std::fmt;

/// A card's expiry month and year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardExpiry {
    pub month: u8,
    /// Four digits.
    pub year: u16,
}

impl CardExpiry {
    /// Parses `MM/YY`, `MM / YY`, `MM/YYYY` or `MMYY`, and refuses a month before `today`'s.
    pub fn parse(input: &str, today: (u16, u8)) -> Result<CardExpiry, &'static str> {
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        let other = input
            .chars()
            .any(|c| !c.is_ascii_digit() && !c.is_whitespace() && c != '/');
        if digits.is_empty() {
            return Err("Enter your card's expiry date.");
        }
        if other || !(digits.len() == 4 || digits.len() == 6) {
            return Err("Enter the expiry date as MM / YY.");
        }
        let month: u8 = digits[..2]
            .parse()
            .map_err(|_| "Enter the expiry date as MM / YY.")?;
        let year: u16 = match digits.len() {
            4 => {
                2000 + digits[2..]
                    .parse::<u16>()
                    .map_err(|_| "Enter the expiry date as MM / YY.")?
            }
            _ => digits[2..]
                .parse()
                .map_err(|_| "Enter the expiry date as MM / YY.")?,
        };
        if !(1..=12).contains(&month) {
            return Err("The expiry month must be between 01 and 12.");
        }
        if (year, month) < today {
            return Err("Your card's expiry date is in the past.");
        }
        if year > today.0 + 50 {
            return Err("Your card's expiry year is invalid.");
        }
        Ok(CardExpiry { month, year })
    }
}

/// An expiry date as the buyer types it, shaped into `MM / YY`: `1` stays `1`, `13` becomes
/// `01 / 3` (no month 13), `0434` becomes `04 / 34`.
pub fn format_expiry_as_typed(input: &str) -> String {
    let mut digits: String = input.chars().filter(char::is_ascii_digit).take(4).collect();
    if digits.len() == 1 && digits.as_bytes()[0] > b'1' {
        digits.insert(0, '0');
    } else if digits.len() >= 2 && digits[..2].parse::<u8>().is_ok_and(|m| m > 12) {
        digits.insert(0, '0');
        digits.truncate(4);
    }
    if digits.len() <= 2 {
        digits
    } else {
        format!("{} / {}", &digits[..2], &digits[2..])
    }
}

/// A card security code. Never stored, logged or shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvc(String);

impl Cvc {
    /// Three digits, or four for American Express.
    pub fn parse(input: &str, brand: CardBrand) -> Result<Cvc, &'static str> {
        let trimmed = input.trim();
        let expected = brand.cvc_length();
        if trimmed.is_empty() {
            return Err("Enter your card's security code.");
        }
        if !trimmed.chars().all(|c| c.is_ascii_digit()) || trimmed.len() != expected {
            // One message per length, so that each can be translated whole.
            return Err(if expected == 4 {
                "Your card's security code has 4 digits."
            } else {
                "Your card's security code has 3 digits."
            });
        }
        Ok(Cvc(trimmed.to_owned()))
    }

    /// For handing to a payment processor. Never log or store what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvc(***)")
    }
}

/// An IBAN, checked by country format and checksum (the `iban_validate` crate).
#[derive(Clone, PartialEq, Eq)]
pub struct Iban(String);

impl Iban {
    pub fn parse(input: &str) -> Result<Iban, &'static str> {
        use iban::IbanLike;
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("Enter your IBAN.");
        }
        match trimmed.parse::<iban::Iban>() {
            Ok(parsed) => Ok(Iban(parsed.electronic_str().to_owned())),
            Err(_) => Err("Your IBAN is invalid: check it against your bank statement."),
        }
    }

    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// For handing to a payment processor.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iban({}•••{})", self.country(), self.last4())
    }
}

/// A US bank account number (4 to 17 digits).
#[derive(Clone, PartialEq, Eq)]
pub struct AccountNumber(String);

impl AccountNumber {
    pub fn parse(input: &str) -> Result<AccountNumber, &'static str> {
        let digits: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.is_empty() {
            return Err("Enter your account number.");
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) || !(4..=17).contains(&digits.len()) {
            return Err("An account number has 4 to 17 digits.");
        }
        Ok(AccountNumber(digits))
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountNumber(•••{})", self.last4())
    }
}

/// Checks an ABA routing number: nine digits whose 3-7-1 weighted sum is a multiple of 10.
pub fn parse_routing_number(input: &str) -> Result<String, &'static str> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() {
        return Err("Enter your bank's routing number.");
    }
    if digits.len() != 9 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("A routing number has 9 digits.");
    }
    let sum: u32 = digits
        .bytes()
        .zip([3, 7, 1].iter().cycle())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    if sum.is_multiple_of(10) {
        Ok(digits)
    } else {
        Err("Your routing number is invalid.")
    }
}

/// How the buyer pays, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentDetails {
    Card {
        number: CardNumber,
        expiry: CardExpiry,
        cvc: Cvc,
        name: Option<String>,
    },
    SepaDebit {
        iban: Iban,
        holder: String,
    },
    UsBankAccount {
        routing_number: String,
        account_number: AccountNumber,
        holder: String,
    },
    /// Link, PayPal and customer balance: approved by the buyer on a separate page.
    Approval(PaymentMethodType),
}

impl PaymentDetails {
    pub fn method_type(&self) -> PaymentMethodType {
        match self {
            PaymentDetails::Card { .. } => PaymentMethodType::Card,
            PaymentDetails::SepaDebit { .. } => PaymentMethodType::SepaDebit,
            PaymentDetails::UsBankAccount { .. } => PaymentMethodType::UsBankAccount,
            PaymentDetails::Approval(t) => *t,
        }
    }
}

/// Who is paying, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerDetails {
    pub email: String,
    pub name: Option<String>,
    pub country: String,
    pub postal_code: Option<String>,
    /// The whole billing address when the session asked for it (or it is the shipping address).
    pub address: Option<BillingAddress>,
    /// E.164 shape (`+` and digits) as typed; the server checks it exists in its country's plan.
    pub phone: Option<String>,
    pub shipping: Option<ShippingDetails>,
    /// Their answers to the session's questions and consent to its terms, when it asked.
    pub answers: Option<Answers>,
    /// The tax id they gave buying as a business, when the session asked (at most one).
    pub tax_ids: Vec<TaxId>,
}

impl BuyerDetails {
    /// The billing address as far as it was given.
    pub fn billing_address(&self) -> BillingAddress {
        self.address.clone().unwrap_or_else(|| BillingAddress {
            name: self.name.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
            ..Default::default()
        })
    }
}

/// The checkout form as posted (or as typed, in the browser).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentForm {
    pub email: Option<String>,
    pub name: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub phone: Option<String>,
    pub shipping_name: Option<String>,
    pub shipping_line1: Option<String>,
    pub shipping_line2: Option<String>,
    pub shipping_city: Option<String>,
    pub shipping_state: Option<String>,
    pub shipping_postal_code: Option<String>,
    pub shipping_country: Option<String>,
    /// The checkbox that bills to the shipping address (any value: ticked).
    pub billing_same_as_shipping: Option<String>,
    /// A returning customer's saved method to pay with (its id), or `new`.
    pub saved_payment_method: Option<String>,
    /// The buyer's consent to keep the new method for their next checkouts (any value: ticked).
    pub save_payment_method: Option<String>,
    pub payment_method_type: Option<String>,
    pub card_number: Option<String>,
    pub card_exp: Option<String>,
    pub card_cvc: Option<String>,
    pub card_name: Option<String>,
    pub iban: Option<String>,
    pub account_holder: Option<String>,
    pub routing_number: Option<String>,
    pub account_number: Option<String>,
    /// The answers to the session's questions, by their positions (`custom_fields[0]`, …).
    pub custom_fields: Vec<Option<String>>,
    /// The box accepting the merchant's terms of service (any value: ticked).
    pub terms_of_service: Option<String>,
    /// The buyer's tax id, buying as a business (`tax_id_collection`).
    pub tax_id: Option<String>,
}

impl PaymentForm {
    /// The saved method the buyer chose to pay with, if they chose one rather than a new one.
    pub fn saved_method(&self) -> Option<&str> {
        filled(&self.saved_payment_method).filter(|id| *id != "new")
    }

    /// Whether the buyer ticked "save for next time".
    pub fn consents_to_save(&self) -> bool {
        filled(&self.save_payment_method).is_some()
    }
}

fn filled(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Checks a postal code for `country` where only what card networks check is asked for: required
/// for US, Canadian and British buyers, and in the country's shape wherever given
/// ([`AddressFormat`]).
pub fn check_postal_code(
    postal_code: Option<&str>,
    country: &str,
) -> Result<Option<String>, &'static str> {
    AddressFormat::of(country)
        .for_card_networks(country)
        .check_postal_code(postal_code)
}

/// Checks the buyer's details and the chosen payment method's fields. `allowed` are the session's
/// methods; `today` is (year, month) for the card expiry; `known_email` is the customer's email
/// when the session already has one (then the form's is not needed).
pub fn check_payment_form(
    form: &PaymentForm,
    allowed: &[PaymentMethodType],
    today: (u16, u8),
    known_email: Option<&str>,
    collection: &Collection,
) -> Result<(BuyerDetails, PaymentDetails), Vec<FieldError>> {
    match (
        check_buyer(form, known_email, collection),
        check_method(form, allowed, today),
    ) {
        (Ok(buyer), Ok(details)) => Ok((buyer, details)),
        (buyer, details) => {
            let mut errors = buyer.err().unwrap_or_default();
            errors.extend(details.err().unwrap_or_default());
            Err(errors)
        }
    }
}

/// Checks who is paying: an email (unless the session knows it), a country, and a postal code
/// where the country's card networks want one.
pub fn check_buyer(
    form: &PaymentForm,
    known_email: Option<&str>,
    collection: &Collection,
) -> Result<BuyerDetails, Vec<FieldError>> {
    let mut errors = Vec::new();
    let email = match known_email {
        Some(email) => email.to_owned(),
        None => match filled(&form.email) {
            None => {
                errors.push(FieldError::missing(
                    Field::BuyerEmail,
                    "Enter your email address.",
                ));
                String::new()
            }
            Some(raw) => parse_email(raw).unwrap_or_else(|e| {
                errors.push(FieldError::invalid(Field::BuyerEmail, e.to_string()));
                String::new()
            }),
        },
    };
    let name = filled(&form.name).map(str::to_owned);
    let shipping = collection
        .shipping_countries
        .as_deref()
        .and_then(|allowed| {
            let shipping_name = filled(&form.shipping_name);
            if shipping_name.is_none() {
                errors.push(FieldError::missing(
                    Field::ShippingName,
                    "Enter the name to ship to.",
                ));
            }
            let input = AddressInput {
                name: shipping_name,
                line1: form.shipping_line1.as_deref(),
                line2: form.shipping_line2.as_deref(),
                city: form.shipping_city.as_deref(),
                state: form.shipping_state.as_deref(),
                postal_code: form.shipping_postal_code.as_deref(),
                country: form.shipping_country.as_deref(),
            };
            let address = check_address(input, true, Some(allowed), SHIPPING_FIELDS, &mut errors)?;
            Some(ShippingDetails {
                name: shipping_name?.to_owned(),
                address,
            })
        });
    let same_as_shipping = collection.ships() && filled(&form.billing_same_as_shipping).is_some();
    let address = if same_as_shipping {
        shipping.as_ref().map(|s| BillingAddress {
            name: name.clone().or_else(|| Some(s.name.clone())),
            ..s.address.clone()
        })
    } else {
        let input = AddressInput {
            name: name.as_deref(),
            line1: form.line1.as_deref(),
            line2: form.line2.as_deref(),
            city: form.city.as_deref(),
            state: form.state.as_deref(),
            postal_code: form.postal_code.as_deref(),
            country: form.country.as_deref(),
        };
        let full = collection.full_billing_address();
        check_address(input, full, None, BILLING_FIELDS, &mut errors)
    };
    let phone = if collection.phone {
        check_phone_shape(form.phone.as_deref().unwrap_or_default())
            .map_err(|e| errors.push(FieldError::invalid(Field::Phone, e)))
            .ok()
    } else {
        None
    };
    let custom = check_answers(&collection.custom_fields, &form.custom_fields)
        .map_err(|mut e| errors.append(&mut e))
        .unwrap_or_default();
    let accepted = filled(&form.terms_of_service).is_some();
    if collection.terms_of_service && !accepted {
        errors.push(FieldError::missing(
            Field::TermsOfService,
            "Accept the terms of service to continue.",
        ));
    }
    let tax_ids = match address.as_ref() {
        Some(address) if collection.tax_id => check_tax_ids(form, collection, &address.country)
            .map_err(|e| errors.push(e))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let answers =
        (!collection.custom_fields.is_empty() || collection.terms_of_service).then_some(Answers {
            custom,
            terms_of_service_accepted: accepted,
        });
    match address {
        Some(address) if errors.is_empty() => Ok(BuyerDetails {
            email,
            name,
            country: address.country.clone(),
            postal_code: address.postal_code.clone(),
            address: (collection.full_billing_address() || same_as_shipping).then_some(address),
            phone,
            shipping,
            answers,
            tax_ids,
        }),
        _ => Err(errors),
    }
}

/// The buyer's tax id as the session asks for it: checked in the shape their country's takes,
/// and required only where kassa knows that shape and the session requires one.
fn check_tax_ids(
    form: &PaymentForm,
    collection: &Collection,
    country: &str,
) -> Result<Vec<TaxId>, FieldError> {
    match (filled(&form.tax_id), TaxIdKind::of(country)) {
        (Some(typed), _) => check_tax_id(typed, country)
            .map(|id| vec![id])
            .map_err(|e| FieldError::invalid(Field::TaxId, e)),
        (None, Some(_)) if collection.tax_id_required => Err(FieldError::missing(
            Field::TaxId,
            crate::domain::tax_id::MISSING,
        )),
        (None, _) => Ok(Vec::new()),
    }
}

/// Checks the chosen payment method (one of `allowed`) and its fields.
pub fn check_method(
    form: &PaymentForm,
    allowed: &[PaymentMethodType],
    today: (u16, u8),
) -> Result<PaymentDetails, Vec<FieldError>> {
    let mut errors = Vec::new();
    let method = match filled(&form.payment_method_type) {
        None if allowed.len() == 1 => Some(allowed[0]),
        None => {
            errors.push(FieldError::missing(
                Field::PaymentMethod,
                "Choose how to pay.",
            ));
            None
        }
        Some(raw) => match raw.parse::<PaymentMethodType>() {
            Ok(t) if allowed.contains(&t) => Some(t),
            _ => {
                errors.push(FieldError::invalid(
                    Field::PaymentMethod,
                    "This way of paying is not available here.",
                ));
                None
            }
        },
    };
    let details = match method {
        Some(PaymentMethodType::Card) => check_card(form, today, &mut errors),
        Some(PaymentMethodType::SepaDebit) => {
            let iban = Iban::parse(form.iban.as_deref().unwrap_or_default())
                .map_err(|e| errors.push(FieldError::invalid(Field::Iban, e)))
                .ok();
            let holder = filled(&form.account_holder).map(str::to_owned);
            if holder.is_none() {
                errors.push(FieldError::missing(
                    Field::AccountHolder,
                    "Enter the account holder's name.",
                ));
            }
            iban.zip(holder)
                .map(|(iban, holder)| PaymentDetails::SepaDebit { iban, holder })
        }
        Some(PaymentMethodType::UsBankAccount) => {
            let routing = parse_routing_number(form.routing_number.as_deref().unwrap_or_default())
                .map_err(|e| errors.push(FieldError::invalid(Field::RoutingNumber, e)))
                .ok();
            let account = AccountNumber::parse(form.account_number.as_deref().unwrap_or_default())
                .map_err(|e| errors.push(FieldError::invalid(Field::AccountNumber, e)))
                .ok();
            let holder = filled(&form.account_holder).map(str::to_owned);
            if holder.is_none() {
                errors.push(FieldError::missing(
                    Field::AccountHolder,
                    "Enter the account holder's name.",
                ));
            }
            match (routing, account, holder) {
                (Some(routing_number), Some(account_number), Some(holder)) => {
                    Some(PaymentDetails::UsBankAccount {
                        routing_number,
                        account_number,
                        holder,
                    })
                }
                _ => None,
            }
        }
        Some(other) => Some(PaymentDetails::Approval(other)),
        None => None,
    };
    match details {
        Some(details) if errors.is_empty() => Ok(details),
        _ => Err(errors),
    }
}

fn check_card(
    form: &PaymentForm,
    today: (u16, u8),
    errors: &mut Vec<FieldError>,
) -> Option<PaymentDetails> {
    let number = CardNumber::parse(form.card_number.as_deref().unwrap_or_default())
        .map_err(|e| errors.push(FieldError::invalid(Field::CardNumber, e.to_string())))
        .ok();
    let expiry = CardExpiry::parse(form.card_exp.as_deref().unwrap_or_default(), today)
        .map_err(|e| errors.push(FieldError::invalid(Field::CardExpiry, e)))
        .ok();
    let brand = number
        .as_ref()
        .map_or(CardBrand::Unknown, CardNumber::brand);
    let cvc = Cvc::parse(form.card_cvc.as_deref().unwrap_or_default(), brand)
        .map_err(|e| errors.push(FieldError::invalid(Field::CardCvc, e)))
        .ok();
    let name = filled(&form.card_name).map(str::to_owned);
    match (number, expiry, cvc) {
        (Some(number), Some(expiry), Some(cvc)) => Some(PaymentDetails::Card {
            number,
            expiry,
            cvc,
            name,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: (u16, u8) = (2026, 11);

    #[test]
    fn expiry_dates_are_mm_yy_and_not_past() {
        assert_eq!(
            CardExpiry::parse("12/34", TODAY),
            Ok(CardExpiry {
                month: 12,
                year: 2034
            })
        );
        assert_eq!(
            CardExpiry::parse("11 / 26", TODAY),
            Ok(CardExpiry {
                month: 11,
                year: 2026
            })
        );
        assert_eq!(
            CardExpiry::parse("0330", TODAY),
            Ok(CardExpiry {
                month: 3,
                year: 2030
            })
        );
        assert_eq!(
            CardExpiry::parse("03/2030", TODAY),
            Ok(CardExpiry {
                month: 3,
                year: 2030
            })
        );
        assert!(
            CardExpiry::parse("10/26", TODAY)
                .unwrap_err()
                .contains("past")
        );
        assert!(
            CardExpiry::parse("13/30", TODAY)
                .unwrap_err()
                .contains("month")
        );
        assert!(CardExpiry::parse("1/3", TODAY).is_err());
        assert!(CardExpiry::parse("ab/cd", TODAY).is_err());
        assert!(CardExpiry::parse("", TODAY).is_err());
    }

    #[test]
    fn expiry_dates_are_shaped_as_typed() {
        assert_eq!(format_expiry_as_typed("1"), "1");
        assert_eq!(format_expiry_as_typed("4"), "04");
        assert_eq!(format_expiry_as_typed("12"), "12");
        assert_eq!(format_expiry_as_typed("123"), "12 / 3");
        assert_eq!(format_expiry_as_typed("1234"), "12 / 34");
        assert_eq!(format_expiry_as_typed("12 / 34"), "12 / 34");
        assert_eq!(format_expiry_as_typed("13"), "01 / 3");
        assert_eq!(format_expiry_as_typed("12345"), "12 / 34");
        assert_eq!(
            CardExpiry::parse(&format_expiry_as_typed("0434"), TODAY),
            Ok(CardExpiry {
                month: 4,
                year: 2034
            })
        );
    }

    #[test]
    fn security_codes_follow_the_brand() {
        assert!(Cvc::parse("123", CardBrand::Visa).is_ok());
        assert!(Cvc::parse("1234", CardBrand::Visa).is_err());
        assert!(Cvc::parse("1234", CardBrand::Amex).is_ok());
        assert!(Cvc::parse("12a", CardBrand::Visa).is_err());
        assert_eq!(
            format!("{:?}", Cvc::parse("123", CardBrand::Visa).unwrap()),
            "Cvc(***)"
        );
    }

    #[test]
    fn ibans_carry_their_checksum() {
        let iban = Iban::parse("DE89 3704 0044 0532 0130 00").unwrap();
        assert_eq!((iban.country(), iban.last4()), ("DE", "3000"));
        assert!(!format!("{iban:?}").contains("370400440532"));
        assert!(Iban::parse("DE89 3704 0044 0532 0130 01").is_err());
        assert!(Iban::parse("").is_err());
    }

    #[test]
    fn routing_numbers_carry_their_checksum() {
        assert_eq!(
            parse_routing_number("110000000").as_deref(),
            Ok("110000000")
        );
        assert!(parse_routing_number("011000015").is_ok());
        assert!(parse_routing_number("110000001").is_err());
        assert!(parse_routing_number("12345").is_err());
        assert!(AccountNumber::parse("000123456789").is_ok());
        assert!(AccountNumber::parse("12").is_err());
    }

    #[test]
    fn postal_codes_by_country() {
        assert_eq!(
            check_postal_code(Some("94107"), "US"),
            Ok(Some("94107".into()))
        );
        assert!(check_postal_code(Some("94107-1234"), "US").is_ok());
        assert!(check_postal_code(Some("9410"), "US").is_err());
        assert!(check_postal_code(None, "US").is_err());
        assert_eq!(check_postal_code(None, "DE"), Ok(None));
        assert_eq!(
            check_postal_code(Some("sw1a 1aa"), "GB"),
            Ok(Some("SW1A 1AA".into()))
        );
    }

    fn card_form(number: &str) -> PaymentForm {
        PaymentForm {
            email: Some("ada@example.com".into()),
            country: Some("us".into()),
            postal_code: Some("94107".into()),
            payment_method_type: Some("card".into()),
            card_number: Some(number.into()),
            card_exp: Some("12/34".into()),
            card_cvc: Some("123".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_card_form_passes() {
        let (buyer, details) = check_payment_form(
            &card_form("4242 4242 4242 4242"),
            &[PaymentMethodType::Card],
            TODAY,
            None,
            &Collection::default(),
        )
        .unwrap();
        assert_eq!(
            (buyer.email.as_str(), buyer.country.as_str()),
            ("ada@example.com", "US")
        );
        assert!(
            matches!(details, PaymentDetails::Card { ref number, .. } if number.last4() == "4242")
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let form = PaymentForm {
            email: Some("nope".into()),
            card_exp: Some("01/20".into()),
            card_cvc: Some("1".into()),
            postal_code: None,
            ..card_form("4242 4242 4242 4241")
        };
        let fields: Vec<Field> = check_payment_form(
            &form,
            &[PaymentMethodType::Card],
            TODAY,
            None,
            &Collection::default(),
        )
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
        assert_eq!(
            fields,
            vec![
                Field::BuyerEmail,
                Field::PostalCode,
                Field::CardNumber,
                Field::CardExpiry,
                Field::CardCvc
            ]
        );
    }

    #[test]
    fn only_the_sessions_methods_are_accepted() {
        let form = PaymentForm {
            payment_method_type: Some("paypal".into()),
            ..card_form("4242424242424242")
        };
        let errors = check_payment_form(
            &form,
            &[PaymentMethodType::Card],
            TODAY,
            None,
            &Collection::default(),
        )
        .unwrap_err();
        assert_eq!(errors[0].field, Field::PaymentMethod);
        let (_, details) = check_payment_form(
            &form,
            &[PaymentMethodType::Card, PaymentMethodType::Paypal],
            TODAY,
            None,
            &Collection::default(),
        )
        .unwrap();
        assert_eq!(details, PaymentDetails::Approval(PaymentMethodType::Paypal));
    }

    #[test]
    fn bank_debits_need_their_account() {
        let sepa = PaymentForm {
            payment_method_type: Some("sepa_debit".into()),
            country: Some("DE".into()),
            iban: Some("DE89370400440532013000".into()),
            account_holder: Some("Ada Lovelace".into()),
            ..card_form("")
        };
        let (_, details) = check_payment_form(
            &sepa,
            &[PaymentMethodType::SepaDebit],
            TODAY,
            None,
            &Collection::default(),
        )
        .unwrap();
        assert_eq!(details.method_type(), PaymentMethodType::SepaDebit);
        let no_holder = PaymentForm {
            account_holder: None,
            ..sepa
        };
        let errors = check_payment_form(
            &no_holder,
            &[PaymentMethodType::SepaDebit],
            TODAY,
            None,
            &Collection::default(),
        )
        .unwrap_err();
        assert_eq!(errors[0].field, Field::AccountHolder);
    }

    #[test]
    fn a_shipped_order_collects_its_address_and_phone() {
        let collection = Collection {
            shipping_countries: Some(vec!["US".into(), "DE".into()]),
            phone: true,
            ..Collection::default()
        };
        let form = PaymentForm {
            shipping_name: Some("Ada Lovelace".into()),
            shipping_line1: Some("Unter den Linden 1".into()),
            shipping_city: Some("Berlin".into()),
            shipping_postal_code: Some("10117".into()),
            shipping_country: Some("DE".into()),
            billing_same_as_shipping: Some("on".into()),
            country: None,
            postal_code: None,
            phone: Some("+49 30 1234567".into()),
            ..card_form("4242424242424242")
        };
        let (buyer, _) =
            check_payment_form(&form, &[PaymentMethodType::Card], TODAY, None, &collection)
                .unwrap();
        let shipping = buyer.shipping.clone().unwrap();
        assert_eq!(shipping.name, "Ada Lovelace");
        assert_eq!(shipping.address.city.as_deref(), Some("Berlin"));
        // Billed to where it ships.
        assert_eq!(buyer.country, "DE");
        assert_eq!(
            buyer.billing_address().line1.as_deref(),
            Some("Unter den Linden 1")
        );
        assert_eq!(buyer.phone.as_deref(), Some("+49301234567"));

        // Not to a country the merchant does not ship to; and the phone is required.
        let errors = check_payment_form(
            &PaymentForm {
                shipping_country: Some("FR".into()),
                shipping_postal_code: Some("75001".into()),
                phone: None,
                ..form.clone()
            },
            &[PaymentMethodType::Card],
            TODAY,
            None,
            &collection,
        )
        .unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec![Field::ShippingCountry, Field::Phone]);

        // Billed elsewhere: the billing fields count, by the card networks' rules.
        let (buyer, _) = check_payment_form(
            &PaymentForm {
                billing_same_as_shipping: None,
                country: Some("US".into()),
                postal_code: Some("94107".into()),
                ..form.clone()
            },
            &[PaymentMethodType::Card],
            TODAY,
            None,
            &collection,
        )
        .unwrap();
        assert_eq!((buyer.country.as_str(), buyer.address), ("US", None));
    }

    #[test]
    fn a_required_billing_address_has_every_line() {
        let collection = Collection {
            billing_address: crate::domain::address::BillingAddressCollection::Required,
            ..Collection::default()
        };
        let fields: Vec<Field> = check_payment_form(
            &card_form("4242424242424242"),
            &[PaymentMethodType::Card],
            TODAY,
            None,
            &collection,
        )
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
        assert_eq!(fields, vec![Field::Line1, Field::City, Field::State]);
    }

    #[test]
    fn a_known_customer_needs_no_email() {
        let form = PaymentForm {
            email: None,
            ..card_form("4242424242424242")
        };
        let (buyer, _) = check_payment_form(
            &form,
            &[PaymentMethodType::Card],
            TODAY,
            Some("known@example.com"),
            &Collection::default(),
        )
        .unwrap();
        assert_eq!(buyer.email, "known@example.com");
    }
}
