//! Always-valid international phone numbers in E.164 form.
//!
//! [`PhoneNumber`] is the type every SDK method that messages or looks up a person takes: once
//! you hold one, it is a number that Google's libphonenumber metadata says is valid, normalized
//! to E.164 (`+14155550123`). Parsing accepts what people type (spaces, dashes, dots, slashes,
//! parentheses, `(0)` trunk marks, full-width digits, and with a region also national numbers and
//! international dialling prefixes such as `00` or `011`) and rejects everything else with a
//! [`PhoneError`] that says why: a character outside that set is refused, never skipped (see
//! [accepted characters](PhoneNumber#accepted-characters)).
//!
//! Phone numbers are personal data: `Debug` and [`PhoneNumber::masked`] show only the country
//! code area and the last two digits (`+1415*****23`), and [`mask`] does the same for any string
//! you are about to log.
//!
//! The rules are libphonenumber's (its parse, length and validity rules on its numbering plans,
//! generated into this module by `cargo xtask phone-metadata`); the module's tests compare its
//! answers with `rlibphonenumber`, the full Rust port, on every territory's numbers.

use std::fmt;
use std::str::FromStr;

use parse::{Failure, parse};
use plan::{Length, Territory};

// Generated one line per territory (`cargo xtask phone-metadata --check` compares it byte for
// byte), so rustfmt leaves it alone.
#[rustfmt::skip]
mod metadata;
mod parse;
mod plan;

/// Most digits of an E.164 number, country code included (ITU-T E.164, section 6.1).
const E164_MAX_DIGITS: usize = 15;

/// Longest input, in characters, that is parsed: libphonenumber's `MAX_INPUT_STRING_LENGTH`,
/// beyond which its reference implementations answer "too long".
const MAX_PARSED_CHARS: usize = 250;

#[cfg(test)]
mod tests;

/// A valid international phone number, stored in E.164 form (`+` and up to 15 digits).
///
/// Every value of this type passed libphonenumber's `isValidNumber` rules for its country
/// (not just a "looks like a number" check), had no extension, and is normalized: two
/// `PhoneNumber`s are equal exactly when they dial the same line.
///
/// # Parsing policy
///
/// | input | [`FromStr`] / `TryFrom` (no region) | [`parse_with_region`] | [`from_whatsapp_id`] |
/// | --- | --- | --- | --- |
/// | `+1 (415) 555-0123`, `＋１ ４１５…` | accepted | accepted (the `+` wins over the region) | rejected ([`PhoneError::NotANumber`]) |
/// | `0041 44 668 18 00`, `011 33 1 42 76 49 78` | [`PhoneError::MissingCountryCode`] | accepted when the prefix is the region's international prefix | rejected |
/// | `030 12345678`, `4155550123` | [`PhoneError::MissingCountryCode`] | national number of the region | rejected |
/// | `14155550123` | [`PhoneError::MissingCountryCode`] | national number of the region | accepted as `+14155550123` |
///
/// Digits without a `+` are never guessed into an international number without a region: read
/// as international, about one in ten valid US national numbers is also a valid number of
/// another country (`2036067033` would become Egypt's `+20 3 606 7033`), and messaging the
/// wrong person is the worst outcome. Give the region ([`parse_with_region`]) or, for
/// WhatsApp's own digits-only ids, say so ([`from_whatsapp_id`]).
///
/// Letters are rejected ([`PhoneError::NotANumber`]) even where libphonenumber would read them
/// as a vanity number (`1-800-FLOWERS`): in a recipient field a letter is far more often a typo
/// (`O` for `0`) than a keypad spelling, and the keypad reading would message someone else.
///
/// Numbers longer than E.164's 15 digits (country code included) are [`PhoneError::TooLong`],
/// even where libphonenumber's metadata allows them (some German numbers reach 17 digits), and
/// so is input of more than 250 characters, as in libphonenumber's reference implementations.
///
/// # Accepted characters
///
/// Surrounding whitespace is ignored. Between the first and the last character, only these
/// are accepted, each in its ASCII or full-width form:
///
/// - decimal digits: `0`–`9`, `０`–`９`, and the decimal digits of other scripts that
///   libphonenumber reads (Arabic-Indic `٠`–`٩`, Persian `۰`–`۹`, Devanagari `०`–`९`, …);
/// - one `+` (`＋`), before the first digit: `+44 20…`, `(+44) 20…`;
/// - spaces (` `, no-break space, ideographic space `　`);
/// - dashes (`-`, `‐`, `‑`, `‒`, `–`, `—`, `―`, `−`, `－`), dots (`.`, `．`), slashes (`/`, `／`)
///   and parentheses (`(` `)`, `（` `）`), which also write the `(0)` trunk mark.
///
/// Anything else is refused rather than skipped, because skipping it can turn the input into a
/// different, valid number: a masked number (`4155****23`, as [`mask`] writes it) would lose
/// its starred digits. Such input is [`PhoneError::UnexpectedCharacter`], whose
/// [`CharacterKind`] says what was found (an invisible control character such as NUL or a
/// zero-width space, a `*`, a `+` after the first digit, or another symbol such as `%`, `#`,
/// `,`, `~` or `[`); letters are [`PhoneError::NotANumber`], and an extension (`ext. 12`, `#12`,
/// `;ext=12`) is [`PhoneError::Extension`].
///
/// # Privacy
///
/// `Debug` masks the number (`PhoneNumber("+1415*****23")`), so `{:?}` in logs and error chains
/// never leaks a customer's number. `Display`, [`as_str`](PhoneNumber::as_str) and serde give
/// the full E.164 string, because that is what the API needs.
///
/// # Example
///
/// ```
/// use qyvo::phone::PhoneNumber;
///
/// let phone: PhoneNumber = "+44 (0)20 7946 0958".parse()?;
/// assert_eq!(phone.as_str(), "+442079460958");
/// assert_eq!(phone.country_code(), 44);
/// assert_eq!(format!("{phone:?}"), r#"PhoneNumber("+4420******58")"#);
///
/// let berlin = PhoneNumber::parse_with_region("030 12345678", "de")?;
/// assert_eq!(berlin.to_string(), "+493012345678");
/// # Ok::<(), qyvo::phone::PhoneError>(())
/// ```
///
/// [`parse_with_region`]: PhoneNumber::parse_with_region
/// [`from_whatsapp_id`]: PhoneNumber::from_whatsapp_id
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber {
    e164: String,
    country_code: u16,
}

impl PhoneNumber {
    /// Parses a number typed for a given region, such as a national number with trunk `0`.
    ///
    /// `region` is an ISO 3166-1 alpha-2 code, case-insensitive (`"DE"`, `"de"`). It decides how
    /// input without a `+` is read: as a national number of that region (`030 12345678` in
    /// `DE`), or after the region's international dialling prefix (`00 33 …` in `DE`, `011 33 …`
    /// in `US`). Input that starts with `+` keeps its own country code. A region that
    /// libphonenumber has no metadata for is [`PhoneError::UnknownRegion`].
    ///
    /// # Errors
    ///
    /// [`PhoneError::UnknownRegion`] for an unknown region, otherwise the same errors as
    /// [`FromStr`] except [`PhoneError::MissingCountryCode`].
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::phone::PhoneNumber;
    ///
    /// assert_eq!(PhoneNumber::parse_with_region("030 12345678", "DE")?.as_str(), "+493012345678");
    /// assert_eq!(PhoneNumber::parse_with_region("011 33 1 42 76 49 78", "us")?.as_str(), "+33142764978");
    /// assert_eq!(PhoneNumber::parse_with_region("(415) 555-0123", "US")?.as_str(), "+14155550123");
    /// assert!(PhoneNumber::parse_with_region("030 12345678", "XX").is_err());
    /// # Ok::<(), qyvo::phone::PhoneError>(())
    /// ```
    pub fn parse_with_region(input: &str, region: &str) -> Result<Self, PhoneError> {
        Self::parse_inner(input, Some(region_from_code(region)?))
    }

    /// Builds a number from WhatsApp's digits-only id form (`14155550123`, no `+`).
    ///
    /// WhatsApp identifies users by their international number without the `+` (the `wa_id`
    /// and the `from` of incoming messages). This constructor says explicitly that the digits
    /// start with a country code, which plain parsing refuses to assume (see the policy on
    /// [`PhoneNumber`]). Only ASCII digits are accepted.
    ///
    /// # Errors
    ///
    /// [`PhoneError::Empty`] for an empty id, [`PhoneError::NotANumber`] when anything but
    /// ASCII digits is present (including a `+`), otherwise the errors of [`FromStr`].
    ///
    /// # Example
    ///
    /// ```
    /// use qyvo::phone::PhoneNumber;
    ///
    /// let phone = PhoneNumber::from_whatsapp_id("14155550123")?;
    /// assert_eq!(phone.as_str(), "+14155550123");
    /// assert!(PhoneNumber::from_whatsapp_id("+14155550123").is_err());
    /// # Ok::<(), qyvo::phone::PhoneError>(())
    /// ```
    pub fn from_whatsapp_id(id: &str) -> Result<Self, PhoneError> {
        if id.is_empty() {
            return Err(PhoneError::Empty);
        }
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::NotANumber);
        }
        let mut international = String::with_capacity(id.len() + 1);
        international.push('+');
        international.push_str(id);
        Self::parse_inner(&international, None)
    }

    /// The number in E.164 form, such as `+14155550123`.
    ///
    /// # Example
    ///
    /// ```
    /// let phone: qyvo::phone::PhoneNumber = "+1 415-555-0123".parse()?;
    /// assert_eq!(phone.as_str(), "+14155550123");
    /// # Ok::<(), qyvo::phone::PhoneError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// The country calling code, such as `1` for the NANP or `49` for Germany.
    ///
    /// # Example
    ///
    /// ```
    /// let phone: qyvo::phone::PhoneNumber = "+49 30 12345678".parse()?;
    /// assert_eq!(phone.country_code(), 49);
    /// # Ok::<(), qyvo::phone::PhoneError>(())
    /// ```
    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    /// The national significant number: the digits after the country code.
    ///
    /// This is the number without any trunk prefix, except where the trunk digit is part of
    /// the number itself (Italian fixed lines keep their leading `0`).
    ///
    /// # Example
    ///
    /// ```
    /// let phone: qyvo::phone::PhoneNumber = "+49 30 12345678".parse()?;
    /// assert_eq!(phone.national_number(), "3012345678");
    /// let rome: qyvo::phone::PhoneNumber = "+39 06 6982 0000".parse()?;
    /// assert_eq!(rome.national_number(), "0669820000");
    /// # Ok::<(), qyvo::phone::PhoneError>(())
    /// ```
    pub fn national_number(&self) -> &str {
        let code_digits = match self.country_code {
            0..=9 => 1,
            10..=99 => 2,
            _ => 3,
        };
        self.e164.get(1 + code_digits..).unwrap_or_default()
    }

    /// The number with its middle digits starred, for logs: `+1415*****23`.
    ///
    /// Keeps the `+`, the first four digits (the country code and a little more) and the last
    /// two; see [`mask`] for the exact rule. This is what `Debug` shows.
    ///
    /// # Example
    ///
    /// ```
    /// let phone: qyvo::phone::PhoneNumber = "+14155550123".parse()?;
    /// assert_eq!(phone.masked().to_string(), "+1415*****23");
    /// # Ok::<(), qyvo::phone::PhoneError>(())
    /// ```
    pub fn masked(&self) -> impl fmt::Display + '_ {
        Masked(&self.e164)
    }

    /// Parses with an optional default region and enforces the type's invariants: the parse,
    /// then libphonenumber's validity check and E.164's length.
    fn parse_inner(input: &str, region: Option<&'static Territory>) -> Result<Self, PhoneError> {
        let written = Written::check(input, region)?;
        let parsed = parse(written.text, region).map_err(|failure| match failure {
            Failure::InvalidCountryCode if region.is_none() && !written.plus => {
                PhoneError::MissingCountryCode
            }
            other => PhoneError::from_parse(other),
        })?;
        if !plan::is_valid(parsed.code, &parsed.national) {
            let plan = Territory::main_for_code(parsed.code);
            return Err(match plan.map(|plan| plan.length(&parsed.national)) {
                None => PhoneError::InvalidCountryCode,
                Some(Length::TooShort) => PhoneError::TooShort,
                Some(Length::TooLong) => PhoneError::TooLong,
                Some(Length::Possible | Length::LocalOnly | Length::Invalid) => {
                    PhoneError::InvalidNumber
                }
            });
        }
        let e164 = format!("+{}{}", parsed.code, parsed.national);
        // libphonenumber's metadata has valid numbers longer than E.164 allows (Germany's
        // reach 17 digits); WhatsApp numbers are E.164.
        if e164.len() > 1 + E164_MAX_DIGITS {
            return Err(PhoneError::TooLong);
        }
        Ok(Self {
            e164,
            country_code: parsed.code,
        })
    }
}

/// Input that passed the checks before parsing: trimmed, not empty, written only with the
/// [accepted characters](PhoneNumber#accepted-characters), and at most [`MAX_PARSED_CHARS`]
/// long.
struct Written<'a> {
    /// The input without surrounding whitespace.
    text: &'a str,
    /// Whether it has a `+` (before its first digit, the only place one is accepted).
    plus: bool,
}

impl<'a> Written<'a> {
    /// Trims `input`, checks every character in one pass, then the length.
    ///
    /// A refused character is reported as [`PhoneError::Extension`] when libphonenumber reads
    /// an extension in the input (labels and `#`, `;`, `,` are refused characters), else as
    /// [`PhoneError::NotANumber`] for a letter and [`PhoneError::UnexpectedCharacter`] for
    /// anything else.
    fn check(input: &'a str, region: Option<&'static Territory>) -> Result<Self, PhoneError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut plus = false;
        let mut digits = false;
        for (index, c) in text.char_indices() {
            let refused = match Character::of(c) {
                Character::Digit => {
                    digits = true;
                    continue;
                }
                Character::Plus if !plus && !digits => {
                    plus = true;
                    continue;
                }
                Character::Separator => continue,
                Character::Plus => Some(CharacterKind::MisplacedPlus),
                Character::Letter => None,
                Character::Refused(kind) => Some(kind),
            };
            return Err(if has_extension(text, region) {
                PhoneError::Extension
            } else if let Some(kind) = refused {
                let index = index + (input.len() - input.trim_start().len());
                PhoneError::UnexpectedCharacter { kind, index }
            } else {
                PhoneError::NotANumber
            });
        }
        if !is_short_enough_to_parse(text) {
            return Err(PhoneError::TooLong);
        }
        Ok(Self { text, plus })
    }
}

/// How the character check reads one character.
enum Character {
    /// A decimal digit.
    Digit,
    /// `+` or `＋`.
    Plus,
    /// A space, dash, dot, slash or parenthesis.
    Separator,
    /// A letter: a typo, a vanity number or an extension label.
    Letter,
    /// Any other character.
    Refused(CharacterKind),
}

impl Character {
    fn of(c: char) -> Self {
        match c {
            '0'..='9' | '０'..='９' => Self::Digit,
            '+' | '＋' => Self::Plus,
            ' ' | '\u{a0}' | '\u{3000}' // space, no-break space, ideographic space
            | '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '－' // hyphens, dashes, minus
            | '.' | '．' | '/' | '／' | '(' | ')' | '（' | '）' => Self::Separator,
            '*' | '＊' => Self::Refused(CharacterKind::Star),
            c if c.is_alphabetic() => Self::Letter,
            c if is_invisible(c) => Self::Refused(CharacterKind::Invisible),
            // A decimal digit of another script libphonenumber reads (Arabic-Indic, Devanagari, …).
            c if plan::digit_value(c).is_some() => Self::Digit,
            _ => Self::Refused(CharacterKind::Other),
        }
    }
}

/// Whether `c` does not show: a control character (NUL, tab, line break, …), a line or
/// paragraph separator, or a formatting character pasted along with text (soft hyphen,
/// zero-width space and joiners, direction marks and embeddings, word joiner, byte-order mark).
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
        )
}

/// Whether libphonenumber reads an extension (`ext. 12`, `#12`, `;ext=12`) in `text`.
fn has_extension(text: &str, region: Option<&'static Territory>) -> bool {
    is_short_enough_to_parse(text)
        && parse::has_extension(text, region, |c| {
            matches!(
                Character::of(c),
                Character::Digit | Character::Plus | Character::Separator
            )
        })
}

/// Whether `text` is at most [`MAX_PARSED_CHARS`] long; reads no further than that.
fn is_short_enough_to_parse(text: &str) -> bool {
    text.chars().nth(MAX_PARSED_CHARS).is_none()
}

/// Reads an ISO 3166-1 alpha-2 code that libphonenumber has metadata for.
fn region_from_code(code: &str) -> Result<&'static Territory, PhoneError> {
    Territory::by_region(code.trim()).ok_or_else(|| PhoneError::unknown_region(code))
}

/// Parses a number that carries its own country code (`+…`).
///
/// Input without a `+` is rejected with [`PhoneError::MissingCountryCode`] instead of being
/// guessed; see the policy on [`PhoneNumber`].
///
/// # Example
///
/// ```
/// use qyvo::phone::{PhoneError, PhoneNumber};
///
/// let phone: PhoneNumber = "+33 1 42 76 49 78".parse()?;
/// assert_eq!(phone.as_str(), "+33142764978");
/// assert_eq!("4155550123".parse::<PhoneNumber>(), Err(PhoneError::MissingCountryCode));
/// assert_eq!("+1 415 555 0123 ext. 7".parse::<PhoneNumber>(), Err(PhoneError::Extension));
/// # Ok::<(), PhoneError>(())
/// ```
impl FromStr for PhoneNumber {
    type Err = PhoneError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse_inner(input, None)
    }
}

impl TryFrom<&str> for PhoneNumber {
    type Error = PhoneError;

    fn try_from(input: &str) -> Result<Self, Self::Error> {
        input.parse()
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;

    fn try_from(input: String) -> Result<Self, Self::Error> {
        input.parse()
    }
}

impl TryFrom<&String> for PhoneNumber {
    type Error = PhoneError;

    fn try_from(input: &String) -> Result<Self, Self::Error> {
        input.parse()
    }
}

/// Shows the full E.164 number; use [`PhoneNumber::masked`] in logs.
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

/// Shows the masked number, `PhoneNumber("+1415*****23")`.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber(\"{}\")", self.masked())
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.e164
    }
}

impl From<PhoneNumber> for String {
    fn from(phone: PhoneNumber) -> Self {
        phone.e164
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.e164)
    }
}

/// Parses and validates like [`FromStr`]: a string without `+` is an error.
impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(PhoneVisitor)
    }
}

/// Serde visitor that parses a string into a [`PhoneNumber`].
struct PhoneVisitor;

impl serde::de::Visitor<'_> for PhoneVisitor {
    type Value = PhoneNumber;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an international phone number such as \"+14155550123\"")
    }

    fn visit_str<E: serde::de::Error>(self, input: &str) -> Result<Self::Value, E> {
        input.parse().map_err(E::custom)
    }
}

/// Masks the digits of any string that may hold a phone number, for logging.
///
/// The rule, which never panics and never shows more than six digits:
/// - input made only of digits, an optional leading `+`, spaces and `-.()/` with at least ten
///   digits keeps the `+`, the first four digits and the last two, and stars every digit in
///   between; separators are dropped (`+1 (415) 555-0123` → `+1415*****23`);
/// - such input with fewer than ten digits is fully starred, one star per digit, so that at
///   least four digits are always hidden;
/// - anything else (letters, other symbols) is fully starred, one star per character, at most
///   32 stars.
///
/// # Example
///
/// ```
/// use qyvo::phone::mask;
///
/// assert_eq!(mask("+1 (415) 555-0123"), "+1415*****23");
/// assert_eq!(mask("4155550123"), "4155****23");
/// assert_eq!(mask("+41 44 66"), "+******");
/// assert_eq!(mask("call me"), "*******");
/// ```
pub fn mask(raw: &str) -> String {
    Masked(raw).to_string()
}

/// Display adapter that writes [`mask`]'s output without allocating.
struct Masked<'a>(&'a str);

/// Digits shown at the start of a masked number.
const MASK_HEAD: usize = 4;
/// Digits shown at the end of a masked number.
const MASK_TAIL: usize = 2;
/// Fewest digits for which the head and tail are shown.
const MASK_MIN_DIGITS: usize = 10;
/// Most stars written for input that is not number-shaped.
const MASK_MAX_STARS: usize = 32;

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trimmed = self.0.trim();
        let (plus, body) = match trimmed.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", trimmed),
        };
        let number_shaped = body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'));
        if !number_shaped {
            return write_stars(f, trimmed.chars().count().min(MASK_MAX_STARS));
        }
        let count = body.bytes().filter(u8::is_ascii_digit).count();
        f.write_str(plus)?;
        if count < MASK_MIN_DIGITS {
            return write_stars(f, count);
        }
        for (index, digit) in body.chars().filter(char::is_ascii_digit).enumerate() {
            if index < MASK_HEAD || index >= count - MASK_TAIL {
                fmt::Write::write_char(f, digit)?;
            } else {
                f.write_str("*")?;
            }
        }
        Ok(())
    }
}

/// Writes `count` stars.
fn write_stars(f: &mut fmt::Formatter<'_>, count: usize) -> fmt::Result {
    (0..count).try_for_each(|_| f.write_str("*"))
}

/// Why a string is not a valid [`PhoneNumber`].
///
/// Messages never contain the number itself.
///
/// # Example
///
/// ```
/// use qyvo::phone::{PhoneError, PhoneNumber};
///
/// let err = "+1 415 555".parse::<PhoneNumber>().unwrap_err();
/// assert_eq!(err, PhoneError::TooShort);
/// assert_eq!(err.to_string(), "phone number is too short");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhoneError {
    /// The input is empty or only whitespace.
    Empty,
    /// The input is not a phone number: letters, or no usable digits.
    NotANumber,
    /// The input has no `+` and no region was given, so its country is unknown.
    MissingCountryCode,
    /// The country calling code after `+` (or after an international prefix) does not exist.
    InvalidCountryCode,
    /// Too few digits for any number of the country.
    TooShort,
    /// Too many digits for any number of the country, or more than the 15 that E.164 allows
    /// (country code included).
    TooLong,
    /// The length is plausible, but no valid number of the country looks like this.
    InvalidNumber,
    /// The input has an extension (`ext. 12`), which WhatsApp cannot dial.
    Extension,
    /// The input has a character that is not part of a written phone number (see
    /// [accepted characters](PhoneNumber#accepted-characters)), such as the `*` of a masked
    /// number or a NUL. It is refused rather than skipped, since skipping it could yield a
    /// different, valid number.
    UnexpectedCharacter {
        /// What the character is.
        kind: CharacterKind,
        /// Its byte offset in the input as given, so `&input[index..]` starts with it.
        index: usize,
    },
    /// The region is not an ISO 3166-1 alpha-2 code with phone metadata.
    UnknownRegion {
        /// The region as given; longer than three characters it is masked like a phone
        /// number, in case the arguments were swapped.
        region: String,
    },
}

impl PhoneError {
    /// Builds [`PhoneError::UnknownRegion`], masking a region that might be a phone number.
    fn unknown_region(region: &str) -> Self {
        let region = if region.chars().count() <= 3 {
            region.to_owned()
        } else {
            mask(region)
        };
        Self::UnknownRegion { region }
    }

    /// Maps libphonenumber's parse failure to the matching reason.
    fn from_parse(failure: Failure) -> Self {
        match failure {
            Failure::InvalidCountryCode => Self::InvalidCountryCode,
            Failure::NotANumber => Self::NotANumber,
            Failure::TooShortAfterIdd | Failure::TooShortNsn => Self::TooShort,
            Failure::TooLongNsn => Self::TooLong,
        }
    }
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("phone number is empty"),
            Self::NotANumber => f.write_str("not a phone number"),
            Self::MissingCountryCode => f.write_str(
                "phone number has no country code: start it with `+` and the country code, or give a region",
            ),
            Self::InvalidCountryCode => f.write_str("phone number has an unknown country code"),
            Self::TooShort => f.write_str("phone number is too short"),
            Self::TooLong => f.write_str("phone number is too long"),
            Self::InvalidNumber => {
                f.write_str("phone number is not a valid number for its country")
            }
            Self::Extension => {
                f.write_str("phone number has an extension, which whatsapp cannot dial")
            }
            Self::UnexpectedCharacter { kind, index } => {
                write!(f, "phone number has {kind} at byte {index}")
            }
            Self::UnknownRegion { region } => write!(
                f,
                "unknown region {region:?}: expected an ISO 3166-1 alpha-2 code such as \"DE\""
            ),
        }
    }
}

impl std::error::Error for PhoneError {}

/// What kind of character made [`PhoneError::UnexpectedCharacter`].
///
/// # Example
///
/// ```
/// use qyvo::phone::PhoneNumber;
/// use qyvo::phone::{CharacterKind, PhoneError, mask};
///
/// let masked = mask("4155550123");
/// assert_eq!(masked, "4155****23");
/// assert_eq!(
///     PhoneNumber::parse_with_region(&masked, "US"),
///     Err(PhoneError::UnexpectedCharacter { kind: CharacterKind::Star, index: 4 })
/// );
/// let err = "+1 415 555 0123\0".parse::<PhoneNumber>().unwrap_err();
/// assert_eq!(err.to_string(), "phone number has an invisible control or formatting character at byte 15");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CharacterKind {
    /// A character that does not show: a control character (NUL, a tab or line break inside
    /// the number) or a formatting one (zero-width space, soft hyphen, direction mark,
    /// byte-order mark).
    Invisible,
    /// `*`, which stands for unknown digits: a masked number ([`mask`]) or a keypad code.
    Star,
    /// A `+` after the first digit, or a second `+`.
    MisplacedPlus,
    /// Any other character that is not a digit, an accepted separator or a letter: a symbol
    /// such as `%`, `#`, `,`, `~` or `[`, a space other than the accepted ones, a numeral that
    /// is not a decimal digit (`²`).
    Other,
}

impl fmt::Display for CharacterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Invisible => "an invisible control or formatting character",
            Self::Star => "a `*` standing for unknown digits",
            Self::MisplacedPlus => "a misplaced `+`",
            Self::Other => "a character that is not part of a phone number",
        })
    }
}

/// Lets generic SDK methods take `P: TryInto<PhoneNumber>, P::Error: Into<PhoneError>`.
///
/// A [`PhoneNumber`] converts into itself infallibly, with `Infallible` as its error; this impl
/// makes that error fit, so such a method accepts `&str`, `String` and `PhoneNumber` alike.
///
/// # Example
///
/// ```
/// use qyvo::phone::{PhoneError, PhoneNumber};
///
/// fn recipient<P>(to: P) -> Result<PhoneNumber, PhoneError>
/// where
///     P: TryInto<PhoneNumber>,
///     P::Error: Into<PhoneError>,
/// {
///     to.try_into().map_err(Into::into)
/// }
///
/// let typed: PhoneNumber = "+14155550123".parse()?;
/// assert_eq!(recipient("+1 415 555 0123")?, typed);
/// assert_eq!(recipient(String::from("+14155550123"))?, typed);
/// assert_eq!(recipient(typed.clone())?, typed);
/// assert_eq!(recipient("415 555 0123"), Err(PhoneError::MissingCountryCode));
/// # Ok::<(), PhoneError>(())
/// ```
impl From<std::convert::Infallible> for PhoneError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}
