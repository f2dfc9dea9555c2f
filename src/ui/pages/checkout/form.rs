//! The open checkout: the order summary beside the payment form.
//!
//! Without JavaScript the form posts to `/api/checkout/confirm`, which redirects; quantities and a
//! promotion code change through a small GET form that reloads the page. With JavaScript every
//! field is checked as the buyer types by the same domain code the server runs, totals follow the
//! quantities, code and country live, and the form is sent in the background so that a decline
//! keeps what was typed (the server decides either way).

use super::summary::{Summary, describe_discount};
use crate::domain::address::AddressFormat;
use crate::domain::card::{CardBrand, format_as_typed};
use crate::domain::catalog::TaxRate;
use crate::domain::custom_field::{CustomField, CustomFieldKind, MAX_CUSTOM_FIELDS};
use crate::domain::payment::{PaymentForm, check_buyer, check_method, format_expiry_as_typed};
use crate::domain::session::totals::{self, DiscountTerms, PricedLine, TaxTerms, Totals};
use crate::domain::session::{PaymentMethodType, SessionKind, SessionMode};
use crate::i18n::{Tr, use_tr};
use crate::server_fns::checkout::PaymentView;
use leptos::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// The form's names of the session's questions, by position.
const CUSTOM_NAMES: [&str; MAX_CUSTOM_FIELDS] =
    ["custom_fields[0]", "custom_fields[1]", "custom_fields[2]"];

/// The lines of an address as typed, one signal each.
#[derive(Clone, Copy)]
struct AddressSignals {
    line1: RwSignal<String>,
    line2: RwSignal<String>,
    city: RwSignal<String>,
    state: RwSignal<String>,
    postal_code: RwSignal<String>,
    country: RwSignal<String>,
}

/// Which address a block of fields is: the fields' names and the section's words.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Billing,
    Shipping,
}

impl Which {
    /// The form field's name of one of the address's lines (`line1`, `shipping_line1`).
    fn field(self, line: &'static str) -> &'static str {
        match (self, line) {
            (Which::Billing, line) => line,
            (Which::Shipping, "line1") => "shipping_line1",
            (Which::Shipping, "line2") => "shipping_line2",
            (Which::Shipping, "city") => "shipping_city",
            (Which::Shipping, "state") => "shipping_state",
            (Which::Shipping, "postal_code") => "shipping_postal_code",
            (Which::Shipping, _) => "shipping_country",
        }
    }
}

/// The form's inputs, one signal each, and what the buyer has been told.
#[derive(Clone, Copy)]
struct Form {
    email: RwSignal<String>,
    name: RwSignal<String>,
    phone: RwSignal<String>,
    /// The buyer's tax id, buying as a business.
    tax_id: RwSignal<String>,
    billing: AddressSignals,
    shipping_name: RwSignal<String>,
    shipping: AddressSignals,
    /// Bills to the shipping address (where the session ships).
    same_as_shipping: RwSignal<bool>,
    /// The saved method chosen (its id), or `new`.
    saved: RwSignal<String>,
    /// "Save for next time", ticked.
    keep: RwSignal<bool>,
    method: RwSignal<String>,
    card_number: RwSignal<String>,
    card_exp: RwSignal<String>,
    card_cvc: RwSignal<String>,
    card_name: RwSignal<String>,
    iban: RwSignal<String>,
    account_holder: RwSignal<String>,
    routing_number: RwSignal<String>,
    account_number: RwSignal<String>,
    /// The answers to the session's questions, by position.
    custom: [RwSignal<String>; MAX_CUSTOM_FIELDS],
    /// The terms of service, accepted.
    terms: RwSignal<bool>,
    /// Fields the buyer has left: their errors show from then on.
    touched: RwSignal<BTreeSet<String>>,
    /// After a submit every error shows.
    submitted: RwSignal<bool>,
    /// The server's verdicts by field, until the buyer changes the field.
    server_errors: RwSignal<BTreeMap<String, String>>,
    /// A decline or another message for the whole form.
    banner: RwSignal<Option<String>>,
    sending: RwSignal<bool>,
}

impl Form {
    fn as_payment_form(&self) -> PaymentForm {
        let value = |s: RwSignal<String>| Some(s.get()).filter(|v| !v.trim().is_empty());
        PaymentForm {
            email: value(self.email),
            name: value(self.name),
            country: value(self.billing.country),
            postal_code: value(self.billing.postal_code),
            line1: value(self.billing.line1),
            line2: value(self.billing.line2),
            city: value(self.billing.city),
            state: value(self.billing.state),
            phone: value(self.phone),
            tax_id: value(self.tax_id),
            shipping_name: value(self.shipping_name),
            shipping_line1: value(self.shipping.line1),
            shipping_line2: value(self.shipping.line2),
            shipping_city: value(self.shipping.city),
            shipping_state: value(self.shipping.state),
            shipping_postal_code: value(self.shipping.postal_code),
            shipping_country: value(self.shipping.country),
            billing_same_as_shipping: self.same_as_shipping.get().then(|| "on".to_owned()),
            saved_payment_method: value(self.saved),
            save_payment_method: self.keep.get().then(|| "on".to_owned()),
            payment_method_type: value(self.method),
            card_number: value(self.card_number),
            card_exp: value(self.card_exp),
            card_cvc: value(self.card_cvc),
            card_name: value(self.card_name),
            iban: value(self.iban),
            account_holder: value(self.account_holder),
            routing_number: value(self.routing_number),
            account_number: value(self.account_number),
            custom_fields: self.custom.iter().map(|s| value(*s)).collect(),
            terms_of_service: self.terms.get().then(|| "accepted".to_owned()),
        }
    }
}

/// A payment method's name, in English: the page shows it through its strings (`Tr::t`).
pub fn method_label(t: PaymentMethodType) -> &'static str {
    match t {
        PaymentMethodType::Card => "Card",
        PaymentMethodType::Link => "Link",
        PaymentMethodType::UsBankAccount => "US bank account",
        PaymentMethodType::SepaDebit => "SEPA Direct Debit",
        PaymentMethodType::Paypal => "PayPal",
        PaymentMethodType::CustomerBalance => "Customer balance",
    }
}

/// The country list's `<option>`s as HTML, by name, `selected` on the buyer's. Rendered on the
/// server only: the island hydrates the `<select>` (its value and errors) but not its 250 options,
/// so neither the list nor the code that would build them goes to the browser.
#[cfg(feature = "ssr")]
fn country_options(
    lang: crate::i18n::Lang,
    selected: &str,
    allowed: Option<&[String]>,
    placeholder_text: &str,
) -> String {
    use crate::i18n::Lang;
    use std::fmt::Write;
    use std::sync::OnceLock;
    // Each language's whole list, drawn once per process: every page asks for it, and writing
    // its 250 options anew was about 5% of the page's CPU.
    static LISTS: OnceLock<Vec<CountryList>> = OnceLock::new();
    let lists = LISTS.get_or_init(|| Lang::ALL.into_iter().map(CountryList::new).collect());
    let list = &lists[Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0)];
    let placeholder = if selected.is_empty() { " selected" } else { "" };
    let mut html = String::with_capacity(list.html.len() + 80);
    let _ = write!(
        html,
        r#"<option value=""{placeholder}>{}</option>"#,
        html_escape::encode_text(placeholder_text)
    );
    // One option as drawn, with ` selected` spliced in after its value if it is the buyer's.
    let push = |html: &mut String, option: &CountryOption| {
        let drawn = &list.html[option.start..option.end];
        if option.code.eq_ignore_ascii_case(selected) {
            let at = r#"<option value="XX""#.len();
            html.push_str(&drawn[..at]);
            html.push_str(" selected");
            html.push_str(&drawn[at..]);
        } else {
            html.push_str(drawn);
        }
    };
    match allowed {
        None => match list
            .options
            .iter()
            .find(|o| o.code.eq_ignore_ascii_case(selected))
        {
            Some(option) => {
                html.push_str(&list.html[..option.start]);
                push(&mut html, option);
                html.push_str(&list.html[option.end..]);
            }
            None => html.push_str(&list.html),
        },
        Some(allowed) => {
            for option in &list.options {
                if allowed.iter().any(|c| c == option.code) {
                    push(&mut html, option);
                }
            }
        }
    }
    html
}

/// One language's country `<option>`s, none selected, and where each one lies in them.
#[cfg(feature = "ssr")]
struct CountryList {
    html: String,
    options: Vec<CountryOption>,
}

#[cfg(feature = "ssr")]
struct CountryOption {
    /// Its alpha-2 code.
    code: &'static str,
    /// Its `<option …>…</option>` is `html[start..end]`.
    start: usize,
    end: usize,
}

#[cfg(feature = "ssr")]
impl CountryList {
    /// The countries by name in `lang`: CLDR's names (English: iso_country's), sorted without
    /// their accents, so that "Österreich" sorts among the O's.
    fn new(lang: crate::i18n::Lang) -> Self {
        use crate::i18n::countries;
        use std::fmt::Write;
        use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
        let mut all: Vec<(String, &'static str, &'static str)> = iso_country::data::all()
            .iter()
            .map(|c| {
                let name = countries::name(lang, c.alpha2).unwrap_or(c.name);
                let key = name
                    .nfd()
                    .filter(|ch| !is_combining_mark(*ch))
                    .flat_map(char::to_lowercase)
                    .collect();
                (key, c.alpha2, name)
            })
            .collect();
        all.sort();
        let mut html = String::new();
        let mut options = Vec::with_capacity(all.len());
        for (_, code, name) in all {
            let start = html.len();
            let _ = write!(
                html,
                r#"<option value="{code}">{}</option>"#,
                html_escape::encode_text(name)
            );
            options.push(CountryOption {
                code,
                start,
                end: html.len(),
            });
        }
        CountryList { html, options }
    }
}

/// The order and the payment form: an island, the part of the checkout page that hydrates (the
/// page around it stays HTML). Its props, the checkout and the page address's query
/// (`value.email=…`, `error.card_number=…` after a post without JavaScript, `code=…`), travel in
/// the page as JSON.
#[island]
pub fn OpenCheckout(view: PaymentView, query: Vec<(String, String)>) -> impl IntoView {
    // The form's strings in the buyer's language, from the props (the bundle holds none).
    let tr = Tr::provide(view.messages.clone());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| {
        hydrated.set(true);
        crate::ui::mark_hydrated();
    });

    let param = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.clone())
    };
    let initial = |key: &str, fallback: Option<String>| {
        param(&format!("value.{key}"))
            .or(fallback)
            .unwrap_or_default()
    };
    let form = Form {
        email: RwSignal::new(
            view.known_email
                .clone()
                .unwrap_or_else(|| initial("email", None)),
        ),
        name: RwSignal::new(initial("name", view.prefill_name.clone())),
        phone: RwSignal::new(initial("phone", None)),
        tax_id: RwSignal::new(initial("tax_id", None)),
        billing: AddressSignals {
            line1: RwSignal::new(initial("line1", None)),
            line2: RwSignal::new(initial("line2", None)),
            city: RwSignal::new(initial("city", None)),
            state: RwSignal::new(initial("state", None)),
            postal_code: RwSignal::new(initial("postal_code", None)),
            country: RwSignal::new(initial("country", view.prefill_country.clone())),
        },
        shipping_name: RwSignal::new(initial("shipping_name", view.prefill_name.clone())),
        shipping: AddressSignals {
            line1: RwSignal::new(initial("shipping_line1", None)),
            line2: RwSignal::new(initial("shipping_line2", None)),
            city: RwSignal::new(initial("shipping_city", None)),
            state: RwSignal::new(initial("shipping_state", None)),
            postal_code: RwSignal::new(initial("shipping_postal_code", None)),
            // The buyer's country where the merchant ships there, else the first they ship to.
            country: RwSignal::new(initial(
                "shipping_country",
                view.collection
                    .shipping_countries
                    .as_ref()
                    .and_then(|allowed| {
                        view.prefill_country
                            .clone()
                            .filter(|c| allowed.contains(c))
                            .or_else(|| allowed.first().cloned())
                    }),
            )),
        },
        // Ticked, unless the buyer unticked it before a post the page came back from.
        same_as_shipping: RwSignal::new(
            !query.iter().any(|(k, _)| k.starts_with("value."))
                || param("value.billing_same_as_shipping").is_some(),
        ),
        // A returning buyer's newest saved method first.
        saved: RwSignal::new(initial(
            "saved_payment_method",
            Some(
                view.saved_methods
                    .first()
                    .map_or("new".to_owned(), |m| m.id.clone()),
            ),
        )),
        keep: RwSignal::new(param("value.save_payment_method").is_some()),
        method: RwSignal::new(
            view.payment_method_types
                .first()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
        ),
        card_number: RwSignal::new(String::new()),
        card_exp: RwSignal::new(String::new()),
        card_cvc: RwSignal::new(String::new()),
        card_name: RwSignal::new(String::new()),
        iban: RwSignal::new(String::new()),
        account_holder: RwSignal::new(String::new()),
        routing_number: RwSignal::new(String::new()),
        account_number: RwSignal::new(String::new()),
        custom: std::array::from_fn(|i| {
            let question = view.collection.custom_fields.get(i);
            RwSignal::new(initial(
                CUSTOM_NAMES[i],
                question.and_then(|q| q.default_value().map(str::to_owned)),
            ))
        }),
        terms: RwSignal::new(param("value.terms_of_service").is_some()),
        touched: RwSignal::new(BTreeSet::new()),
        submitted: RwSignal::new(false),
        server_errors: RwSignal::new(
            query
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("error.")?.to_owned(), v.clone())))
                .collect(),
        ),
        banner: RwSignal::new(param("unavailable").or(view.last_decline.clone())),
        sending: RwSignal::new(false),
    };

    let quantities: Vec<RwSignal<u32>> = view
        .lines
        .iter()
        .map(|l| RwSignal::new(l.quantity))
        .collect();
    let discount = RwSignal::new(view.discount.clone());
    let code_error = RwSignal::new(view.code_error.clone());
    let code_input = RwSignal::new(param("code").unwrap_or_default());

    let lines = view.lines.clone();
    let tax_rates: Vec<TaxRate> = view.tax_rates.clone();
    let currency = view.currency;
    let trial = view.trial_period_days;
    let collection = view.collection.clone();
    let ships = collection.ships();
    let totals: Memo<Option<Totals>> = Memo::new({
        let quantities = quantities.clone();
        move |_| {
            let currency = currency?;
            let priced: Vec<PricedLine> = lines
                .iter()
                .zip(&quantities)
                .map(|(l, q)| PricedLine {
                    unit_amount: l.unit_amount,
                    quantity: q.get(),
                    recurring: l.recurring,
                })
                .collect();
            let terms = discount.get().map(|d| DiscountTerms {
                value: d.value,
                duration: d.duration,
            });
            // Taxed where it is billed: the shipping address's country when billed there.
            let country = if ships && form.same_as_shipping.get() {
                form.shipping.country.get()
            } else {
                form.billing.country.get()
            };
            let tax =
                TaxRate::applicable(&tax_rates, Some(country.as_str()).filter(|c| !c.is_empty()))
                    .filter(|_| !country.is_empty())
                    .map(|r| TaxTerms {
                        rate: r.rate,
                        inclusive: r.inclusive,
                    });
            totals::compute(currency, &priced, terms, tax, trial).ok()
        }
    });

    let kind = view.kind;
    let mode = view.mode;
    let needs_method = Memo::new(move |_| {
        let due = totals.get().map_or(0, |t| t.due_today);
        due > 0 || mode != SessionMode::Payment || kind != SessionKind::Purchase
    });
    let methods = view.payment_method_types.clone();
    let known_email = view.known_email.clone();
    let today = view.today;
    let client_errors: Memo<BTreeMap<String, String>> = Memo::new({
        let methods = methods.clone();
        let collection = view.collection.clone();
        move |_| {
            let payment_form = form.as_payment_form();
            let mut errors = BTreeMap::new();
            if let Err(e) = check_buyer(&payment_form, known_email.as_deref(), &collection) {
                errors.extend(
                    e.into_iter()
                        .map(|e| (e.field.to_string(), tr.t(&e.message))),
                );
            }
            if needs_method.get()
                && payment_form.saved_method().is_none()
                && let Err(e) = check_method(&payment_form, &methods, today)
            {
                errors.extend(
                    e.into_iter()
                        .map(|e| (e.field.to_string(), tr.t(&e.message))),
                );
            }
            errors
        }
    });
    let error_of = move |field: &'static str| -> Option<String> {
        form.server_errors.read().get(field).cloned().or_else(|| {
            let shown = form.submitted.get() || form.touched.read().contains(field);
            shown
                .then(|| client_errors.read().get(field).cloned())
                .flatten()
        })
    };

    let submit_label = Memo::new(move |_| {
        let t = totals.get();
        let due = t.as_ref().map_or(0, |t| t.due_today);
        match kind {
            SessionKind::AddPaymentMethod if form.method.get() == "card" => tr.t("Save card"),
            SessionKind::AddPaymentMethod => tr.t("Save payment method"),
            SessionKind::ActivateSubscription => tr.t("Activate subscription"),
            SessionKind::Purchase if due == 0 && trial.is_some() => tr.t("Start trial"),
            SessionKind::Purchase if due == 0 => tr.t("Complete order"),
            SessionKind::Purchase => tr.tf(
                "Pay {amount}",
                &[(
                    "amount",
                    &t.map(|t| tr.money(t.money(due))).unwrap_or_default(),
                )],
            ),
        }
    });

    let session_id = view.session_id.clone();
    let cart_action = format!("/checkout/{}", view.session_id);
    let adjustable: Vec<(
        usize,
        crate::domain::session::AdjustableQuantity,
        RwSignal<u32>,
    )> = view
        .lines
        .iter()
        .zip(&quantities)
        .enumerate()
        .filter_map(|(i, (l, q))| l.adjustable.map(|a| (i, a, *q)))
        .collect();
    let has_cart = !adjustable.is_empty() || view.allow_promotion_codes;

    let on_submit = {
        let session_id = session_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            form.submitted.set(true);
            form.server_errors.set(BTreeMap::new());
            if !client_errors.get_untracked().is_empty() {
                ev.prevent_default();
                form.banner
                    .set(Some(tr.t("Check the details marked below.")));
                focus_first_error(&client_errors.get_untracked());
                return;
            }
            #[cfg(feature = "hydrate")]
            send_in_background(ev, form, session_id.clone(), tr);
            #[cfg(not(feature = "hydrate"))]
            let _ = (&ev, &session_id);
        }
    };

    let on_cart = {
        let session_id = session_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            // With JavaScript the quantities already count; only a code needs the server.
            ev.prevent_default();
            let code = code_input.get_untracked();
            if code.trim().is_empty() {
                discount.set(None);
                code_error.set(None);
                return;
            }
            #[cfg(feature = "hydrate")]
            {
                let session_id = session_id.clone();
                leptos::task::spawn_local(async move {
                    match check_promotion_code(&session_id, &code, tr.lang()).await {
                        Some(Ok(applied)) => {
                            discount.set(Some(applied));
                            code_error.set(None);
                        }
                        Some(Err(message)) => code_error.set(Some(message)),
                        None => code_error.set(Some(tr.t("The code cannot be checked right now."))),
                    }
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (&session_id, code);
        }
    };

    // Hydrating leaves the server's options as they are (see `country_options`).
    #[cfg(feature = "ssr")]
    let (billing_options, shipping_options) = (
        country_options(
            tr.lang(),
            &form.billing.country.get_untracked(),
            None,
            &tr.t("Select your country"),
        ),
        if ships {
            country_options(
                tr.lang(),
                &form.shipping.country.get_untracked(),
                collection.shipping_countries.as_deref(),
                &tr.t("Select your country"),
            )
        } else {
            String::new()
        },
    );
    #[cfg(not(feature = "ssr"))]
    let (billing_options, shipping_options) = (String::new(), String::new());
    let full_billing = collection.full_billing_address();
    // An example in the shape the buyer's country uses (as the page opened with it).
    let tax_id_example =
        crate::domain::tax_id::TaxIdKind::of(&form.billing.country.get_untracked())
            .map(|k| k.example.to_owned())
            .unwrap_or_default();
    let saved_methods = view.saved_methods.clone();
    let can_save = view.can_save;
    let save_with = view.merchant_name.clone();
    let method_sections = methods.clone();
    let cancel_url = view.cancel_url.clone();
    let merchant = view.merchant_name.clone();
    let locked_email = view.known_email.is_some();
    let due_banner = view.action_url.clone();
    let questions = collection.custom_fields.clone();
    let terms = collection
        .terms_of_service
        .then(|| view.terms_url.clone().unwrap_or_default());
    let terms_merchant = view.merchant_name.clone();

    view! {
        <div class="layout">
            <section class="summary" aria-labelledby="summary-title">
                <h1 id="summary-title" class="visually-hidden">{tr.t("Your order")}</h1>
                <Summary
                    lines=view.lines.clone()
                    quantities=quantities.clone()
                    currency=view.currency
                    totals=totals
                    discount=discount
                    trial_period_days=view.trial_period_days
                />
                {has_cart.then(|| view! {
                    <form id="cart" class="cart" method="get" action=cart_action.clone() on:submit=on_cart>
                        {adjustable.iter().map(|(i, bounds, q)| {
                            let (i, bounds, q) = (*i, *bounds, *q);
                            let id = format!("quantity-{i}");
                            let min = bounds.minimum.max(1);
                            let max = bounds.maximum;
                            view! {
                                <div class="stepper">
                                    <label for=id.clone()>{tr.tf("Quantity of {item}", &[("item", &view.lines[i].description)])}</label>
                                    <div class="stepper-controls">
                                        <button type="button" class="step" aria-label=tr.t("Fewer") hidden=move || !hydrated.get()
                                            disabled=move || { q.get() <= min }
                                            on:click=move |_| q.update(|v| *v = (*v).saturating_sub(1).max(min))>"−"</button>
                                        <input id=id type="number" inputmode="numeric" name=format!("quantity[{i}]")
                                            min=min max=max value=q.get_untracked() prop:value=move || q.get().to_string()
                                            on:input=move |ev| {
                                                if let Ok(v) = event_target_value(&ev).parse::<u32>() {
                                                    q.set(v.clamp(min, max));
                                                }
                                            } />
                                        <button type="button" class="step" aria-label=tr.t("More") hidden=move || !hydrated.get()
                                            disabled=move || { q.get() >= max }
                                            on:click=move |_| q.update(|v| *v = (*v + 1).min(max))>"+"</button>
                                    </div>
                                </div>
                            }
                        }).collect_view()}
                        {(!adjustable.is_empty()).then(|| view! {
                            <button type="submit" class="secondary" hidden=move || hydrated.get()>{tr.t("Update quantities")}</button>
                        })}
                        {view.allow_promotion_codes.then(|| view! {
                            <div class="field promo">
                                <label for="code">{tr.t("Promotion code")}</label>
                                <div class="inline">
                                    <input id="code" name="code" type="text" autocomplete="off"
                                        value=code_input.get_untracked() prop:value=move || code_input.get()
                                        on:input=move |ev| code_input.set(event_target_value(&ev))
                                        aria-describedby="code-status" />
                                    <button type="submit" class="secondary">{tr.t("Apply")}</button>
                                </div>
                                <p id="code-status" class="field-note" aria-live="polite">
                                    {move || match (code_error.get(), discount.get()) {
                                        (Some(e), _) => view! { <span class="error">{e}</span> }.into_any(),
                                        (None, Some(d)) if d.code.is_some() => view! { <span class="ok">{tr.tf("{discount} applied.", &[("discount", &describe_discount(tr, &d))])}</span> }.into_any(),
                                        _ => ().into_any(),
                                    }}
                                </p>
                            </div>
                        })}
                    </form>
                })}
            </section>

            <section class="pay" aria-labelledby="pay-title">
                <h2 id="pay-title">{tr.t(match kind {
                    SessionKind::AddPaymentMethod => "Save a payment method",
                    SessionKind::ActivateSubscription => "Activate your subscription",
                    SessionKind::Purchase => "Payment details",
                })}</h2>
                {due_banner.map(|href| view! {
                    <p class="notice">{tr.t("Your payment is waiting for you to confirm it.")} " " <a href=href>{tr.t("Continue")}</a></p>
                })}
                <p class="banner" role="alert" hidden=move || form.banner.get().is_none()>{move || form.banner.get()}</p>
                <form class="payment" method="post" action="/api/checkout/confirm" novalidate=move || hydrated.get() on:submit=on_submit>
                    <input type="hidden" name="session_id" value=session_id.clone() />
                    <input type="hidden" name="lang" value=tr.lang().as_str() />
                    {adjustable.iter().map(|(i, _, q)| {
                        let q = *q;
                        view! { <input type="hidden" name=format!("quantity[{i}]") value=q.get_untracked() prop:value=move || q.get().to_string() /> }
                    }).collect_view()}
                    <input type="hidden" name="promotion_code"
                        value=move || discount.get().and_then(|d| d.code).unwrap_or_default() />

                    <fieldset class="contact">
                        <legend>{tr.t("Contact")}</legend>
                        {text_field(form, "email", tr.t("Email").into(), form.email, "email", "email", None, String::new(), locked_email, error_of)}
                        {text_field(form, "name", tr.t("Name").into(), form.name, "text", "name", None, String::new(), false, error_of)}
                    </fieldset>

                    {collection.phone.then(|| view! {
                        <fieldset class="contact-phone">
                            <legend class="visually-hidden">{tr.t("Phone")}</legend>
                            {text_field(form, "phone", tr.t("Phone number").into(), form.phone, "tel", "tel", Some("tel"), String::new(), false, error_of)}
                        </fieldset>
                    })}

                    {(!questions.is_empty()).then(|| view! {
                        <fieldset class="questions">
                            <legend>{tr.t("Additional information")}</legend>
                            {questions.iter().enumerate().map(|(i, q)| question_field(form, i, q, error_of)).collect_view()}
                        </fieldset>
                    })}

                    {ships.then(|| view! {
                        <fieldset class="address shipping">
                            <legend>{tr.t("Shipping address")}</legend>
                            {text_field(form, "shipping_name", tr.t("Full name").into(), form.shipping_name, "text", "shipping name", None, String::new(), false, error_of)}
                            {address_fields(form, Which::Shipping, form.shipping, true, shipping_options, error_of)}
                        </fieldset>
                        <div class="field check">
                            <input type="checkbox" id="f-billing_same_as_shipping" name="billing_same_as_shipping" value="on"
                                checked=form.same_as_shipping.get_untracked()
                                on:change=move |ev| form.same_as_shipping.set(event_target_checked(&ev)) />
                            <label for="f-billing_same_as_shipping">{tr.t("Billing address is the same as shipping")}</label>
                        </div>
                    })}

                    <fieldset class="address billing" hidden=move || ships && hydrated.get() && form.same_as_shipping.get()>
                        <legend>{tr.t(if ships { "Billing address (if not the same as shipping)" } else { "Billing address" })}</legend>
                        {address_fields(form, Which::Billing, form.billing, full_billing, billing_options, error_of)}
                    </fieldset>

                    {collection.tax_id.then(|| view! {
                        <fieldset class="business">
                            <legend class="visually-hidden">{tr.t("Business purchase")}</legend>
                            {text_field(form, "tax_id", tr.t("Tax ID (for a business purchase)").into(), form.tax_id, "text", "off", None, tax_id_example.clone(), false, error_of)}
                        </fieldset>
                    })}

                    <fieldset class="methods" hidden=move || !needs_method.get()>
                        <legend>{tr.t("Payment method")}</legend>
                        {(!saved_methods.is_empty()).then(|| view! {
                            <div class="chooser saved" role="radiogroup" aria-label=tr.t("Your saved payment methods")>
                                {saved_methods.iter().map(|m| {
                                    let id = format!("saved-{}", m.id);
                                    let value = m.id.clone();
                                    let chosen = value.clone();
                                    view! {
                                        <label class="choice" for=id.clone()>
                                            <input type="radio" id=id.clone() name="saved_payment_method" value=value.clone()
                                                checked=form.saved.get_untracked() == value
                                                on:change=move |_| form.saved.set(chosen.clone()) />
                                            <span>{m.label.clone()}</span>
                                            {m.expires.clone().map(|e| view! { <span class="hint">{format!(" {}", tr.tf("expires {date}", &[("date", &e)]))}</span> })}
                                        </label>
                                    }
                                }).collect_view()}
                                <label class="choice" for="saved-new">
                                    <input type="radio" id="saved-new" name="saved_payment_method" value="new"
                                        checked=form.saved.get_untracked() == "new"
                                        on:change=move |_| form.saved.set("new".to_owned()) />
                                    <span>{tr.t("Use another payment method")}</span>
                                </label>
                            </div>
                        })}
                        <div class="new-method" hidden=move || hydrated.get() && form.saved.get() != "new">
                        {(method_sections.len() > 1).then(|| {
                            let choices = method_sections.clone();
                            view! {
                                <div class="chooser" role="radiogroup" aria-label=tr.t("Payment method")>
                                    {choices.into_iter().map(|t| {
                                        let value = t.as_str();
                                        let id = format!("method-{value}");
                                        view! {
                                            <label class="choice" for=id.clone()>
                                                <input type="radio" id=id.clone() name="payment_method_type" value=value
                                                    checked=form.method.get_untracked() == value
                                                    on:change=move |_| form.method.set(value.to_owned()) />
                                                <span>{tr.t(method_label(t))}</span>
                                            </label>
                                        }
                                    }).collect_view()}
                                </div>
                            }
                        })}
                        {(method_sections.len() == 1).then(|| view! {
                            <input type="hidden" name="payment_method_type" value=method_sections[0].as_str() />
                        })}
                        {
                            let several = method_sections.len() > 1;
                            let first_bank = method_sections
                                .iter()
                                .find(|m| matches!(m, PaymentMethodType::SepaDebit | PaymentMethodType::UsBankAccount))
                                .copied();
                            method_sections.iter().map(|t| method_fields(*t, form, hydrated, error_of, several, first_bank)).collect_view()
                        }
                        {can_save.then(|| view! {
                            <div class="field check">
                                <input type="checkbox" id="f-save_payment_method" name="save_payment_method" value="on"
                                    checked=form.keep.get_untracked()
                                    on:change=move |ev| form.keep.set(event_target_checked(&ev)) />
                                <label for="f-save_payment_method">{tr.tf("Save my payment details with {merchant} for next time", &[("merchant", &save_with)])}</label>
                            </div>
                        })}
                        </div>
                    </fieldset>

                    {terms.map(|href| view! {
                        <div class="field check terms" class:invalid=move || error_of("terms_of_service").is_some()>
                            <input type="checkbox" id="f-terms_of_service" name="terms_of_service" value="accepted"
                                checked=form.terms.get_untracked()
                                aria-invalid=move || error_of("terms_of_service").is_some().to_string()
                                aria-describedby="e-terms_of_service"
                                on:change=move |ev| {
                                    form.terms.set(event_target_checked(&ev));
                                    form.server_errors.update(|e| { e.remove("terms_of_service"); });
                                } />
                            <label for="f-terms_of_service">
                                {tr.tf("I agree to the terms of service of {merchant}.", &[("merchant", &terms_merchant)])}
                                " "
                                <a href=href target="_blank" rel="noopener">{tr.t("Read the terms")}</a>
                            </label>
                            <p class="field-error" id="e-terms_of_service">{move || error_of("terms_of_service")}</p>
                        </div>
                    })}

                    // The amount the button says: the server charges it or nothing (a total changed
                    // since, by the country's tax or a quantity, is shown again first).
                    <input type="hidden" name="shown_total"
                        value=totals.get_untracked().map(|t| t.due_today.to_string())
                        prop:value=move || totals.get().map(|t| t.due_today.to_string()).unwrap_or_default() />
                    <p class="field-error" id="e-total" role="alert">{move || error_of("total")}</p>
                    <button type="submit" class="primary" disabled=move || form.sending.get()>
                        {move || if form.sending.get() { tr.t("Processing…") } else { submit_label.get() }}
                    </button>
                    {cancel_url.map(|url| view! {
                        <p class="cancel"><a href=url>{tr.tf("Cancel and return to {merchant}", &[("merchant", &merchant)])}</a></p>
                    })}
                </form>
            </section>
        </div>
    }
}

/// One of the session's questions: a text or number input, or a list to choose from.
fn question_field(
    form: Form,
    i: usize,
    question: &CustomField,
    error_of: impl Fn(&'static str) -> Option<String> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let tr = use_tr();
    let name = CUSTOM_NAMES[i];
    let value = form.custom[i];
    let label = if question.optional {
        tr.tf("{label} (optional)", &[("label", &question.label)])
    } else {
        question.label.clone()
    };
    match &question.kind {
        CustomFieldKind::Text(_) => text_field(
            form,
            name,
            label.into(),
            value,
            "text",
            "off",
            None,
            String::new(),
            false,
            error_of,
        )
        .into_any(),
        CustomFieldKind::Numeric(_) => text_field(
            form,
            name,
            label.into(),
            value,
            "text",
            "off",
            Some("numeric"),
            String::new(),
            false,
            error_of,
        )
        .into_any(),
        CustomFieldKind::Dropdown { options, .. } => {
            let id = format!("f-{name}");
            let error_id = format!("e-{name}");
            let chosen = value.get_untracked();
            view! {
                <div class="field" class:invalid=move || error_of(name).is_some()>
                    <label for=id.clone()>{label}</label>
                    <select id=id name=name
                        aria-invalid=move || error_of(name).is_some().to_string()
                        aria-describedby=error_id.clone()
                        on:change=move |ev| {
                            value.set(event_target_value(&ev));
                            form.touched.update(|t| { t.insert(name.to_owned()); });
                            form.server_errors.update(|e| { e.remove(name); });
                        }>
                        <option value="" selected=chosen.is_empty()>{tr.t("Choose an option")}</option>
                        {options.iter().map(|o| view! {
                            <option value=o.value.clone() selected=chosen == o.value>{o.label.clone()}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id=error_id>{move || error_of(name)}</p>
                </div>
            }
            .into_any()
        }
    }
}

/// A labelled input whose error sits under it.
#[allow(clippy::too_many_arguments)]
fn text_field(
    form: Form,
    name: &'static str,
    // One type for fixed and changing labels: the view is built once, not once per label type.
    label: Signal<String>,
    value: RwSignal<String>,
    kind: &'static str,
    autocomplete: &'static str,
    inputmode: Option<&'static str>,
    placeholder: String,
    readonly: bool,
    error_of: impl Fn(&'static str) -> Option<String> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = format!("f-{name}");
    let error_id = format!("e-{name}");
    view! {
        <div class="field" class:invalid=move || error_of(name).is_some()>
            <label for=id.clone()>{label}</label>
            <input id=id name=name type=kind autocomplete=autocomplete inputmode=inputmode placeholder=placeholder
                readonly=readonly
                value=value.get_untracked() prop:value=move || value.get()
                aria-invalid=move || error_of(name).is_some().to_string()
                aria-describedby=error_id.clone()
                on:input=move |ev| {
                    let typed = event_target_value(&ev);
                    value.set(match name {
                        "card_number" => format_as_typed(&typed),
                        "card_exp" => format_expiry_as_typed(&typed),
                        _ => typed,
                    });
                    form.server_errors.update(|e| { e.remove(name); });
                }
                on:blur=move |_| form.touched.update(|t| { t.insert(name.to_owned()); }) />
            <p class="field-error" id=error_id>{move || error_of(name)}</p>
        </div>
    }
}

/// The lines of an address in its country's format: the region line and the postal code's label
/// follow the country as it is chosen (without JavaScript, the country the page was served with:
/// a post with another country comes back with its format). `full` asks for every line; else
/// only the country and the postal code, as card networks need.
fn address_fields(
    form: Form,
    which: Which,
    address: AddressSignals,
    full: bool,
    options_html: String,
    error_of: impl Fn(&'static str) -> Option<String> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let tr = use_tr();
    let format = Memo::new(move |_| AddressFormat::of(&address.country.get()));
    let country = which.field("country");
    let select_id = format!("f-{country}");
    let error_id = format!("e-{country}");
    let select = view! {
        <div class="field" class:invalid=move || error_of(country).is_some()>
            <label for=select_id.clone()>{tr.t("Country")}</label>
            <select id=select_id name=country
                autocomplete=if which == Which::Shipping { "shipping country" } else { "country" }
                aria-invalid=move || error_of(country).is_some().to_string()
                aria-describedby=error_id.clone()
                on:change=move |ev| {
                    address.country.set(event_target_value(&ev));
                    form.touched.update(|t| { t.insert(country.into()); });
                    form.server_errors.update(|e| { e.remove(country); });
                }
                inner_html=options_html>
            </select>
            <p class="field-error" id=error_id>{move || error_of(country)}</p>
        </div>
    };
    let postal = text_field(
        form,
        which.field("postal_code"),
        Signal::derive(move || tr.t(format.get().postal_label)),
        address.postal_code,
        "text",
        if which == Which::Shipping {
            "shipping postal-code"
        } else {
            "postal-code"
        },
        None,
        String::new(),
        false,
        error_of,
    );
    let lines = full.then(|| {
        let state = which.field("state");
        view! {
            {text_field(form, which.field("line1"), tr.t("Address").into(), address.line1, "text",
                if which == Which::Shipping { "shipping address-line1" } else { "address-line1" }, None, String::new(), false, error_of)}
            {text_field(form, which.field("line2"), tr.t("Apartment, suite, etc. (optional)").into(), address.line2, "text",
                if which == Which::Shipping { "shipping address-line2" } else { "address-line2" }, None, String::new(), false, error_of)}
            <div class="pair">
                <div hidden=move || !format.get().city>
                    {text_field(form, which.field("city"), tr.t("City").into(), address.city, "text",
                        if which == Which::Shipping { "shipping address-level2" } else { "address-level2" }, None, String::new(), false, error_of)}
                </div>
                <div hidden=move || format.get().state_label.is_none()>
                    {text_field(form, state, Signal::derive(move || tr.t(format.get().state_label.unwrap_or("State"))), address.state, "text",
                        if which == Which::Shipping { "shipping address-level1" } else { "address-level1" }, None, String::new(), false, error_of)}
                </div>
            </div>
        }
    });
    view! { {select} {lines} {postal} }
}

/// The fields one payment method needs. Without JavaScript every method's fields show, each under
/// its heading; with it only the chosen method's.
fn method_fields(
    t: PaymentMethodType,
    form: Form,
    hydrated: RwSignal<bool>,
    error_of: impl Fn(&'static str) -> Option<String> + Copy + Send + Sync + 'static,
    several: bool,
    // The bank methods share one account holder field, shown with the first of them.
    first_bank: Option<PaymentMethodType>,
) -> impl IntoView {
    let tr = use_tr();
    let expiry_placeholder = tr.t("MM / YY");
    let value = t.as_str();
    let hidden = move || hydrated.get() && form.method.get() != value;
    let holder = move || {
        (first_bank == Some(t)).then(|| {
            text_field(
                form,
                "account_holder",
                tr.t("Account holder").into(),
                form.account_holder,
                "text",
                "name",
                None,
                String::new(),
                false,
                error_of,
            )
        })
    };
    let body = match t {
        PaymentMethodType::Card => view! {
            {text_field(form, "card_number", tr.t("Card number").into(), form.card_number, "text", "cc-number", Some("numeric"), "1234 1234 1234 1234".into(), false, error_of)}
            <p class="brand" aria-live="polite">{move || {
                let digits: String = form.card_number.get().chars().filter(char::is_ascii_digit).collect();
                let brand = CardBrand::detect(&digits);
                (!digits.is_empty() && brand != CardBrand::Unknown).then(|| brand.display_name())
            }}</p>
            <div class="pair">
                {text_field(form, "card_exp", tr.t("Expiry (MM / YY)").into(), form.card_exp, "text", "cc-exp", Some("numeric"), expiry_placeholder, false, error_of)}
                {text_field(form, "card_cvc", tr.t("CVC").into(), form.card_cvc, "text", "cc-csc", Some("numeric"), "123".into(), false, error_of)}
            </div>
            {text_field(form, "card_name", tr.t("Name on card").into(), form.card_name, "text", "cc-name", None, String::new(), false, error_of)}
        }
        .into_any(),
        PaymentMethodType::SepaDebit => view! {
            {text_field(form, "iban", tr.t("IBAN").into(), form.iban, "text", "off", None, "DE89 3704 0044 0532 0130 00".into(), false, error_of)}
            {holder()}
            <p class="fine-print">{tr.t("By paying you authorise the merchant to debit your account. Debits settle in a few days (seconds in test mode).")}</p>
        }
        .into_any(),
        PaymentMethodType::UsBankAccount => view! {
            {text_field(form, "routing_number", tr.t("Routing number").into(), form.routing_number, "text", "off", Some("numeric"), "110000000".into(), false, error_of)}
            {text_field(form, "account_number", tr.t("Account number").into(), form.account_number, "text", "off", Some("numeric"), "000123456789".into(), false, error_of)}
            {holder()}
        }
        .into_any(),
        other => view! {
            <p class="fine-print">{tr.tf("You will approve the payment with {method} on the next page.", &[("method", &tr.t(method_label(other)))])}</p>
        }
        .into_any(),
    };
    view! {
        <div class="method" data-method=value hidden=hidden>
            {several.then(|| view! { <h3 class="method-title" hidden=move || hydrated.get()>{tr.t(method_label(t))}</h3> })}
            {body}
        </div>
    }
}

fn focus_first_error(errors: &BTreeMap<String, String>) {
    #[cfg(feature = "hydrate")]
    {
        let order = [
            "email",
            "name",
            "phone",
            "custom_fields[0]",
            "custom_fields[1]",
            "custom_fields[2]",
            "shipping_name",
            "shipping_country",
            "shipping_line1",
            "shipping_city",
            "shipping_state",
            "shipping_postal_code",
            "country",
            "line1",
            "city",
            "state",
            "postal_code",
            "tax_id",
            "card_number",
            "card_exp",
            "card_cvc",
            "iban",
            "routing_number",
            "account_number",
            "account_holder",
            "terms_of_service",
        ];
        if let Some(field) = order.iter().find(|f| errors.contains_key(**f))
            && let Some(element) = document().get_element_by_id(&format!("f-{field}"))
            && let Ok(input) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(element)
        {
            let _ = input.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = errors;
}

/// Asks the `apply_promotion_code` server function about a code, as its own client would (a form
/// post, a JSON answer), but through the fetch the island already uses for the confirm: the server
/// function client and its query-string encoder would otherwise be the largest part of the
/// checkout's bundle after the view. None when the server could not answer.
#[cfg(feature = "hydrate")]
async fn check_promotion_code(
    session_id: &str,
    code: &str,
    lang: crate::i18n::Lang,
) -> Option<Result<crate::server_fns::checkout::DiscountView, String>> {
    use crate::server_fns::checkout::ApplyPromotionCode;
    use leptos::server_fn::ServerFn;
    let params = web_sys::UrlSearchParams::new().ok()?;
    params.append("session_id", session_id);
    params.append("code", code);
    params.append("lang", lang.as_str());
    let body: String = params.to_string().into();
    let response = gloo_net::http::Request::post(ApplyPromotionCode::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .ok()?
        .send()
        .await
        .ok()?;
    if !response.ok() {
        return None;
    }
    response.json().await.ok()
}

/// Sends the form as the plain post would, but in the background, and acts on the answer: on to
/// the next page, or the errors and the decline shown in place.
#[cfg(feature = "hydrate")]
fn send_in_background(ev: leptos::ev::SubmitEvent, form: Form, session_id: String, tr: Tr) {
    use crate::server_fns::checkout::ConfirmResponse;
    use wasm_bindgen::JsCast;
    let Some(element) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    let Ok(data) = web_sys::FormData::new_with_form(&element) else {
        return;
    };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data) else {
        return;
    };
    ev.prevent_default();
    form.sending.set(true);
    form.banner.set(None);
    let body: String = params.to_string().into();
    leptos::task::spawn_local(async move {
        let answer = async {
            gloo_net::http::Request::post("/api/checkout/confirm")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(body)?
                .send()
                .await?
                .json::<ConfirmResponse>()
                .await
        }
        .await;
        form.sending.set(false);
        let location = window().location();
        match answer {
            Ok(ConfirmResponse::Redirect { url }) => {
                form.sending.set(true);
                let _ = location.assign(&url);
            }
            Ok(ConfirmResponse::Declined { message }) => {
                form.card_cvc.set(String::new());
                form.banner.set(Some(message));
            }
            Ok(ConfirmResponse::Invalid { errors }) => {
                let errors: BTreeMap<String, String> = errors.into_iter().collect();
                focus_first_error(&errors);
                form.banner.set(Some(tr.t("Check the details marked below.")));
                form.server_errors.set(errors);
            }
            Ok(ConfirmResponse::Closed { .. }) => {
                let _ = location.assign(&format!("/checkout/{session_id}"));
            }
            Ok(
                ConfirmResponse::Busy { message }
                | ConfirmResponse::Unavailable { message }
                | ConfirmResponse::Limited { message, .. },
            ) => form.banner.set(Some(message)),
            // The request may have arrived and charged: never say it did not.
            Err(_) => form.banner.set(Some(tr.t("We could not hear back from the server. Check your connection, then reload this page: it shows whether your payment went through."))),
        }
    });
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::country_options;
    use crate::i18n::Lang;

    fn selected(html: &str) -> Vec<&str> {
        html.split("<option value=\"")
            .filter(|o| o.contains("\" selected>"))
            .map(|o| &o[..o.find('"').unwrap_or(0)])
            .collect()
    }

    #[test]
    fn the_country_list_marks_the_buyers_country_and_only_it() {
        let none = country_options(Lang::En, "", None, "Pick one");
        assert!(none.starts_with(r#"<option value="" selected>Pick one</option>"#));
        assert_eq!(selected(&none), [""]);
        assert!(none.matches("<option value=").count() > 240);

        let german = country_options(Lang::En, "de", None, "Pick one");
        assert!(german.starts_with(r#"<option value="">Pick one</option>"#));
        assert!(german.contains(r#"<option value="DE" selected>Germany</option>"#));
        assert_eq!(selected(&german), ["DE"]);
        // The same list as unselected, but for the mark.
        assert_eq!(
            german.replace(" selected", ""),
            none.replace(" selected", "")
        );
        // A code that names no country: no option is selected, not even the placeholder.
        assert!(selected(&country_options(Lang::En, "XX", None, "Pick one")).is_empty());
    }

    #[test]
    fn a_list_of_allowed_countries_keeps_their_order_by_name_and_the_mark() {
        let allowed = ["US".to_owned(), "AT".to_owned(), "CA".to_owned()];
        let html = country_options(Lang::De, "ca", Some(&allowed), "Land wählen");
        assert_eq!(
            html,
            concat!(
                r#"<option value="">Land wählen</option>"#,
                r#"<option value="CA" selected>Kanada</option>"#,
                r#"<option value="AT">Österreich</option>"#,
                r#"<option value="US">Vereinigte Staaten</option>"#,
            )
        );
        let escaped = country_options(Lang::En, "", Some(&["CI".to_owned()]), "<pick>");
        assert_eq!(
            escaped,
            r#"<option value="" selected>&lt;pick&gt;</option><option value="CI">Côte d'Ivoire</option>"#
        );
    }
}
