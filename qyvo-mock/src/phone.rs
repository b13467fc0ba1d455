//! Phone normalization, the one rule every phone-keyed operation shares: the SDK's own
//! [`PhoneNumber`], so the mock keys contacts exactly as the SDK normalizes the numbers it
//! sends, and the two cannot drift.

use qyvo::phone::PhoneNumber;

/// The E.164 form of `raw` (`+14155550123`) when it is a valid international number written
/// with a leading `+` and the formatting people use (spaces, dashes, dots, parentheses);
/// `None` otherwise.
pub(crate) fn normalize_phone(raw: &str) -> Option<String> {
    raw.parse::<PhoneNumber>()
        .ok()
        .map(|phone| phone.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_formatting() {
        assert_eq!(
            normalize_phone(" +1 (415) 555-01.23 ").as_deref(),
            Some("+14155550123")
        );
        assert_eq!(
            normalize_phone("+44 (0)20 7946 0958").as_deref(),
            Some("+442079460958")
        );
    }

    #[test]
    fn requires_a_valid_international_number() {
        assert_eq!(normalize_phone("14155550123"), None);
        assert_eq!(normalize_phone("+1234567"), None);
        assert_eq!(normalize_phone("+1234567890123456"), None);
        assert_eq!(normalize_phone("+1415555O123"), None);
        assert_eq!(normalize_phone("++14155550123"), None);
        assert_eq!(normalize_phone(""), None);
    }
}
