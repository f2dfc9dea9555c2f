//! Addresses and phone numbers a checkout collects: what a session asks for (Stripe's
//! `billing_address_collection`, `shipping_address_collection` and `phone_number_collection`), and
//! the fields each country's addresses have with their postal-code rules. Shared by the server
//! and the browser, which checks the same rules as the buyer types.

use super::customer::{BillingAddress, parse_country};
use super::field::{Field, FieldError};
use serde::{Deserialize, Serialize};

/// Whether the page asks for a full billing address or only what card networks need (a country,
/// and a postal code where it has one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum BillingAddressCollection {
    #[default]
    Auto,
    Required,
}

impl BillingAddressCollection {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingAddressCollection::Auto => "auto",
            BillingAddressCollection::Required => "required",
        }
    }

    pub fn parse(s: &str) -> Option<BillingAddressCollection> {
        match s {
            "auto" => Some(BillingAddressCollection::Auto),
            "required" => Some(BillingAddressCollection::Required),
            _ => None,
        }
    }
}

/// What a session collects from the buyer besides their email and payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Collection {
    #[serde(default)]
    pub billing_address: BillingAddressCollection,
    /// The countries a shipping address may be in (ISO codes, upper case); `None` when the
    /// session asks for no shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_countries: Option<Vec<String>>,
    /// Whether the buyer gives a phone number.
    #[serde(default)]
    pub phone: bool,
    /// Whether a known customer may keep a new payment method for their next checkouts (Stripe's
    /// `saved_payment_method_options[payment_method_save]`): offered unless the merchant turned
    /// it off, and kept only when the buyer ticks it.
    #[serde(default = "offered")]
    pub payment_method_save: bool,
    /// The merchant's questions (Stripe's `custom_fields`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<crate::domain::custom_field::CustomField>,
    /// Whether the buyer must accept the merchant's terms of service (Stripe's
    /// `consent_collection[terms_of_service]=required`).
    #[serde(default)]
    pub terms_of_service: bool,
    /// Whether a buyer buying as a business may give their tax id (Stripe's
    /// `tax_id_collection[enabled]`).
    #[serde(default)]
    pub tax_id: bool,
    /// Whether they must, where kassa knows their country's kind of tax id (Stripe's
    /// `tax_id_collection[required]=if_supported`).
    #[serde(default)]
    pub tax_id_required: bool,
}

fn offered() -> bool {
    true
}

impl Default for Collection {
    fn default() -> Self {
        Collection {
            billing_address: BillingAddressCollection::Auto,
            shipping_countries: None,
            phone: false,
            payment_method_save: true,
            custom_fields: Vec::new(),
            terms_of_service: false,
            tax_id: false,
            tax_id_required: false,
        }
    }
}

impl Collection {
    /// Checks a merchant's settings: `billing` is `auto` or `required`, each allowed shipping
    /// country a known ISO code (at least one when shipping is asked for).
    pub fn check(
        billing: Option<&str>,
        shipping_countries: Option<Vec<String>>,
        phone: bool,
        payment_method_save: Option<&str>,
    ) -> Result<Collection, Vec<FieldError>> {
        let mut errors = Vec::new();
        let payment_method_save = match payment_method_save {
            None | Some("enabled") => true,
            Some("disabled") => false,
            Some(other) => {
                errors.push(FieldError::invalid(
                    Field::PaymentMethodSave,
                    format!("payment_method_save is `enabled` or `disabled`, not `{other}`"),
                ));
                true
            }
        };
        let billing_address = match billing {
            None => BillingAddressCollection::Auto,
            Some(raw) => BillingAddressCollection::parse(raw).unwrap_or_else(|| {
                errors.push(FieldError::invalid(
                    Field::BillingAddressCollection,
                    format!("billing_address_collection is `auto` or `required`, not `{raw}`"),
                ));
                BillingAddressCollection::Auto
            }),
        };
        let shipping_countries = match shipping_countries {
            None => None,
            Some(list) if list.is_empty() => {
                errors.push(FieldError::missing(
                    Field::ShippingAllowedCountries(0),
                    "a shipping address needs at least one allowed country",
                ));
                None
            }
            Some(list) => {
                let mut countries: Vec<String> = Vec::with_capacity(list.len());
                for (i, raw) in list.iter().enumerate() {
                    match parse_country(raw) {
                        Some(code) if !countries.contains(&code) => countries.push(code),
                        Some(_) => {}
                        None => errors.push(FieldError::invalid(
                            Field::ShippingAllowedCountries(i),
                            format!("`{raw}` is not an ISO 3166-1 alpha-2 country code"),
                        )),
                    }
                }
                Some(countries)
            }
        };
        if errors.is_empty() {
            Ok(Collection {
                billing_address,
                shipping_countries,
                phone,
                payment_method_save,
                custom_fields: Vec::new(),
                terms_of_service: false,
                tax_id: false,
                tax_id_required: false,
            })
        } else {
            Err(errors)
        }
    }

    /// Whether the page asks for a full billing address.
    pub fn full_billing_address(&self) -> bool {
        self.billing_address == BillingAddressCollection::Required
    }

    pub fn ships(&self) -> bool {
        self.shipping_countries.is_some()
    }

    pub fn ships_to(&self, country: &str) -> bool {
        self.shipping_countries
            .as_ref()
            .is_some_and(|list| list.iter().any(|c| c == country))
    }
}

/// Where an order is sent, and to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShippingDetails {
    pub name: String,
    pub address: BillingAddress,
}

/// What a country's addresses are made of, as a checkout asks for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressFormat {
    /// The postal code's label in the country's usage (`ZIP code`, `Postcode`, `Postal code`).
    pub postal_label: &'static str,
    /// Shapes a postal code may take (`9` a digit, `A` a letter, anything else itself), tried
    /// after upper-casing; empty when any 2 to 10 letters, digits, spaces or dashes will do.
    pub postal_shapes: &'static [&'static str],
    /// Whether an address in the country always has a postal code.
    pub postal_required: bool,
    /// The label of the region line where addresses need one (`State`, `Province`, `Prefecture`).
    pub state_label: Option<&'static str>,
    /// The codes the region must be one of, where there is a fixed list.
    pub states: &'static [&'static str],
    /// Whether addresses have a city line (city-states do without).
    pub city: bool,
}

const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "AA", "AE", "AP",
];
const CA_PROVINCES: &[&str] = &[
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];
const AU_STATES: &[&str] = &["ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"];
const FIVE_DIGITS: &[&str] = &["99999"];
const FOUR_DIGITS: &[&str] = &["9999"];

impl AddressFormat {
    /// The format of addresses in `country` (an upper-case ISO code).
    pub fn of(country: &str) -> AddressFormat {
        let plain = AddressFormat {
            postal_label: "Postal code",
            postal_shapes: &[],
            postal_required: false,
            state_label: None,
            states: &[],
            city: true,
        };
        let with = |shapes: &'static [&'static str]| AddressFormat {
            postal_shapes: shapes,
            postal_required: true,
            ..plain
        };
        match country {
            "US" => AddressFormat {
                postal_label: "ZIP code",
                state_label: Some("State"),
                states: US_STATES,
                ..with(&["99999", "99999-9999"])
            },
            "CA" => AddressFormat {
                state_label: Some("Province"),
                states: CA_PROVINCES,
                ..with(&["A9A 9A9", "A9A9A9"])
            },
            "GB" => AddressFormat {
                postal_label: "Postcode",
                ..with(&[
                    "A9 9AA", "A99 9AA", "AA9 9AA", "AA99 9AA", "A9A 9AA", "AA9A 9AA", "A99AA",
                    "A999AA", "AA99AA", "AA999AA", "A9A9AA", "AA9A9AA",
                ])
            },
            "AU" => AddressFormat {
                postal_label: "Postcode",
                state_label: Some("State"),
                states: AU_STATES,
                ..with(FOUR_DIGITS)
            },
            "JP" => AddressFormat {
                state_label: Some("Prefecture"),
                ..with(&["999-9999", "9999999"])
            },
            "BR" => AddressFormat {
                state_label: Some("State"),
                ..with(&["99999-999", "99999999"])
            },
            "MX" => AddressFormat {
                state_label: Some("State"),
                ..with(FIVE_DIGITS)
            },
            "IN" => AddressFormat {
                postal_label: "PIN code",
                state_label: Some("State"),
                ..with(&["999999"])
            },
            "DE" | "FR" | "ES" | "IT" | "FI" | "HR" | "EE" | "UA" | "MY" | "TH" | "TR" => {
                with(FIVE_DIGITS)
            }
            "AT" | "BE" | "BG" | "CH" | "CY" | "DK" | "HU" | "LU" | "NO" | "NZ" | "PH" | "SI"
            | "ZA" => with(FOUR_DIGITS),
            "NL" => with(&["9999 AA", "9999AA"]),
            "SE" => with(&["999 99", "99999"]),
            "CZ" | "SK" | "GR" => with(&["999 99", "99999"]),
            "PL" => with(&["99-999"]),
            "PT" => with(&["9999-999"]),
            "LT" => with(&["LT-99999", "99999"]),
            "LV" => with(&["LV-9999", "9999"]),
            "RO" | "RU" | "SG" | "CN" => AddressFormat {
                city: country != "SG",
                ..with(&["999999"])
            },
            "KR" => with(FIVE_DIGITS),
            "HK" | "MO" => AddressFormat {
                city: false,
                ..plain
            },
            _ => plain,
        }
    }

    /// The format when only what card networks check is asked for: the postal code is required
    /// only in the United States, Canada and the United Kingdom (where cards are checked against
    /// it), and checked in its shape wherever it is given.
    pub fn for_card_networks(self, country: &str) -> AddressFormat {
        AddressFormat {
            postal_required: matches!(country, "US" | "CA" | "GB"),
            ..self
        }
    }

    /// Checks a postal code in this format: `Ok(None)` when it may be left out and was.
    pub fn check_postal_code(&self, code: Option<&str>) -> Result<Option<String>, &'static str> {
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            return if self.postal_required {
                Err("Enter your postal code.")
            } else {
                Ok(None)
            };
        };
        let upper = code.to_uppercase();
        let ok = if self.postal_shapes.is_empty() {
            (2..=10).contains(&upper.len())
                && upper
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        } else {
            self.postal_shapes.iter().any(|shape| fits(&upper, shape))
        };
        if ok {
            Ok(Some(upper))
        } else {
            Err("Your postal code is invalid.")
        }
    }

    /// Checks a region line: upper-cased and one of the country's codes where it has a list.
    pub fn check_state(&self, state: Option<&str>) -> Result<Option<String>, &'static str> {
        let Some(label) = self.state_label else {
            return Ok(state
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned));
        };
        let Some(state) = state.map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(match label {
                "Province" => "Enter your province.",
                "Prefecture" => "Enter your prefecture.",
                _ => "Enter your state.",
            });
        };
        if self.states.is_empty() {
            return Ok(Some(state.to_owned()));
        }
        let upper = state.to_uppercase();
        if self.states.contains(&upper.as_str()) {
            Ok(Some(upper))
        } else {
            Err(match label {
                "Province" => "Enter your province's two-letter code, like ON.",
                _ => "Enter your state's code, like CA or NSW.",
            })
        }
    }
}

/// An address as it is written on an envelope in its country, one line each: the street lines,
/// then the city with its region and postal code in the country's order, then the country.
pub fn envelope_lines(address: &BillingAddress) -> Vec<String> {
    let mut lines: Vec<String> = [&address.line1, &address.line2]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let city = address.city.clone().unwrap_or_default();
    let state = address.state.clone().unwrap_or_default();
    let postal = address.postal_code.clone().unwrap_or_default();
    let join = |parts: &[&str]| {
        parts
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let place = match address.country.as_str() {
        // City, region and postal code, in that order.
        "US" | "CA" | "AU" => {
            let region = join(&[&state, &postal]);
            match (city.is_empty(), region.is_empty()) {
                (false, false) => format!("{city}, {region}"),
                _ => join(&[&city, &region]),
            }
        }
        "GB" => join(&[&city, &postal]),
        "JP" => join(&[&postal, &state, &city]),
        // Postal code, then city (most of Europe and Latin America).
        _ => join(&[&postal, &city, &state]),
    };
    if !place.is_empty() {
        lines.push(place);
    }
    lines.push(address.country.clone());
    lines
}

/// Whether `text` has `shape` (`9` a digit, `A` a letter, anything else itself).
fn fits(text: &str, shape: &str) -> bool {
    text.len() == shape.len()
        && text.chars().zip(shape.chars()).all(|(c, s)| match s {
            '9' => c.is_ascii_digit(),
            'A' => c.is_ascii_alphabetic(),
            other => c == other,
        })
}

/// Checks a phone number's shape as typed (digits with spaces, dashes, dots, brackets, and a
/// leading `+`): 7 to 15 digits, as E.164 allows. Returns it with only `+` and digits. The server
/// checks further that the number exists in its country's plan (`service::phone`).
pub fn check_phone_shape(input: &str) -> Result<String, &'static str> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err("Enter your phone number.");
    }
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", trimmed),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
    {
        return Err("A phone number has only digits, spaces and dashes.");
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len()) {
        return Err("Enter your full phone number, with its area code.");
    }
    Ok(format!("{plus}{digits}"))
}

/// An address as typed, one field per line, for [`check_address`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AddressInput<'a> {
    pub name: Option<&'a str>,
    pub line1: Option<&'a str>,
    pub line2: Option<&'a str>,
    pub city: Option<&'a str>,
    pub state: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: Option<&'a str>,
}

/// The form fields an address is typed into: the billing address's or the shipping address's.
#[derive(Debug, Clone, Copy)]
pub struct AddressFields {
    pub name: Field,
    pub line1: Field,
    pub city: Field,
    pub state: Field,
    pub postal_code: Field,
    pub country: Field,
}

pub const BILLING_FIELDS: AddressFields = AddressFields {
    name: Field::BuyerName,
    line1: Field::Line1,
    city: Field::City,
    state: Field::State,
    postal_code: Field::PostalCode,
    country: Field::Country,
};

pub const SHIPPING_FIELDS: AddressFields = AddressFields {
    name: Field::ShippingName,
    line1: Field::ShippingLine1,
    city: Field::ShippingCity,
    state: Field::ShippingState,
    postal_code: Field::ShippingPostalCode,
    country: Field::ShippingCountry,
};

fn text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Checks an address: a country (one of `allowed` when given), and, when `full`, a first line, a
/// city and a region where the country's addresses have them; the postal code by the country's
/// rules either way. Errors are pushed onto `errors` under `fields`.
pub fn check_address(
    input: AddressInput<'_>,
    full: bool,
    allowed: Option<&[String]>,
    fields: AddressFields,
    errors: &mut Vec<FieldError>,
) -> Option<BillingAddress> {
    let before = errors.len();
    let country = match text(input.country).as_deref().map(parse_country) {
        Some(Some(country)) if allowed.is_none_or(|list| list.contains(&country)) => country,
        Some(Some(_)) => {
            errors.push(FieldError::invalid(
                fields.country,
                "We cannot ship to this country.",
            ));
            String::new()
        }
        Some(None) => {
            errors.push(FieldError::invalid(
                fields.country,
                "Choose your country from the list.",
            ));
            String::new()
        }
        None => {
            errors.push(FieldError::missing(fields.country, "Choose your country."));
            String::new()
        }
    };
    if country.is_empty() {
        return None;
    }
    let mut format = AddressFormat::of(&country);
    if !full {
        format = format.for_card_networks(&country);
    }
    let postal_code = format
        .check_postal_code(input.postal_code)
        .map_err(|e| errors.push(FieldError::invalid(fields.postal_code, e)))
        .unwrap_or(None);
    let (mut line1, mut city, mut state) = (None, None, None);
    if full {
        line1 = text(input.line1);
        if line1.is_none() {
            errors.push(FieldError::missing(fields.line1, "Enter your address."));
        }
        city = text(input.city);
        if format.city && city.is_none() {
            errors.push(FieldError::missing(fields.city, "Enter your city."));
        }
        state = format
            .check_state(input.state)
            .map_err(|e| errors.push(FieldError::invalid(fields.state, e)))
            .unwrap_or(None);
    }
    (errors.len() == before).then(|| BillingAddress {
        name: text(input.name),
        line1,
        line2: if full { text(input.line2) } else { None },
        city,
        state,
        postal_code,
        country,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(input: AddressInput<'_>, full: bool, allowed: Option<&[String]>) -> Vec<String> {
        let mut errors = Vec::new();
        check_address(input, full, allowed, BILLING_FIELDS, &mut errors);
        errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    #[test]
    fn each_country_has_its_postal_code_rules() {
        let ok =
            |country: &str, code: &str| AddressFormat::of(country).check_postal_code(Some(code));
        assert_eq!(ok("US", "94107"), Ok(Some("94107".into())));
        assert_eq!(ok("US", "94107-1234"), Ok(Some("94107-1234".into())));
        assert!(ok("US", "9410").is_err());
        assert_eq!(ok("CA", "k1a 0b1"), Ok(Some("K1A 0B1".into())));
        assert!(ok("CA", "12345").is_err());
        assert_eq!(ok("GB", "sw1a 1aa"), Ok(Some("SW1A 1AA".into())));
        assert_eq!(ok("GB", "M1 1AE"), Ok(Some("M1 1AE".into())));
        assert!(ok("GB", "12345").is_err());
        assert_eq!(ok("DE", "10115"), Ok(Some("10115".into())));
        assert!(ok("DE", "1011").is_err());
        assert_eq!(ok("JP", "100-0001"), Ok(Some("100-0001".into())));
        assert!(ok("JP", "1000-001").is_err());
        assert_eq!(ok("NL", "1012 ab"), Ok(Some("1012 AB".into())));
        // Required where every address has one, optional elsewhere (Ireland, Hong Kong).
        assert_eq!(
            AddressFormat::of("FR").check_postal_code(None),
            Err("Enter your postal code.")
        );
        assert_eq!(AddressFormat::of("IE").check_postal_code(None), Ok(None));
        assert_eq!(
            AddressFormat::of("HK").check_postal_code(Some("  ")),
            Ok(None)
        );
        assert_eq!(AddressFormat::of("US").postal_label, "ZIP code");
    }

    #[test]
    fn a_full_address_needs_the_lines_its_country_has() {
        let us = AddressInput {
            line1: Some("1 Market St"),
            city: Some("San Francisco"),
            state: Some("ca"),
            postal_code: Some("94107"),
            country: Some("us"),
            ..Default::default()
        };
        assert!(errors_of(us, true, None).is_empty());
        let mut errors = Vec::new();
        let address = check_address(us, true, None, BILLING_FIELDS, &mut errors).unwrap();
        assert_eq!(address.state.as_deref(), Some("CA"));
        assert_eq!(address.country, "US");
        assert_eq!(
            errors_of(
                AddressInput {
                    state: Some("XX"),
                    ..us
                },
                true,
                None
            ),
            ["state: Enter your state's code, like CA or NSW."]
        );
        assert_eq!(
            errors_of(
                AddressInput {
                    country: Some("US"),
                    ..Default::default()
                },
                true,
                None
            ),
            [
                "postal_code: Enter your postal code.",
                "line1: Enter your address.",
                "city: Enter your city.",
                "state: Enter your state."
            ]
        );
        // Germany has no state line; Hong Kong no city and no postal code.
        let de = AddressInput {
            line1: Some("Unter den Linden 1"),
            city: Some("Berlin"),
            postal_code: Some("10117"),
            country: Some("DE"),
            ..Default::default()
        };
        assert!(errors_of(de, true, None).is_empty());
        let hk = AddressInput {
            line1: Some("1 Queen's Road Central"),
            country: Some("HK"),
            ..Default::default()
        };
        assert!(errors_of(hk, true, None).is_empty());
        // Only the country and postal code when the full address is not asked for.
        assert!(
            errors_of(
                AddressInput {
                    country: Some("DE"),
                    postal_code: Some("10117"),
                    ..Default::default()
                },
                false,
                None
            )
            .is_empty()
        );
    }

    #[test]
    fn shipping_goes_only_to_allowed_countries() {
        let allowed = vec!["US".to_owned(), "CA".to_owned()];
        let de = AddressInput {
            line1: Some("Unter den Linden 1"),
            city: Some("Berlin"),
            postal_code: Some("10117"),
            country: Some("DE"),
            ..Default::default()
        };
        let mut errors = Vec::new();
        assert!(check_address(de, true, Some(&allowed), SHIPPING_FIELDS, &mut errors).is_none());
        assert_eq!(errors[0].field, Field::ShippingCountry);
        assert_eq!(errors[0].message, "We cannot ship to this country.");
    }

    #[test]
    fn collection_settings_are_checked() {
        let c = Collection::check(
            Some("required"),
            Some(vec!["us".into(), "US".into(), "de".into()]),
            true,
            Some("disabled"),
        )
        .unwrap();
        assert!(!c.payment_method_save);
        assert!(c.full_billing_address() && c.phone);
        assert_eq!(
            c.shipping_countries.as_deref(),
            Some(&["US".to_owned(), "DE".to_owned()][..])
        );
        assert!(c.ships_to("DE") && !c.ships_to("FR"));
        let errors =
            Collection::check(Some("always"), Some(vec!["USA".into()]), false, None).unwrap_err();
        assert_eq!(errors[0].field, Field::BillingAddressCollection);
        assert_eq!(errors[1].field, Field::ShippingAllowedCountries(0));
        assert!(Collection::check(None, Some(vec![]), false, None).is_err());
        assert!(Collection::check(None, None, false, Some("sometimes")).is_err());
        assert_eq!(
            Collection::check(None, None, false, None).unwrap(),
            Collection::default()
        );
    }

    #[test]
    fn addresses_are_written_in_their_countrys_order() {
        let us = BillingAddress {
            line1: Some("1 Market St".into()),
            line2: Some("Suite 300".into()),
            city: Some("San Francisco".into()),
            state: Some("CA".into()),
            postal_code: Some("94107".into()),
            country: "US".into(),
            ..Default::default()
        };
        assert_eq!(
            envelope_lines(&us),
            ["1 Market St", "Suite 300", "San Francisco, CA 94107", "US"]
        );
        let de = BillingAddress {
            line1: Some("Unter den Linden 1".into()),
            city: Some("Berlin".into()),
            postal_code: Some("10117".into()),
            country: "DE".into(),
            ..Default::default()
        };
        assert_eq!(
            envelope_lines(&de),
            ["Unter den Linden 1", "10117 Berlin", "DE"]
        );
    }

    #[test]
    fn phone_numbers_have_e164_shapes() {
        assert_eq!(
            check_phone_shape("+1 (415) 555-0100"),
            Ok("+14155550100".into())
        );
        assert_eq!(check_phone_shape("030 1234567"), Ok("0301234567".into()));
        assert!(check_phone_shape("12345").is_err());
        assert!(check_phone_shape("call me").is_err());
        assert!(check_phone_shape("+1234567890123456").is_err());
    }
}
