//! Phone normalization, the one rule every phone-keyed operation shares.
//!
//! Kept as one small function so that it can later be replaced by the SDK's `PhoneNumber`.

/// Normalizes a phone number the way the mock's upsert key expects it.
///
/// Spaces (any whitespace), dashes, dots and parentheses are removed; the rest must be a
/// leading `+` followed by 8 to 15 ASCII digits. Returns `None` when it is not.
pub(crate) fn normalize_phone(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')')))
        .collect();
    let digits = compact.strip_prefix('+')?;
    let valid = (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then_some(compact)
}

/// Masks a phone for messages: keeps the first five and last two characters.
pub(crate) fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
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
    }

    #[test]
    fn requires_plus_and_8_to_15_digits() {
        assert_eq!(normalize_phone("14155550123"), None);
        assert_eq!(normalize_phone("+1234567"), None);
        assert_eq!(normalize_phone("+12345678").as_deref(), Some("+12345678"));
        assert_eq!(
            normalize_phone("+123456789012345").as_deref(),
            Some("+123456789012345")
        );
        assert_eq!(normalize_phone("+1234567890123456"), None);
        assert_eq!(normalize_phone("+1415555O123"), None);
        assert_eq!(normalize_phone("++14155550123"), None);
        assert_eq!(normalize_phone(""), None);
    }

    #[test]
    fn masks_phones() {
        assert_eq!(mask_phone("+14155550123"), "+1415*****23");
        assert_eq!(mask_phone("+1234"), "*****");
    }
}
