//! The numbering plans of [`metadata`](super::metadata) and the questions libphonenumber asks
//! of them: which territories share a calling code, how long a number may be, whether it is a
//! valid number, how a national prefix is stripped.
//!
//! The rules follow libphonenumber's reference implementations (and the `rlibphonenumber`
//! port the tables come from, which the unit tests compare against on every territory's
//! numbers). Patterns are compiled on first use, one territory at a time.

use std::sync::OnceLock;

use regex::{Captures, Regex, RegexBuilder};

use super::metadata::{CALLING_CODES, DIGIT_ZEROS, TERRITORIES};

/// One territory's numbering plan (a country, or `001` for a non-geographic calling code).
pub(super) struct Territory {
    /// ISO 3166-1 alpha-2 code, or `001`.
    pub id: &'static str,
    /// The calling code.
    pub code: u16,
    /// The international dialling prefix, as a pattern (`00`, `011`, …); empty for none.
    pub international_prefix: &'static str,
    /// What a national prefix looks like when parsing (a pattern); empty for none.
    pub national_prefix_for_parsing: &'static str,
    /// What replaces a national prefix with capture groups (`9$1`); empty to just strip it.
    pub transform: &'static str,
    /// For a territory sharing its calling code: the leading digits that are its own.
    pub leading_digits: &'static str,
    /// What every number of the territory looks like.
    pub general: Desc,
    /// One description per kind of number (fixed line, mobile, toll-free, …).
    pub types: &'static [Desc],
    /// The patterns, compiled on first use.
    pub compiled: OnceLock<Compiled>,
}

/// A description of numbers: a pattern of their national significant number and its lengths.
pub(super) struct Desc {
    /// The pattern a whole national significant number matches.
    pub pattern: &'static str,
    /// The lengths such numbers have (`-1`: none); empty when not restricted.
    pub lengths: &'static [i8],
    /// Lengths only dialable within the area (general description only).
    pub local: &'static [i8],
}

/// Most digits a national significant number may have (libphonenumber's `MAX_LENGTH_FOR_NSN`).
pub(super) const MAX_NATIONAL_DIGITS: usize = 17;
/// Fewest digits a national significant number may have (`MIN_LENGTH_FOR_NSN`).
pub(super) const MIN_NATIONAL_DIGITS: usize = 2;

/// A territory's patterns, compiled.
pub(super) struct Compiled {
    international_prefix: Option<Regex>,
    national_prefix: Option<Regex>,
    leading_digits: Option<Regex>,
    general: Option<Regex>,
    types: Vec<Option<Regex>>,
}

/// `pattern` anchored at the start (`lookingAt`), or `None` for no pattern.
fn at_start(pattern: &str) -> Option<Regex> {
    compile(pattern, "")
}

/// `pattern` anchored at both ends (a whole-number match), or `None` for no pattern.
fn whole(pattern: &str) -> Option<Regex> {
    compile(pattern, "$")
}

/// `^(?:pattern)` and `end`, or `None` for no pattern. The plans' patterns match ASCII digits
/// (the parser has made every digit ASCII), so `\d` is compiled as `[0-9]`, without Unicode's
/// other digits: a smaller automaton, the same answers.
fn compile(pattern: &str, end: &str) -> Option<Regex> {
    if pattern.is_empty() {
        return None;
    }
    RegexBuilder::new(&format!("^(?:{pattern}){end}"))
        .unicode(false)
        .build()
        .ok()
}

impl Territory {
    /// The territory with this ISO code (in any case), not a non-geographic entity.
    pub(super) fn by_region(id: &str) -> Option<&'static Self> {
        TERRITORIES
            .iter()
            .find(|t| t.id.eq_ignore_ascii_case(id) && t.id != "001")
    }

    /// The territories sharing `code`, main one first; empty for an unknown code.
    pub(super) fn for_code(code: u16) -> impl Iterator<Item = &'static Self> + Clone {
        CALLING_CODES
            .binary_search_by_key(&code, |(c, _)| *c)
            .ok()
            .and_then(|at| CALLING_CODES.get(at))
            .map_or(&[][..], |(_, list)| list)
            .iter()
            .filter_map(|&index| TERRITORIES.get(usize::from(index)))
    }

    /// The main territory of `code`, whose plan parses and sizes its numbers.
    pub(super) fn main_for_code(code: u16) -> Option<&'static Self> {
        Self::for_code(code).next()
    }

    /// The territory's patterns, compiled on its first use.
    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| Compiled {
            international_prefix: at_start(self.international_prefix),
            national_prefix: at_start(self.national_prefix_for_parsing),
            leading_digits: at_start(self.leading_digits),
            general: whole(self.general.pattern),
            types: self.types.iter().map(|desc| whole(desc.pattern)).collect(),
        })
    }

    /// Where the international prefix at the start of `digits` ends, if there is one.
    pub(super) fn international_prefix_end(&self, digits: &str) -> Option<usize> {
        let found = self
            .compiled()
            .international_prefix
            .as_ref()?
            .find(digits)?;
        Some(found.end())
    }

    /// Whether `national` matches the general pattern (its length is not checked).
    pub(super) fn matches_general(&self, national: &str) -> bool {
        self.compiled()
            .general
            .as_ref()
            .is_some_and(|regex| regex.is_match(national))
    }

    /// How `national`'s length fits the plan (libphonenumber's `testNumberLength`).
    pub(super) fn length(&self, national: &str) -> Length {
        let mask = |lengths: &[i8]| {
            lengths
                .iter()
                .fold(0_u64, |mask, &length| match u32::try_from(length) {
                    Ok(length) if length < 64 => mask | 1 << length,
                    _ => 0,
                })
        };
        let possible = mask(self.general.lengths);
        if possible == 0 {
            return Length::Invalid;
        }
        let Some(bit) = u32::try_from(national.len())
            .ok()
            .filter(|&length| length < 64)
            .map(|length| 1_u64 << length)
        else {
            return Length::TooLong;
        };
        if mask(self.general.local) & bit != 0 {
            Length::LocalOnly
        } else if possible & bit != 0 {
            Length::Possible
        } else if bit < possible & possible.wrapping_neg() {
            Length::TooShort
        } else if bit > possible {
            Length::TooLong
        } else {
            Length::Invalid
        }
    }

    /// Whether `national` is a number of some kind in this plan (libphonenumber's number type
    /// is not `UNKNOWN`).
    pub(super) fn has_kind(&self, national: &str) -> bool {
        let fits = |desc: &Desc, regex: &Option<Regex>| {
            let length = i8::try_from(national.len()).unwrap_or(i8::MAX);
            (desc.lengths.is_empty() || desc.lengths.contains(&length))
                && regex.as_ref().is_some_and(|regex| regex.is_match(national))
        };
        let compiled = self.compiled();
        fits(&self.general, &compiled.general)
            && self
                .types
                .iter()
                .zip(&compiled.types)
                .any(|(desc, regex)| fits(desc, regex))
    }

    /// Whether `national` starts with this territory's own leading digits.
    fn leads(&self, national: &str) -> bool {
        self.compiled()
            .leading_digits
            .as_ref()
            .is_some_and(|regex| regex.is_match(national))
    }

    /// Strips a national prefix (and applies the plan's transform rule) from `number`, unless
    /// that would turn a number that matches the general pattern into one that does not
    /// (libphonenumber's `maybeStripNationalPrefixAndCarrierCode`).
    pub(super) fn strip_national_prefix(&self, number: &str) -> Option<String> {
        let regex = self.compiled().national_prefix.as_ref()?;
        if number.is_empty() {
            return None;
        }
        let captures = regex.captures(number)?;
        let whole_match = captures.get(0)?;
        let viable = self.matches_general(number);
        let first = captures.get(1);
        let second = captures.get(2);
        let transforms = !self.transform.is_empty()
            && (second.is_some_and(|c| !c.is_empty())
                || first.is_some_and(|c| !c.is_empty()) && second.is_none());
        let stripped = if transforms {
            let mut replaced = expand(self.transform, &captures);
            replaced.push_str(number.get(whole_match.end()..)?);
            replaced
        } else {
            number.get(whole_match.end()..)?.to_owned()
        };
        (!viable || self.matches_general(&stripped)).then_some(stripped)
    }
}

/// A transform rule with each `$n` replaced by capture group `n` (empty when it did not match).
fn expand(rule: &str, captures: &Captures<'_>) -> String {
    let mut out = String::with_capacity(rule.len() + 8);
    let mut chars = rule.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next().and_then(|d| d.to_digit(10))) {
            ('$', Some(group)) => {
                chars.next();
                let group = usize::try_from(group).unwrap_or(usize::MAX);
                out.push_str(captures.get(group).map_or("", |m| m.as_str()));
            }
            _ => out.push(c),
        }
    }
    out
}

/// How a national number's length fits a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Length {
    /// A length the plan's numbers have.
    Possible,
    /// A length only dialable within an area.
    LocalOnly,
    /// Shorter than every number of the plan.
    TooShort,
    /// Longer than every number of the plan.
    TooLong,
    /// Between the shortest and the longest, but no number has this length.
    Invalid,
}

/// Whether `code` is a calling code.
pub(super) fn is_calling_code(code: u16) -> bool {
    CALLING_CODES
        .binary_search_by_key(&code, |(c, _)| *c)
        .is_ok()
}

/// Whether the number `+{code}{national}` is valid (libphonenumber's `isValidNumber`): the
/// territory it belongs to (for a shared code, the first whose leading digits or kinds of
/// number it matches) has a kind of number it matches.
pub(super) fn is_valid(code: u16, national: &str) -> bool {
    let mut territories = Territory::for_code(code);
    let territory = if territories.clone().nth(1).is_none() {
        territories.next()
    } else {
        territories.find(|t| t.leads(national) || t.has_kind(national))
    };
    territory.is_some_and(|t| t.has_kind(national))
}

/// The value of `c` as a decimal digit of any script libphonenumber reads.
pub(super) fn digit_value(c: char) -> Option<u8> {
    let code = u32::from(c);
    let at = DIGIT_ZEROS.partition_point(|&zero| zero <= code);
    let zero = DIGIT_ZEROS.get(at.checked_sub(1)?)?;
    u8::try_from(code - zero).ok().filter(|&value| value < 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_of_every_territory_compiles() {
        for territory in &TERRITORIES {
            let compiled = territory.compiled();
            let id = territory.id;
            for (pattern, regex) in [
                (
                    territory.international_prefix,
                    &compiled.international_prefix,
                ),
                (
                    territory.national_prefix_for_parsing,
                    &compiled.national_prefix,
                ),
                (territory.leading_digits, &compiled.leading_digits),
                (territory.general.pattern, &compiled.general),
            ]
            .into_iter()
            .chain(
                territory
                    .types
                    .iter()
                    .map(|d| d.pattern)
                    .zip(&compiled.types),
            ) {
                assert_eq!(regex.is_some(), !pattern.is_empty(), "{id}: {pattern:?}");
            }
        }
    }

    #[test]
    fn calling_codes_are_sorted_and_name_territories_of_their_code() {
        assert!(CALLING_CODES.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, list) in &CALLING_CODES {
            assert!(!list.is_empty());
            assert!(Territory::for_code(*code).all(|t| t.code == *code));
            assert_eq!(Territory::for_code(*code).count(), list.len());
        }
        assert_eq!(Territory::main_for_code(1).map(|t| t.id), Some("US"));
        assert_eq!(Territory::main_for_code(7).map(|t| t.id), Some("RU"));
        assert_eq!(Territory::main_for_code(800).map(|t| t.id), Some("001"));
        assert!(Territory::main_for_code(999).is_none());
        assert!(Territory::by_region("001").is_none());
    }

    #[test]
    fn digits_of_every_script_read_as_their_value() {
        for (c, value) in [
            ('0', 0),
            ('9', 9),
            ('٣', 3),
            ('۷', 7),
            ('०', 0),
            ('９', 9),
            ('𝟘', 0),
        ] {
            assert_eq!(digit_value(c), Some(value), "{c}");
        }
        for c in ['a', '²', '½', '+', '\0', char::MAX] {
            assert_eq!(digit_value(c), None, "{c:?}");
        }
    }

    #[test]
    fn lengths_follow_test_number_length() {
        let de = Territory::by_region("DE").unwrap();
        assert_eq!(de.length("3012345678"), Length::Possible);
        assert_eq!(de.length("3"), Length::TooShort);
        assert_eq!(de.length("301234567890123456"), Length::TooLong);
        let us = Territory::by_region("US").unwrap();
        assert_eq!(us.length("5550123"), Length::LocalOnly);
        assert_eq!(us.length("55501234"), Length::TooShort);
        assert_eq!(us.length(&"1".repeat(70)), Length::TooLong);
        // Switzerland's numbers have 9 or 12 digits.
        let ch = Territory::by_region("CH").unwrap();
        assert_eq!(ch.length("4466818000"), Length::Invalid);
    }

    #[test]
    fn a_transform_rule_replaces_the_national_prefix() {
        // Argentina: a mobile number dialled nationally as 0 11 15 xxxx-xxxx is 9 11 xxxx-xxxx.
        let ar = Territory::by_region("AR").unwrap();
        assert_eq!(
            ar.strip_national_prefix("01115 2345 6789".replace(' ', "").as_str()),
            Some("91123456789".to_owned())
        );
        // Germany: the trunk 0 is stripped; a number that only reads well with it keeps it.
        let de = Territory::by_region("DE").unwrap();
        assert_eq!(
            de.strip_national_prefix("03012345678"),
            Some("3012345678".to_owned())
        );
        assert_eq!(de.strip_national_prefix("3012345678"), None);
    }
}
