//! The Fluent files, compiled into the server, and which language a request gets.
//!
//! `locales/en/*.ftl` pairs every message id with its English text, which is what the code names
//! it by; the other languages translate the same ids. A message's `{ $name }` variables become
//! `{name}` slots that [`Messages::tf`] fills, in the browser as on the server.

use super::{Lang, Messages};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Slots are filled as plain text: no Unicode isolation marks around them.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The English files: which ids there are, and their text. `checkout.ftl` holds what the payment
/// form's island shows (it travels to the browser); `pages.ftl` what only the server renders.
const ISLAND: &str = include_str!("../../locales/en/checkout.ftl");
const PAGES: &str = include_str!("../../locales/en/pages.ftl");
/// The mail kassa sends buyers.
const MAIL: &str = include_str!("../../locales/en/mail.ftl");
/// The translations (language, English file it translates, text), named so that a change to one
/// rebuilds the server that embeds it.
#[cfg_attr(not(test), allow(dead_code))]
const TRANSLATIONS: [(Lang, &str, &str); 12] = [
    (
        Lang::De,
        ISLAND,
        include_str!("../../locales/de/checkout.ftl"),
    ),
    (Lang::De, PAGES, include_str!("../../locales/de/pages.ftl")),
    (Lang::De, MAIL, include_str!("../../locales/de/mail.ftl")),
    (
        Lang::Fr,
        ISLAND,
        include_str!("../../locales/fr/checkout.ftl"),
    ),
    (Lang::Fr, PAGES, include_str!("../../locales/fr/pages.ftl")),
    (Lang::Fr, MAIL, include_str!("../../locales/fr/mail.ftl")),
    (
        Lang::Es,
        ISLAND,
        include_str!("../../locales/es/checkout.ftl"),
    ),
    (Lang::Es, PAGES, include_str!("../../locales/es/pages.ftl")),
    (Lang::Es, MAIL, include_str!("../../locales/es/mail.ftl")),
    (
        Lang::Ja,
        ISLAND,
        include_str!("../../locales/ja/checkout.ftl"),
    ),
    (Lang::Ja, PAGES, include_str!("../../locales/ja/pages.ftl")),
    (Lang::Ja, MAIL, include_str!("../../locales/ja/mail.ftl")),
];

/// The message ids of a Fluent file and the variables each uses, in order.
fn ids_of(ftl: &str) -> Vec<(String, Vec<String>)> {
    let mut ids: Vec<(String, Vec<String>)> = Vec::new();
    for line in ftl.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let text = if !line.starts_with(' ')
            && let Some((id, text)) = line.split_once(" = ")
        {
            ids.push((id.trim().to_owned(), Vec::new()));
            text
        } else {
            line
        };
        if let Some((_, vars)) = ids.last_mut() {
            for var in text.split("{ $").skip(1) {
                let name: String = var
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !vars.contains(&name) {
                    vars.push(name);
                }
            }
        }
    }
    ids
}

fn langid(lang: Lang) -> LanguageIdentifier {
    lang.as_str()
        .parse()
        .expect("kassa's language tags are valid")
}

/// The text of `id` in `lang` with its variables as `{name}` slots, or None where `lang` lacks it.
fn resolve(lang: Lang, id: &str, vars: &[String]) -> Option<String> {
    let args: HashMap<Cow<'static, str>, FluentValue<'static>> = vars
        .iter()
        .map(|v| (Cow::Owned(v.clone()), format!("{{{v}}}").into()))
        .collect();
    LOCALES.try_lookup_with_args(&langid(lang), id, &args)
}

fn build(lang: Lang, files: &[&str]) -> Messages {
    let mut strings = BTreeMap::new();
    if lang != Lang::En {
        for (id, vars) in files.iter().flat_map(|f| ids_of(f)) {
            if let (Some(english), Some(text)) =
                (resolve(Lang::En, &id, &vars), resolve(lang, &id, &vars))
            {
                strings.insert(english, text);
            }
        }
    }
    Messages {
        lang,
        strings: std::sync::Arc::new(strings),
    }
}

/// The strings of `files` in `lang`, built once per language into `cache`.
fn cached(
    cache: &'static OnceLock<Vec<Messages>>,
    files: &[&str],
    lang: Lang,
) -> &'static Messages {
    let all = cache.get_or_init(|| Lang::ALL.map(|l| build(l, files)).to_vec());
    &all[Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0)]
}

/// What the payment form's island shows, in `lang`.
pub fn island(lang: Lang) -> &'static Messages {
    static CACHE: OnceLock<Vec<Messages>> = OnceLock::new();
    cached(&CACHE, &[ISLAND], lang)
}

/// Every string of the checkout's pages, in `lang` (the server's side of the page).
pub fn pages(lang: Lang) -> &'static Messages {
    static CACHE: OnceLock<Vec<Messages>> = OnceLock::new();
    cached(&CACHE, &[ISLAND, PAGES], lang)
}

/// What mail to a buyer says, in `lang`: its own strings, and the pages' (a decline's reason).
pub fn mail(lang: Lang) -> &'static Messages {
    static CACHE: OnceLock<Vec<Messages>> = OnceLock::new();
    cached(&CACHE, &[MAIL, PAGES], lang)
}

/// A day as `lang` writes it in full: `5 January 2027`, `5. Januar 2027`, `5 janvier 2027`,
/// `5 de enero de 2027`, `2027年1月5日` (month names from CLDR, through chrono's locales).
pub fn long_date(ms: i64, lang: Lang) -> String {
    use chrono::Locale;
    let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
        return String::new();
    };
    match lang {
        Lang::En => t.format("%-d %B %Y").to_string(),
        Lang::De => t.format_localized("%-d. %B %Y", Locale::de_DE).to_string(),
        Lang::Fr => t.format_localized("%-d %B %Y", Locale::fr_FR).to_string(),
        Lang::Es => t
            .format_localized("%-d de %B de %Y", Locale::es_ES)
            .to_string(),
        Lang::Ja => t.format("%Y年%-m月%-d日").to_string(),
    }
}

/// The cookie that keeps a buyer's choice of language from the page's switcher.
pub const COOKIE: &str = "kassa_lang";

/// Which language a buyer gets: the one they chose on the page (`chosen`: the address's `lang`,
/// else the cookie the switcher left), else the session's `locale` where kassa speaks it, else
/// the first of the browser's Accept-Language that kassa speaks, else English.
pub fn negotiate(
    chosen: Option<&str>,
    locale: Option<&str>,
    accept_language: Option<&str>,
) -> Lang {
    chosen
        .and_then(Lang::parse)
        .or_else(|| locale.and_then(Lang::parse))
        .or_else(|| {
            accept_language
                .map(accept_language::parse)
                .and_then(|tags| tags.iter().find_map(|t| Lang::parse(t)))
        })
        .unwrap_or_default()
}

/// The language a buyer chose, from a request: its `lang` query parameter, else the cookie.
pub fn chosen(parts: &axum::http::request::Parts) -> Option<Lang> {
    chosen_in_query(parts).or_else(|| kept(&parts.headers))
}

/// The language the address asks for (`?lang=de`): the page's switcher.
pub fn chosen_in_query(parts: &axum::http::request::Parts) -> Option<Lang> {
    parts.uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    })
}

/// The language the page's switcher left in the buyer's cookie.
fn kept(headers: &axum::http::HeaderMap) -> Option<Lang> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .and_then(|(_, v)| Lang::parse(v))
}

fn accepted(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
}

/// The language of a request for a session whose `locale` is this.
pub fn of_request(parts: &axum::http::request::Parts, locale: Option<&str>) -> Lang {
    negotiate(
        chosen(parts).map(Lang::as_str),
        locale,
        accepted(&parts.headers),
    )
}

/// The language of a request with no session behind it (a payment link's own pages): the
/// buyer's kept choice, else their browser's.
pub fn of_headers(headers: &axum::http::HeaderMap) -> Lang {
    negotiate(kept(headers).map(Lang::as_str), None, accepted(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_translates_every_message_with_its_slots() {
        for (lang, english, translation) in TRANSLATIONS {
            assert!(
                fluent_templates::fluent_bundle::FluentResource::try_new(translation.to_owned())
                    .is_ok(),
                "a {lang} file does not parse"
            );
            let theirs: BTreeMap<String, Vec<String>> = ids_of(translation).into_iter().collect();
            for (id, vars) in ids_of(english) {
                let Some(their_vars) = theirs.get(&id) else {
                    panic!("{lang} lacks {id}");
                };
                for var in &vars {
                    assert!(their_vars.contains(var), "{lang}'s {id} drops {{ ${var} }}");
                }
                let text = resolve(lang, &id, &vars).unwrap();
                assert!(!text.trim().is_empty(), "{lang}'s {id} is empty");
            }
            let ours: Vec<String> = ids_of(english).into_iter().map(|(id, _)| id).collect();
            for id in theirs.keys() {
                assert!(ours.contains(id), "{lang} has {id}, which English lacks");
            }
        }
    }

    #[test]
    fn long_dates_name_the_month_in_the_language() {
        // 5 January 2027, 12:00 UTC.
        let ms = 1_799_150_400_000;
        assert_eq!(long_date(ms, Lang::En), "5 January 2027");
        assert_eq!(long_date(ms, Lang::De), "5. Januar 2027");
        assert_eq!(long_date(ms, Lang::Fr), "5 janvier 2027");
        assert_eq!(long_date(ms, Lang::Es), "5 de enero de 2027");
        assert_eq!(long_date(ms, Lang::Ja), "2027年1月5日");
    }

    #[test]
    fn german_strings_are_keyed_by_their_english() {
        let de = pages(Lang::De);
        assert_eq!(de.t("Payment details"), "Zahlungsdaten");
        assert!(
            de.tf("Pay {amount}", &[("amount", "5,00 €")])
                .contains("5,00 €")
        );
        assert_ne!(
            de.t("Enter your email address."),
            "Enter your email address."
        );
        // The island gets the form's strings and not the receipt's.
        assert!(island(Lang::De).strings.contains_key("Payment details"));
        assert!(!island(Lang::De).strings.contains_key("Payment complete"));
        assert!(island(Lang::En).strings.is_empty());
    }

    #[test]
    fn the_choice_beats_the_session_which_beats_the_browser() {
        assert_eq!(negotiate(Some("fr"), Some("de"), Some("ja")), Lang::Fr);
        assert_eq!(negotiate(None, Some("de-AT"), Some("ja")), Lang::De);
        assert_eq!(
            negotiate(None, Some("pt-BR"), Some("pt;q=1, es;q=0.5")),
            Lang::Es
        );
        assert_eq!(negotiate(None, None, Some("ja-JP,ja;q=0.9")), Lang::Ja);
        assert_eq!(negotiate(None, None, Some("zh-CN")), Lang::En);
        assert_eq!(negotiate(None, None, None), Lang::En);
    }
}
