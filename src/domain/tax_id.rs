//! Tax ids a buyer buying as a business gives at checkout (Stripe's `tax_id_collection`): the
//! kind each country uses, and a check of its shape, the same in the browser and on the server.
//! kassa checks shapes; whether a number is registered is the tax office's to say (VIES for EU
//! VAT numbers), which no offline check can.

use serde::{Deserialize, Serialize};

/// A tax id as Stripe names it: its kind (`eu_vat`, `gb_vat`, …) and its value, normalized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaxId {
    /// Stripe's type: `eu_vat`, `gb_vat`, `ch_vat`, `no_vat`, `au_abn`, `nz_gst`, `us_ein`,
    /// `ca_bn`, `in_gst` or `jp_cn`.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// What a country's tax ids look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxIdKind {
    /// Stripe's type.
    pub kind: &'static str,
    /// What buyers call it.
    pub label: &'static str,
    /// One in the shape kassa keeps, for the field's placeholder.
    pub example: &'static str,
    /// The letters it starts with (added when the buyer leaves them out).
    prefix: &'static str,
    /// How many characters follow the prefix, at least and at most.
    length: (usize, usize),
    /// Whether what follows the prefix is digits only.
    digits_only: bool,
    /// Letters it may end with (Switzerland's MWST, Norway's MVA).
    suffix: Option<&'static str>,
}

const fn kind(
    kind: &'static str,
    label: &'static str,
    example: &'static str,
    prefix: &'static str,
    length: (usize, usize),
    digits_only: bool,
) -> TaxIdKind {
    TaxIdKind {
        kind,
        label,
        example,
        prefix,
        length,
        digits_only,
        suffix: None,
    }
}

/// The EU's member states with the prefix of their VAT numbers (Greece's is EL).
const EU_VAT: [(&str, &str); 27] = [
    ("AT", "ATU"),
    ("BE", "BE"),
    ("BG", "BG"),
    ("CY", "CY"),
    ("CZ", "CZ"),
    ("DE", "DE"),
    ("DK", "DK"),
    ("EE", "EE"),
    ("ES", "ES"),
    ("FI", "FI"),
    ("FR", "FR"),
    ("GR", "EL"),
    ("HR", "HR"),
    ("HU", "HU"),
    ("IE", "IE"),
    ("IT", "IT"),
    ("LT", "LT"),
    ("LU", "LU"),
    ("LV", "LV"),
    ("MT", "MT"),
    ("NL", "NL"),
    ("PL", "PL"),
    ("PT", "PT"),
    ("RO", "RO"),
    ("SE", "SE"),
    ("SI", "SI"),
    ("SK", "SK"),
];

impl TaxIdKind {
    /// The kind of tax id buyers in `country` (ISO 3166-1 alpha-2) give, if kassa knows it.
    pub fn of(country: &str) -> Option<TaxIdKind> {
        let country = country.trim().to_ascii_uppercase();
        if let Some((_, prefix)) = EU_VAT.iter().find(|(c, _)| *c == country) {
            return Some(TaxIdKind {
                kind: "eu_vat",
                label: "VAT number",
                example: eu_example(prefix),
                prefix,
                // Member states' numbers run from 8 (Malta) to 12 characters (France, NL…).
                length: (8, 12),
                digits_only: false,
                suffix: None,
            });
        }
        Some(match country.as_str() {
            "GB" => kind("gb_vat", "VAT number", "GB123456789", "GB", (9, 12), true),
            "CH" => TaxIdKind {
                suffix: Some("MWST"),
                ..kind(
                    "ch_vat",
                    "VAT number",
                    "CHE123456789MWST",
                    "CHE",
                    (9, 9),
                    true,
                )
            },
            "NO" => TaxIdKind {
                suffix: Some("MVA"),
                ..kind("no_vat", "VAT number", "123456789MVA", "", (9, 9), true)
            },
            "AU" => kind("au_abn", "ABN", "12345678912", "", (11, 11), true),
            "NZ" => kind("nz_gst", "GST number", "123456789", "", (8, 9), true),
            "US" => kind("us_ein", "EIN", "12-3456789", "", (9, 9), true),
            "CA" => kind("ca_bn", "Business number", "123456789", "", (9, 9), true),
            "IN" => kind("in_gst", "GSTIN", "12ABCDE3456FGZH", "", (15, 15), false),
            "JP" => kind(
                "jp_cn",
                "Corporate number",
                "1234567891234",
                "",
                (13, 13),
                true,
            ),
            _ => return None,
        })
    }

    /// Checks `input` as this kind's tax id and answers it normalized: upper case, without the
    /// spaces, dots and dashes people type, with its prefix.
    pub fn check(&self, input: &str) -> Result<TaxId, &'static str> {
        let mut value: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '/'))
            .flat_map(char::to_uppercase)
            .collect();
        if value.is_empty() {
            return Err(MISSING);
        }
        if let Some(suffix) = self.suffix {
            // Optional as typed; kept as the tax office writes it.
            if let Some(stripped) = value.strip_suffix(suffix) {
                value = stripped.to_owned();
            }
        }
        // The prefix is optional as typed, and so is the country code before the rest of it
        // (Austria's `U…`).
        let body = value
            .strip_prefix(self.prefix)
            .or_else(|| {
                let rest = self.prefix.get(2..).filter(|r| !r.is_empty())?;
                value.strip_prefix(rest)
            })
            .unwrap_or(&value)
            .to_owned();
        let length = body.chars().count();
        let shaped = (self.length.0..=self.length.1).contains(&length)
            && body.chars().all(|c| {
                if self.digits_only {
                    c.is_ascii_digit()
                } else {
                    c.is_ascii_alphanumeric()
                }
            })
            && body.chars().filter(char::is_ascii_digit).count() >= 2;
        if !shaped {
            return Err(OUT_OF_SHAPE);
        }
        let value = match self.kind {
            // Stripe writes EINs with their dash.
            "us_ein" => format!("{}-{}", &body[..2], &body[2..]),
            _ => format!("{}{body}{}", self.prefix, self.suffix.unwrap_or_default()),
        };
        Ok(TaxId {
            kind: self.kind.to_owned(),
            value,
        })
    }
}

fn eu_example(prefix: &str) -> &'static str {
    match prefix {
        "ATU" => "ATU12345678",
        "FR" => "FR12345678901",
        "NL" => "NL123456789B01",
        "EL" => "EL123456789",
        "IE" => "IE1234567FA",
        _ => "DE123456789",
    }
}

/// What a buyer is told (the page translates each).
pub const MISSING: &str = "Enter your tax ID.";
pub const OUT_OF_SHAPE: &str = "This tax ID is not in its usual shape for your country.";
pub const UNKNOWN_COUNTRY: &str =
    "Tax IDs from your country cannot be added here; leave this empty.";

/// Checks a tax id a buyer in `country` typed.
pub fn check_tax_id(input: &str, country: &str) -> Result<TaxId, &'static str> {
    match TaxIdKind::of(country) {
        Some(kind) => kind.check(input),
        None => Err(UNKNOWN_COUNTRY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str, country: &str) -> (String, String) {
        let id = check_tax_id(input, country).unwrap();
        (id.kind, id.value)
    }

    #[test]
    fn tax_ids_are_normalized_to_their_kind() {
        assert_eq!(
            ok("de 123 456 789", "DE"),
            ("eu_vat".into(), "DE123456789".into())
        );
        assert_eq!(
            ok("123456789", "de"),
            ("eu_vat".into(), "DE123456789".into())
        );
        assert_eq!(
            ok("EL123456789", "GR"),
            ("eu_vat".into(), "EL123456789".into())
        );
        assert_eq!(
            ok("U12345678", "AT"),
            ("eu_vat".into(), "ATU12345678".into())
        );
        assert_eq!(
            ok("nl123456789b01", "NL"),
            ("eu_vat".into(), "NL123456789B01".into())
        );
        assert_eq!(
            ok("GB 123 4567 89", "GB"),
            ("gb_vat".into(), "GB123456789".into())
        );
        assert_eq!(
            ok("CHE-123.456.789 MWST", "CH"),
            ("ch_vat".into(), "CHE123456789MWST".into())
        );
        assert_eq!(
            ok("123456789", "NO"),
            ("no_vat".into(), "123456789MVA".into())
        );
        assert_eq!(
            ok("12-3456789", "US"),
            ("us_ein".into(), "12-3456789".into())
        );
        assert_eq!(
            ok("123456789", "US"),
            ("us_ein".into(), "12-3456789".into())
        );
        assert_eq!(
            ok("51 824 753 556", "AU"),
            ("au_abn".into(), "51824753556".into())
        );
    }

    #[test]
    fn a_tax_id_out_of_shape_is_refused_with_an_example() {
        for (input, country) in [
            ("DE12", "DE"),
            ("FR1234567890123", "FR"),
            ("GB12345678A", "GB"),
            ("ABCDEFGHIJ", "IT"),
            ("1234", "US"),
            ("", "DE"),
        ] {
            assert!(
                check_tax_id(input, country).is_err(),
                "{input} in {country}"
            );
        }
        assert_eq!(check_tax_id("DE12", "DE"), Err(OUT_OF_SHAPE));
        assert_eq!(check_tax_id(" - ", "DE"), Err(MISSING));
        assert_eq!(check_tax_id("123", "BR"), Err(UNKNOWN_COUNTRY));
        assert_eq!(TaxIdKind::of("AU").unwrap().label, "ABN");
        assert_eq!(TaxIdKind::of("BR"), None);
    }
}
