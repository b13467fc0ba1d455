//! libphonenumber's parse on the plans of [`plan`](super::plan): from written digits to a
//! calling code and a national significant number.
//!
//! The steps are those of libphonenumber's `parseHelper`: take the number from its first digit
//! or `+`, read the calling code after a `+` or the region's international prefix (or, without
//! either, the region's own), strip a national prefix where the plan says so, and bound the
//! length. Validity is a separate question ([`plan::is_valid`]).

use std::sync::OnceLock;

use regex::Regex;

use super::plan::{self, Length, MAX_NATIONAL_DIGITS, MIN_NATIONAL_DIGITS, Territory};

/// Why libphonenumber's parse refuses the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// Fewer digits than a phone number has.
    NotANumber,
    /// No calling code could be read, or it does not exist.
    InvalidCountryCode,
    /// Too few digits after an international prefix or `+`.
    TooShortAfterIdd,
    /// Too few digits in the national number.
    TooShortNsn,
    /// Too many digits in the national number.
    TooLongNsn,
}

/// A parsed number: its calling code and national significant number (ASCII digits).
///
/// No `Debug`: the national number is personal data.
pub(super) struct Parsed {
    pub code: u16,
    pub national: String,
}

/// Whether `c` starts a number: a digit or a plus sign.
fn starts_number(c: char) -> bool {
    matches!(c, '+' | '＋') || plan::digit_value(c).is_some()
}

/// The ASCII digit `c` reads as, when it is a digit of any script.
fn ascii_digit(c: char) -> Option<char> {
    plan::digit_value(c).map(|d| char::from(b'0' + d))
}

/// The ASCII digits of `text`, every other character dropped.
fn normalize(text: &str) -> String {
    text.chars().filter_map(ascii_digit).collect()
}

/// Parses `text`, written with digits, one leading `+` and separators only, with the plan of
/// `region` for input without a calling code.
pub(super) fn parse(text: &str, region: Option<&'static Territory>) -> Result<Parsed, Failure> {
    let start = text.find(starts_number).ok_or(Failure::NotANumber)?;
    let number = text
        .get(start..)
        .unwrap_or_default()
        .trim_end_matches(|c| plan::digit_value(c).is_none());
    let digits = number
        .chars()
        .filter(|&c| plan::digit_value(c).is_some())
        .count();
    let only_two_digits = digits == 2 && number.chars().count() == 2;
    if number.len() < MIN_NATIONAL_DIGITS || !(only_two_digits || digits >= 3) {
        return Err(Failure::NotANumber);
    }
    let unplussed = number.trim_start_matches(['+', '＋']);
    let plus = unplussed.len() < number.len();
    if region.is_none() && !plus {
        return Err(Failure::InvalidCountryCode);
    }
    let (code, national) = match extract_country_code(number, region) {
        // libphonenumber's second chance: the digits after the `+` read as written without it.
        Err(Failure::InvalidCountryCode) if plus => {
            match extract_country_code(unplussed, region)? {
                (0, _) => return Err(Failure::InvalidCountryCode),
                found => found,
            }
        }
        other => other?,
    };
    let (code, plan) = match (code, region) {
        (0, Some(region)) => (region.code, Some(region)),
        (0, None) => return Err(Failure::InvalidCountryCode),
        (code, _) => (code, Territory::main_for_code(code)),
    };
    let mut national = national;
    if national.len() < MIN_NATIONAL_DIGITS {
        return Err(Failure::TooShortNsn);
    }
    if let Some(plan) = plan
        && let Some(stripped) = plan.strip_national_prefix(&national)
        && !matches!(
            plan.length(&stripped),
            Length::TooShort | Length::LocalOnly | Length::Invalid
        )
    {
        national = stripped;
    }
    if national.len() < MIN_NATIONAL_DIGITS {
        return Err(Failure::TooShortNsn);
    }
    if national.len() > MAX_NATIONAL_DIGITS {
        return Err(Failure::TooLongNsn);
    }
    Ok(Parsed { code, national })
}

/// Reads the calling code of `number` (libphonenumber's `maybeExtractCountryCode`): after a
/// `+` or `region`'s international prefix, or `region`'s own code written without a `+` when
/// the rest reads better as a national number. Answers code 0 and the digits when there is none.
fn extract_country_code(
    number: &str,
    region: Option<&'static Territory>,
) -> Result<(u16, String), Failure> {
    let unplussed = number.trim_start_matches(['+', '＋']);
    let digits = normalize(unplussed);
    let after_prefix = if unplussed.len() < number.len() {
        Some(digits.as_str())
    } else {
        region
            .and_then(|region| region.international_prefix_end(&digits))
            .and_then(|end| digits.get(end..))
            // No calling code starts with 0: such a prefix is not an international one.
            .filter(|rest| !rest.starts_with('0'))
    };
    if let Some(rest) = after_prefix {
        if rest.len() <= MIN_NATIONAL_DIGITS {
            return Err(Failure::TooShortAfterIdd);
        }
        return leading_calling_code(rest).ok_or(Failure::InvalidCountryCode);
    }
    if let Some(region) = region
        && let Some(potential) = digits.strip_prefix(&region.code.to_string())
    {
        let potential = region
            .strip_national_prefix(potential)
            .unwrap_or_else(|| potential.to_owned());
        if (!region.matches_general(&digits) && region.matches_general(&potential))
            || region.length(&digits) == Length::TooLong
        {
            return Ok((region.code, potential));
        }
    }
    Ok((0, digits))
}

/// The calling code `digits` start with (one to three digits, never a leading 0) and the rest.
fn leading_calling_code(digits: &str) -> Option<(u16, String)> {
    if digits.starts_with('0') {
        return None;
    }
    (1..=3).find_map(|split| {
        let (code, rest) = digits.split_at_checked(split)?;
        let code = code
            .parse()
            .ok()
            .filter(|&code| plan::is_calling_code(code))?;
        Some((code, rest.to_owned()))
    })
}

/// Whether libphonenumber reads an extension at the end of `text` (`ext. 12`, `#12`,
/// `;ext=12`, `x12`, `,,12`, …) after a number that parses.
///
/// The extension forms are libphonenumber's (its `EXTN_PATTERNS_FOR_PARSING`), matched on the
/// text lower-cased with its digits made ASCII; the part before must be written with the
/// characters `accepted` allows and parse with `region`.
pub(super) fn has_extension(
    text: &str,
    region: Option<&'static Territory>,
    accepted: impl Fn(char) -> bool,
) -> bool {
    static EXTENSION: OnceLock<Option<Regex>> = OnceLock::new();
    let pattern = EXTENSION.get_or_init(|| {
        let before_label = "[ \u{a0}\t,]*";
        let after_label = "[:\\.．]?[ \u{a0}\t,-]*";
        let forms = [
            ";ext=([0-9]{1,20})".to_owned(),
            format!(
                "{before_label}(?:e?xt(?:ensi(?:o\u{301}?|ó))?n?|ｅ?ｘｔｎ?|доб|anexo){after_label}([0-9]{{1,20}})#?"
            ),
            format!("{before_label}(?:[xｘ#＃~～]|int|ｉｎｔ){after_label}([0-9]{{1,9}})#?"),
            "[- ]+([0-9]{1,6})#".to_owned(),
            format!("[ \u{a0}\t]*(?:,{{2}}|;){after_label}([0-9]{{1,15}})#?"),
            format!("[ \u{a0}\t]*(?:,)+{after_label}([0-9]{{1,9}})#?"),
        ];
        Regex::new(&format!("(?:{})$", forms.join("|"))).ok()
    });
    let normalized: String = text
        .chars()
        .map(|c| ascii_digit(c).unwrap_or(c))
        .flat_map(char::to_lowercase)
        .collect();
    let Some(start) = normalized.find(starts_number) else {
        return false;
    };
    let number = normalized
        .get(start..)
        .unwrap_or_default()
        .trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '#'));
    let Some(found) = pattern.as_ref().and_then(|pattern| pattern.find(number)) else {
        return false;
    };
    let before = number.get(..found.start()).unwrap_or_default();
    before.chars().all(accepted) && parse(before, region).is_ok()
}
