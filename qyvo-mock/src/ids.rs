//! ULID-shaped ids: 26 characters of Crockford base32, time-ordered.

use chrono::{DateTime, Utc};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new ULID for `now`: 48 bits of milliseconds then 80 random bits.
pub(crate) fn new_id(now: DateTime<Utc>) -> String {
    let millis = u128::from(u64::try_from(now.timestamp_millis()).unwrap_or(0) & 0xFFFF_FFFF_FFFF);
    let random = fastrand::u128(..) & ((1u128 << 80) - 1);
    encode((millis << 80) | random)
}

/// A Meta-style message id, `wamid.` followed by random base32.
pub(crate) fn new_wamid() -> String {
    format!("wamid.HBgL{}", encode(fastrand::u128(..)))
}

fn encode(mut value: u128) -> String {
    let mut out = [b'0'; 26];
    for slot in out.iter_mut().rev() {
        *slot = CROCKFORD[(value & 31) as usize];
        value >>= 5;
    }
    out.iter().map(|b| char::from(*b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_26_crockford_chars_and_time_ordered() {
        let early = DateTime::parse_from_rfc3339("2024-07-01T00:00:00+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let id = new_id(early);
        assert_eq!(id.len(), 26);
        assert!(id.starts_with("01J"), "{id}");
        assert!(id.bytes().all(|b| CROCKFORD.contains(&b)));
        let later = new_id(early + chrono::Duration::milliseconds(1));
        assert!(later[..10] > id[..10]);
    }

    #[test]
    fn wamids_have_the_meta_prefix() {
        assert!(new_wamid().starts_with("wamid."));
    }
}
