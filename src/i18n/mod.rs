//! The buyer's language: which one a page speaks, its strings, and its amounts.
//!
//! The strings live in Fluent files (`locales/{lang}/*.ftl`), compiled into the server
//! ([`catalog`]). The code names a string by its English text, as gettext does: a page asks
//! `tr.t("Payment details")` and gets the buyer's language, or the English where a language lacks
//! it. The server resolves a page's strings once per language; an island gets the ones it shows as
//! a prop ([`Messages`]), so the browser's bundle carries no Fluent and no other language.

#[cfg(feature = "ssr")]
pub mod catalog;
#[cfg(feature = "ssr")]
pub mod countries;

use crate::domain::money::{Money, format_number};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The languages the hosted checkout speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    De,
    Fr,
    Es,
    Ja,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::De, Lang::Fr, Lang::Es, Lang::Ja];

    /// The BCP 47 tag (`de`), as `<html lang>` and the Fluent directories name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ja => "ja",
        }
    }

    /// The language's own name, as a switcher lists it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
            Lang::Fr => "Français",
            Lang::Es => "Español",
            Lang::Ja => "日本語",
        }
    }

    /// The language of a tag (`de`, `de-CH`, `en_GB`, `JA`), if kassa speaks it.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Lang::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(primary))
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A session's `locale` as merchants give it (Stripe's values: `auto`, `de`, `fr-CA`, `ja`, …):
/// `auto` and nothing mean the buyer's browser decides. Another language than kassa's five is
/// accepted and falls back the same way, as Stripe does for a locale it lacks a translation of.
pub fn check_locale(raw: &str) -> Result<Option<String>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() || raw.eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    let well_formed = raw.len() <= 12
        && raw.split('-').enumerate().all(|(i, part)| {
            let n = part.len();
            match i {
                0 => (2..=3).contains(&n) && part.chars().all(|c| c.is_ascii_alphabetic()),
                _ => (2..=8).contains(&n) && part.chars().all(|c| c.is_ascii_alphanumeric()),
            }
        });
    if well_formed {
        Ok(Some(raw.to_owned()))
    } else {
        Err("Use a language tag such as `de`, `fr-CA` or `auto`.")
    }
}

/// One page's strings in one language, by their English text. Empty for English: a string not
/// here is shown as written. Shared, not copied, by every page that speaks the language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Messages {
    pub lang: Lang,
    pub strings: Arc<BTreeMap<String, String>>,
}

impl Messages {
    pub fn english() -> Messages {
        Messages::default()
    }

    /// `english` in this language.
    pub fn t(&self, english: &str) -> String {
        if let Some(text) = self.strings.get(english) {
            return text.clone();
        }
        // "Enter at least 2 characters." is the string "Enter at least {count} characters."
        // with its number filled in.
        let digits = |c: char| c.is_ascii_digit();
        if let Some(start) = english.find(digits) {
            let end = english[start..]
                .find(|c: char| !digits(c))
                .map_or(english.len(), |n| start + n);
            let key = format!("{}{{count}}{}", &english[..start], &english[end..]);
            if let Some(text) = self.strings.get(&key) {
                return text.replace("{count}", &english[start..end]);
            }
        }
        english.to_owned()
    }

    /// A string with `{name}` slots (`"Pay {amount}"`), in this language, the slots filled.
    pub fn tf(&self, english: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(english);
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// An amount as this language writes it: `1.234,56 €` in German, `¥1,235` in Japanese.
    pub fn money(&self, money: Money) -> String {
        format_money(money, self.lang)
    }
}

/// How a language writes amounts (CLDR's patterns for the five languages): the separators, the
/// fewest integer digits that get a group separator, and whether the symbol follows the number.
struct NumberStyle {
    group: &'static str,
    decimal: char,
    min_grouping: usize,
    symbol_after: bool,
}

fn number_style(lang: Lang) -> NumberStyle {
    match lang {
        Lang::En | Lang::Ja => NumberStyle {
            group: ",",
            decimal: '.',
            min_grouping: 4,
            symbol_after: false,
        },
        Lang::De => NumberStyle {
            group: ".",
            decimal: ',',
            min_grouping: 4,
            symbol_after: true,
        },
        // A narrow no-break space groups thousands in French.
        Lang::Fr => NumberStyle {
            group: "\u{202f}",
            decimal: ',',
            min_grouping: 4,
            symbol_after: true,
        },
        // Spanish groups from five digits: 1234,56 € but 12.345,67 €.
        Lang::Es => NumberStyle {
            group: ".",
            decimal: ',',
            min_grouping: 5,
            symbol_after: true,
        },
    }
}

/// `money` as `lang` writes it. English is [`Money::display`] exactly.
pub fn format_money(money: Money, lang: Lang) -> String {
    if lang == Lang::En {
        return money.display();
    }
    let style = number_style(lang);
    let grouped = format_number(
        money.amount.unsigned_abs(),
        money.currency.exponent(),
        style.group,
        style.decimal,
        style.min_grouping,
    );
    let sign = if money.amount < 0 { "-" } else { "" };
    let symbol = money.currency.symbol();
    if style.symbol_after {
        format!("{sign}{grouped}\u{a0}{symbol}")
    } else if symbol.chars().count() <= 2 && symbol != money.currency.code() {
        format!("{sign}{symbol}{grouped}")
    } else {
        format!("{sign}{symbol}\u{a0}{grouped}")
    }
}

/// A calendar day as `lang` writes it: `2026-12-31` in English (as kassa always wrote it),
/// `31.12.2026` in German, `31/12/2026` in French and Spanish, `2026年12月31日` in Japanese.
pub fn format_date(year: i32, month: u32, day: u32, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{year:04}-{month:02}-{day:02}"),
        Lang::De => format!("{day:02}.{month:02}.{year}"),
        Lang::Fr | Lang::Es => format!("{day:02}/{month:02}/{year}"),
        Lang::Ja => format!("{year}年{month}月{day}日"),
    }
}

/// Every string of the checkout's pages in `lang`. The server renders those pages; the browser
/// only hydrates the form's island, whose strings come in its props.
pub fn page_messages(lang: Lang) -> Messages {
    #[cfg(feature = "ssr")]
    {
        catalog::pages(lang).clone()
    }
    #[cfg(not(feature = "ssr"))]
    {
        Messages {
            lang,
            ..Messages::default()
        }
    }
}

/// The page's strings, as a handle every view of the page can copy into its closures.
#[derive(Clone, Copy)]
pub struct Tr(StoredValue<Messages>);

impl Tr {
    /// Makes `messages` the strings of the views under the current owner.
    pub fn provide(messages: Messages) -> Tr {
        let tr = Tr(StoredValue::new(messages));
        provide_context(tr);
        tr
    }

    pub fn t(self, english: &str) -> String {
        self.0.with_value(|m| m.t(english))
    }

    pub fn tf(self, english: &str, args: &[(&str, &str)]) -> String {
        self.0.with_value(|m| m.tf(english, args))
    }

    pub fn money(self, money: Money) -> String {
        self.0.with_value(|m| m.money(money))
    }

    pub fn lang(self) -> Lang {
        self.0.with_value(|m| m.lang)
    }
}

/// The page's strings, or English where no page provided any.
pub fn use_tr() -> Tr {
    use_context::<Tr>().unwrap_or_else(|| Tr(StoredValue::new(Messages::english())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    fn money(amount: i64, code: &str) -> Money {
        Money::new(amount, Currency::parse(code).unwrap())
    }

    #[test]
    fn amounts_are_written_as_each_language_writes_them() {
        assert_eq!(
            format_money(money(123_456, "EUR"), Lang::De),
            "1.234,56\u{a0}€"
        );
        assert_eq!(format_money(money(123_456, "EUR"), Lang::En), "€1,234.56");
        assert_eq!(format_money(money(1235, "JPY"), Lang::Ja), "¥1,235");
        assert_eq!(
            format_money(money(123_456, "EUR"), Lang::Fr),
            "1\u{202f}234,56\u{a0}€"
        );
        assert_eq!(
            format_money(money(123_456, "EUR"), Lang::Es),
            "1234,56\u{a0}€"
        );
        assert_eq!(
            format_money(money(1_234_567, "EUR"), Lang::Es),
            "12.345,67\u{a0}€"
        );
        assert_eq!(format_money(money(-500, "USD"), Lang::De), "-5,00\u{a0}$");
        assert_eq!(
            format_money(money(123_456_789, "GBP"), Lang::De),
            "1.234.567,89\u{a0}£"
        );
        assert_eq!(format_money(money(99, "EUR"), Lang::De), "0,99\u{a0}€");
    }

    #[test]
    fn tags_name_a_language_by_their_primary_subtag() {
        assert_eq!(Lang::parse("de-CH"), Some(Lang::De));
        assert_eq!(Lang::parse("JA"), Some(Lang::Ja));
        assert_eq!(Lang::parse("en_GB"), Some(Lang::En));
        assert_eq!(Lang::parse("pt-BR"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn a_locale_is_a_language_tag_or_auto() {
        assert_eq!(check_locale("auto"), Ok(None));
        assert_eq!(check_locale(""), Ok(None));
        assert_eq!(check_locale("fr-CA"), Ok(Some("fr-CA".to_owned())));
        assert_eq!(check_locale("pt-BR"), Ok(Some("pt-BR".to_owned())));
        assert!(check_locale("german!").is_err());
        assert!(check_locale("d").is_err());
    }

    #[test]
    fn a_string_missing_from_a_language_is_shown_in_english() {
        let m = Messages {
            lang: Lang::De,
            strings: Arc::new(BTreeMap::from([(
                "Pay {amount}".to_owned(),
                "{amount} zahlen".to_owned(),
            )])),
        };
        assert_eq!(
            m.tf("Pay {amount}", &[("amount", "5,00 €")]),
            "5,00 € zahlen"
        );
        assert_eq!(m.t("Total"), "Total");
    }

    #[test]
    fn a_message_with_a_number_is_found_by_its_count_slot() {
        let m = Messages {
            lang: Lang::De,
            strings: Arc::new(BTreeMap::from([(
                "Enter at most {count} characters.".to_owned(),
                "Geben Sie höchstens {count} Zeichen ein.".to_owned(),
            )])),
        };
        assert_eq!(
            m.t("Enter at most 20 characters."),
            "Geben Sie höchstens 20 Zeichen ein."
        );
        assert_eq!(m.t("Enter at most twenty."), "Enter at most twenty.");
        assert_eq!(m.t("Only 3 left."), "Only 3 left.");
    }
}
