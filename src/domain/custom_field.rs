//! Questions a merchant adds to the checkout (Stripe's `custom_fields`): up to three, each a
//! text, a number or a choice from a list, required unless marked optional. The definitions are
//! checked when the session is made; the buyer's answers by the same code in the browser and on
//! the server.

use crate::domain::field::{Field, FieldError};
use serde::{Deserialize, Serialize};

/// The most questions a session asks.
pub const MAX_CUSTOM_FIELDS: usize = 3;
/// The longest key and option value, and the longest label, as Stripe allows them.
pub const MAX_KEY_LENGTH: usize = 200;
pub const MAX_VALUE_LENGTH: usize = 100;
pub const MAX_LABEL_LENGTH: usize = 50;
/// The most options a list offers.
pub const MAX_OPTIONS: usize = 200;
/// The longest answer a text or numeric field takes.
pub const MAX_ANSWER_LENGTH: u32 = 255;

/// A question on the checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomField {
    /// The merchant's name for the answer (letters and digits).
    pub key: String,
    /// What the buyer reads.
    pub label: String,
    pub optional: bool,
    pub kind: CustomFieldKind,
}

/// Kept as `{"text": {…}}` (serde's external tagging): an internally tagged enum would bring
/// serde's buffering deserializer into the checkout's wasm for this one type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum CustomFieldKind {
    Text(Lengths),
    /// Digits only.
    Numeric(Lengths),
    Dropdown {
        options: Vec<CustomOption>,
        default_value: Option<String>,
    },
}

/// How long a text or numeric answer may be, and what the field starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Lengths {
    pub minimum_length: Option<u32>,
    pub maximum_length: Option<u32>,
    pub default_value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomOption {
    pub label: String,
    pub value: String,
}

impl CustomFieldKind {
    /// Stripe's name of the type.
    pub fn as_str(&self) -> &'static str {
        match self {
            CustomFieldKind::Text(_) => "text",
            CustomFieldKind::Numeric(_) => "numeric",
            CustomFieldKind::Dropdown { .. } => "dropdown",
        }
    }
}

impl CustomField {
    /// What the field shows before the buyer types.
    pub fn default_value(&self) -> Option<&str> {
        match &self.kind {
            CustomFieldKind::Text(l) | CustomFieldKind::Numeric(l) => l.default_value.as_deref(),
            CustomFieldKind::Dropdown { default_value, .. } => default_value.as_deref(),
        }
    }
}

impl From<&CustomField> for CustomFieldDraft {
    /// A checked question as a request again (a payment link's template, checked anew for each
    /// session it makes).
    fn from(field: &CustomField) -> Self {
        let mut draft = CustomFieldDraft {
            key: Some(field.key.clone()),
            label: Some(field.label.clone()),
            kind: Some(field.kind.as_str().to_owned()),
            optional: Some(field.optional),
            default_value: field.default_value().map(str::to_owned),
            ..CustomFieldDraft::default()
        };
        match &field.kind {
            CustomFieldKind::Text(l) | CustomFieldKind::Numeric(l) => {
                draft.minimum_length = l.minimum_length.map(i64::from);
                draft.maximum_length = l.maximum_length.map(i64::from);
            }
            CustomFieldKind::Dropdown { options, .. } => {
                draft.options = options
                    .iter()
                    .map(|o| (Some(o.label.clone()), Some(o.value.clone())))
                    .collect();
            }
        }
        draft
    }
}

/// A question as a dialect read it, not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomFieldDraft {
    pub key: Option<String>,
    pub label: Option<String>,
    pub kind: Option<String>,
    pub optional: Option<bool>,
    pub minimum_length: Option<i64>,
    pub maximum_length: Option<i64>,
    pub default_value: Option<String>,
    /// A dropdown's options: (label, value).
    pub options: Vec<(Option<String>, Option<String>)>,
}

fn setting(i: usize, path: &'static str, message: impl Into<String>) -> FieldError {
    FieldError::invalid(Field::CustomFieldSetting(i, path), message)
}

fn is_key(s: &str, max: usize) -> bool {
    !s.is_empty() && s.chars().count() <= max && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Checks a session's questions: at most three, each with a unique alphanumeric key, a label of
/// 1 to 50 characters, a type, lengths from 1 to 255 (the minimum not above the maximum) for text
/// and numbers, and for a list 1 to 200 options with unique values; a default must be one the
/// field would accept.
pub fn check_custom_fields(
    drafts: Vec<CustomFieldDraft>,
) -> Result<Vec<CustomField>, Vec<FieldError>> {
    if drafts.len() > MAX_CUSTOM_FIELDS {
        return Err(vec![FieldError::invalid(
            Field::CustomFields,
            format!("a session asks at most {MAX_CUSTOM_FIELDS} custom fields"),
        )]);
    }
    let mut errors = Vec::new();
    let mut fields = Vec::with_capacity(drafts.len());
    for (i, draft) in drafts.into_iter().enumerate() {
        let key = draft.key.unwrap_or_default();
        if !is_key(&key, MAX_KEY_LENGTH) {
            errors.push(setting(
                i,
                "key",
                format!("a key is 1 to {MAX_KEY_LENGTH} letters and digits"),
            ));
        } else if fields.iter().any(|f: &CustomField| f.key == key) {
            errors.push(setting(i, "key", format!("the key `{key}` is used twice")));
        }
        let label = draft.label.unwrap_or_default().trim().to_owned();
        if label.is_empty() || label.chars().count() > MAX_LABEL_LENGTH {
            errors.push(setting(
                i,
                "label.custom",
                format!("a label is 1 to {MAX_LABEL_LENGTH} characters"),
            ));
        }
        let default_value = draft.default_value.clone().filter(|d| !d.is_empty());
        let kind = match draft.kind.as_deref() {
            Some(kind @ ("text" | "numeric")) => {
                let lengths = check_lengths(
                    i,
                    (draft.minimum_length, draft.maximum_length),
                    default_value,
                    kind == "numeric",
                    &mut errors,
                );
                if kind == "text" {
                    CustomFieldKind::Text(lengths)
                } else {
                    CustomFieldKind::Numeric(lengths)
                }
            }
            Some("dropdown") => {
                let mut options: Vec<CustomOption> = Vec::new();
                let draft_options = draft.options;
                if draft_options.is_empty() || draft_options.len() > MAX_OPTIONS {
                    errors.push(setting(
                        i,
                        "dropdown.options",
                        format!("a dropdown offers 1 to {MAX_OPTIONS} options"),
                    ));
                }
                for (label, value) in draft_options {
                    let label = label.unwrap_or_default().trim().to_owned();
                    let value = value.unwrap_or_default();
                    if label.is_empty() || label.chars().count() > MAX_LABEL_LENGTH {
                        errors.push(setting(
                            i,
                            "dropdown.options",
                            format!("an option's label is 1 to {MAX_LABEL_LENGTH} characters"),
                        ));
                    } else if !is_key(&value, MAX_VALUE_LENGTH) {
                        errors.push(setting(
                            i,
                            "dropdown.options",
                            format!(
                                "an option's value is 1 to {MAX_VALUE_LENGTH} letters and digits"
                            ),
                        ));
                    } else if options.iter().any(|o| o.value == value) {
                        errors.push(setting(
                            i,
                            "dropdown.options",
                            format!("the value `{value}` is offered twice"),
                        ));
                    } else {
                        options.push(CustomOption { label, value });
                    }
                }
                if let Some(default) = &default_value
                    && !options.iter().any(|o| &o.value == default)
                {
                    errors.push(setting(
                        i,
                        "dropdown.default_value",
                        "the default value must be one of the options' values",
                    ));
                }
                CustomFieldKind::Dropdown {
                    options,
                    default_value,
                }
            }
            other => {
                errors.push(FieldError::new(
                    Field::CustomFieldSetting(i, "type"),
                    if other.is_none() {
                        "parameter_missing"
                    } else {
                        "parameter_invalid"
                    },
                    "a custom field's type is text, numeric or dropdown",
                ));
                continue;
            }
        };
        fields.push(CustomField {
            key,
            label,
            optional: draft.optional.unwrap_or(false),
            kind,
        });
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(errors)
    }
}

fn check_lengths(
    i: usize,
    (minimum, maximum): (Option<i64>, Option<i64>),
    default_value: Option<String>,
    numeric: bool,
    errors: &mut Vec<FieldError>,
) -> Lengths {
    let path = |name: &'static str| -> &'static str {
        match (numeric, name) {
            (false, "minimum_length") => "text.minimum_length",
            (false, "maximum_length") => "text.maximum_length",
            (false, _) => "text.default_value",
            (true, "minimum_length") => "numeric.minimum_length",
            (true, "maximum_length") => "numeric.maximum_length",
            (true, _) => "numeric.default_value",
        }
    };
    let mut bound = |value: Option<i64>, name: &'static str| -> Option<u32> {
        let value = value?;
        if (1..=i64::from(MAX_ANSWER_LENGTH)).contains(&value) {
            Some(value as u32)
        } else {
            errors.push(setting(
                i,
                path(name),
                format!("a length is from 1 to {MAX_ANSWER_LENGTH}"),
            ));
            None
        }
    };
    let minimum_length = bound(minimum, "minimum_length");
    let maximum_length = bound(maximum, "maximum_length");
    if let (Some(min), Some(max)) = (minimum_length, maximum_length)
        && min > max
    {
        errors.push(setting(
            i,
            path("minimum_length"),
            "the minimum length must not be above the maximum",
        ));
    }
    let lengths = Lengths {
        minimum_length,
        maximum_length,
        default_value,
    };
    if let Some(default) = &lengths.default_value
        && answer_problem(default, numeric, &lengths).is_some()
    {
        errors.push(setting(
            i,
            path("default_value"),
            "the default value must be an answer the field accepts",
        ));
    }
    lengths
}

/// Why `answer` does not fit a text or numeric field, in the words the buyer reads (English, the
/// page's key to its translations).
fn answer_problem(answer: &str, numeric: bool, lengths: &Lengths) -> Option<String> {
    let count = answer.chars().count() as u32;
    let maximum = lengths.maximum_length.unwrap_or(MAX_ANSWER_LENGTH);
    if numeric && !answer.chars().all(|c| c.is_ascii_digit()) {
        Some("Enter only digits.".to_owned())
    } else if lengths.minimum_length.is_some_and(|min| count < min) {
        Some(format!(
            "Enter at least {} characters.",
            lengths.minimum_length.unwrap_or_default()
        ))
    } else if count > maximum {
        Some(format!("Enter at most {maximum} characters."))
    } else {
        None
    }
}

/// A buyer's answer to one question, as kept on the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomAnswer {
    pub key: String,
    pub value: String,
}

/// What a buyer gave beyond their details: their answers, and their consent to the terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Answers {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomAnswer>,
    #[serde(default)]
    pub terms_of_service_accepted: bool,
}

impl Answers {
    /// The answer to the question `key`.
    pub fn value_of(&self, key: &str) -> Option<&str> {
        self.custom
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

/// Checks the buyer's `answers` (by the questions' positions) against `fields`: a required
/// question answered, a number in digits, a length within bounds, a choice among the options.
/// Unanswered optional questions are left out of what it returns.
pub fn check_answers(
    fields: &[CustomField],
    answers: &[Option<String>],
) -> Result<Vec<CustomAnswer>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut kept = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let answer = answers
            .get(i)
            .and_then(|a| a.as_deref())
            .map(str::trim)
            .filter(|a| !a.is_empty());
        let Some(answer) = answer else {
            if !field.optional {
                errors.push(FieldError::missing(
                    Field::CustomField(i),
                    match field.kind {
                        CustomFieldKind::Dropdown { .. } => "Choose an option.",
                        _ => "Fill in this field.",
                    },
                ));
            }
            continue;
        };
        let problem = match &field.kind {
            CustomFieldKind::Text(lengths) => answer_problem(answer, false, lengths),
            CustomFieldKind::Numeric(lengths) => answer_problem(answer, true, lengths),
            CustomFieldKind::Dropdown { options, .. } => {
                (!options.iter().any(|o| o.value == answer)).then(|| "Choose an option.".to_owned())
            }
        };
        match problem {
            Some(message) => errors.push(FieldError::invalid(Field::CustomField(i), message)),
            None => kept.push(CustomAnswer {
                key: field.key.clone(),
                value: answer.to_owned(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(kept)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(key: &str, min: Option<i64>, max: Option<i64>) -> CustomFieldDraft {
        CustomFieldDraft {
            key: Some(key.into()),
            label: Some("Engraving".into()),
            kind: Some("text".into()),
            minimum_length: min,
            maximum_length: max,
            ..Default::default()
        }
    }

    fn fields_of(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field.to_string()).collect()
    }

    #[test]
    fn definitions_are_checked_each_naming_its_setting() {
        let dropdown = CustomFieldDraft {
            key: Some("size".into()),
            label: Some("Size".into()),
            kind: Some("dropdown".into()),
            options: vec![
                (Some("Small".into()), Some("s".into())),
                (Some("Large".into()), Some("s".into())),
            ],
            default_value: Some("m".into()),
            ..Default::default()
        };
        let errors = check_custom_fields(vec![
            text("engraving", Some(10), Some(5)),
            text("engraving", None, Some(300)),
            dropdown,
        ])
        .unwrap_err();
        assert_eq!(
            fields_of(errors),
            [
                "custom_fields[0].text.minimum_length",
                "custom_fields[1].key",
                "custom_fields[1].text.maximum_length",
                "custom_fields[2].dropdown.options",
                "custom_fields[2].dropdown.default_value",
            ]
        );
        let four = vec![text("a", None, None); 4];
        assert_eq!(
            fields_of(check_custom_fields(four).unwrap_err()),
            ["custom_fields"]
        );
        let spaced = text("gift note", None, None);
        assert_eq!(
            fields_of(check_custom_fields(vec![spaced]).unwrap_err()),
            ["custom_fields[0].key"]
        );
    }

    #[test]
    fn answers_are_checked_against_their_questions() {
        let mut optional = text("note", None, Some(5));
        optional.optional = Some(true);
        let fields = check_custom_fields(vec![
            text("engraving", Some(2), None),
            CustomFieldDraft {
                kind: Some("numeric".into()),
                ..text("vat", None, Some(8))
            },
            optional,
        ])
        .unwrap();
        let errors =
            check_answers(&fields, &[Some(" ".into()), Some("12a".into()), None]).unwrap_err();
        assert_eq!(
            errors
                .iter()
                .map(|e| (e.field.to_string(), e.message.as_str()))
                .collect::<Vec<_>>(),
            [
                ("custom_fields[0]".to_owned(), "Fill in this field."),
                ("custom_fields[1]".to_owned(), "Enter only digits."),
            ]
        );
        let errors = check_answers(
            &fields,
            &[
                Some("A".into()),
                Some("123456789".into()),
                Some("toolong".into()),
            ],
        )
        .unwrap_err();
        assert_eq!(
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>(),
            [
                "Enter at least 2 characters.",
                "Enter at most 8 characters.",
                "Enter at most 5 characters."
            ]
        );
        let kept =
            check_answers(&fields, &[Some(" Ada ".into()), Some("42".into()), None]).unwrap();
        assert_eq!(
            kept,
            [
                CustomAnswer {
                    key: "engraving".into(),
                    value: "Ada".into()
                },
                CustomAnswer {
                    key: "vat".into(),
                    value: "42".into()
                },
            ]
        );
    }

    #[test]
    fn a_checked_question_made_a_request_again_checks_to_itself() {
        let mut numeric = text("vat", Some(2), Some(8));
        numeric.kind = Some("numeric".into());
        numeric.optional = Some(true);
        numeric.default_value = Some("42".into());
        let dropdown = CustomFieldDraft {
            key: Some("size".into()),
            label: Some("Size".into()),
            kind: Some("dropdown".into()),
            options: vec![(Some("Small".into()), Some("s".into()))],
            default_value: Some("s".into()),
            ..Default::default()
        };
        let fields =
            check_custom_fields(vec![text("engraving", None, Some(20)), numeric, dropdown])
                .unwrap();
        let again: Vec<CustomFieldDraft> = fields.iter().map(CustomFieldDraft::from).collect();
        assert_eq!(check_custom_fields(again).unwrap(), fields);
    }

    #[test]
    fn a_choice_must_be_one_of_the_options() {
        let fields = check_custom_fields(vec![CustomFieldDraft {
            key: Some("size".into()),
            label: Some("Size".into()),
            kind: Some("dropdown".into()),
            options: vec![
                (Some("Small".into()), Some("s".into())),
                (Some("Large".into()), Some("l".into())),
            ],
            ..Default::default()
        }])
        .unwrap();
        assert!(check_answers(&fields, &[Some("xl".into())]).is_err());
        assert!(check_answers(&fields, &[None]).is_err());
        assert_eq!(
            check_answers(&fields, &[Some("l".into())]).unwrap()[0].value,
            "l"
        );
    }
}
