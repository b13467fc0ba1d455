//! Unit and property tests for [`PhoneNumber`], [`PhoneError`] and [`mask`].

use std::collections::{BTreeSet, HashSet};

use proptest::prelude::*;

use super::{CharacterKind, PhoneError, PhoneNumber, mask};

/// Error kinds of the table, mirroring [`PhoneError`] without its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Empty,
    NotANumber,
    MissingCountryCode,
    InvalidCountryCode,
    TooShort,
    TooLong,
    InvalidNumber,
    Extension,
    UnknownRegion,
    Invisible,
    Star,
    MisplacedPlus,
    Other,
}

impl Kind {
    fn of(error: &PhoneError) -> Self {
        match error {
            PhoneError::Empty => Self::Empty,
            PhoneError::NotANumber => Self::NotANumber,
            PhoneError::MissingCountryCode => Self::MissingCountryCode,
            PhoneError::InvalidCountryCode => Self::InvalidCountryCode,
            PhoneError::TooShort => Self::TooShort,
            PhoneError::TooLong => Self::TooLong,
            PhoneError::InvalidNumber => Self::InvalidNumber,
            PhoneError::Extension => Self::Extension,
            PhoneError::UnknownRegion { .. } => Self::UnknownRegion,
            PhoneError::UnexpectedCharacter { kind, .. } => match kind {
                CharacterKind::Invisible => Self::Invisible,
                CharacterKind::Star => Self::Star,
                CharacterKind::MisplacedPlus => Self::MisplacedPlus,
                CharacterKind::Other => Self::Other,
            },
        }
    }
}

use Kind::*;

/// `(input, region, expected)`.
///
/// Built with Python `phonenumbers` 9.0.43 (Google's libphonenumber) as the oracle: parse,
/// `is_valid_number`, E.164 formatting, and `is_possible_number_with_reason` for the reason of
/// an invalid number, mapped through this module's policy (no `+` and no region is
/// `MissingCountryCode`; letters are `NotANumber` unless they spell an extension; any other
/// character outside the accepted set is refused with its `CharacterKind` where libphonenumber
/// skips it; a valid number of more than 15 digits is `TooLong`). Cases that
/// looked odd were checked by hand against the metadata: Nigeria's and Indonesia's
/// international prefixes are `009` and `00[89]`, so `00 234…` and `001 62…` are read as
/// national numbers there and fail; Mexico dropped its mobile `1`, so `+52 1 55…` is too long;
/// `+800` is the valid international freephone code.
const TABLE: &[(&str, Option<&str>, Result<&str, Kind>)] = &[
    ("+33142764978", None, Ok("+33142764978")),
    ("+33142764978", Some("US"), Ok("+33142764978")),
    ("+78005553535", None, Ok("+78005553535")),
    ("+78005553535", Some("US"), Ok("+78005553535")),
    ("+7 800 555-35-35", None, Ok("+78005553535")),
    ("8 800 555 35 35", Some("RU"), Ok("+78005553535")),
    ("+44 (0)20 7946 0958", None, Ok("+442079460958")),
    ("+44 (0) 20 7946 0958", Some("US"), Ok("+442079460958")),
    ("020 7946 0958", Some("GB"), Ok("+442079460958")),
    ("0044 20 7946 0958", Some("DE"), Ok("+442079460958")),
    ("00 33 1 42 76 49 78", Some("DE"), Ok("+33142764978")),
    ("011 33 1 42 76 49 78", Some("US"), Ok("+33142764978")),
    ("011 44 20 7946 0958", Some("us"), Ok("+442079460958")),
    ("030 12345678", Some("DE"), Ok("+493012345678")),
    ("030 12345678", Some("de"), Ok("+493012345678")),
    ("030-123-456-78", Some("DE"), Ok("+493012345678")),
    ("(030) 12345678", Some("DE"), Ok("+493012345678")),
    ("030.12345678", Some("DE"), Ok("+493012345678")),
    ("+49 (0)30 12345678", None, Ok("+493012345678")),
    ("+49 30 12345678", None, Ok("+493012345678")),
    ("＋１ ４１５ ５５５ ０１２３", None, Ok("+14155550123")),
    ("＋４４ ２０ ７９４６ ０９５８", None, Ok("+442079460958")),
    ("０３０ １２３４５６７８", Some("DE"), Ok("+493012345678")),
    ("+1 (415) 555-0123", None, Ok("+14155550123")),
    ("+1.415.555.0123", None, Ok("+14155550123")),
    ("+1-415-555-0123", None, Ok("+14155550123")),
    ("+1 415 555 0123", None, Ok("+14155550123")),
    (" +14155550123 ", None, Ok("+14155550123")),
    ("(415) 555-0123", Some("US"), Ok("+14155550123")),
    ("415.555.0123", Some("US"), Ok("+14155550123")),
    ("1 415 555 0123", Some("US"), Ok("+14155550123")),
    ("1-415-555-0123", Some("US"), Ok("+14155550123")),
    ("14155550123", Some("US"), Ok("+14155550123")),
    ("4155550123", Some("US"), Ok("+14155550123")),
    ("+14155550123", Some("DE"), Ok("+14155550123")),
    ("14155550123", None, Err(MissingCountryCode)),
    ("2036067033", None, Err(MissingCountryCode)),
    ("2036067033", Some("US"), Ok("+12036067033")),
    ("+2036067033", None, Ok("+2036067033")),
    ("4155550123", None, Err(MissingCountryCode)),
    ("004930123456", None, Err(MissingCountryCode)),
    ("030 12345678", None, Err(MissingCountryCode)),
    ("0041446681800", None, Err(MissingCountryCode)),
    ("+1 415 555 0123 ext. 12", None, Err(Extension)),
    ("+1 415 555 0123 ext 12", None, Err(Extension)),
    ("+1 415 555 0123 x12", None, Err(Extension)),
    ("+44 20 7946 0958 #123", None, Err(Extension)),
    ("+1 415 555 0123;ext=7", None, Err(Extension)),
    ("030 12345678 Durchwahl 5", Some("DE"), Err(NotANumber)),
    ("(415) 555-0123 extension 9", Some("US"), Err(Extension)),
    ("+1 800 FLOWERS", None, Err(NotANumber)),
    ("1-800-FLOWERS", Some("US"), Err(NotANumber)),
    ("+1 415 555 O123", None, Err(NotANumber)),
    ("hello", None, Err(NotANumber)),
    ("phone: +14155550123", None, Err(NotANumber)),
    ("abc", Some("US"), Err(NotANumber)),
    ("+", None, Err(NotANumber)),
    ("++", None, Err(MisplacedPlus)),
    ("---", None, Err(NotANumber)),
    ("()", None, Err(NotANumber)),
    ("!!!", None, Err(Other)),
    ("+1 415 555 0123 / call after 5", None, Err(NotANumber)),
    ("", None, Err(Empty)),
    ("   ", None, Err(Empty)),
    ("\t\n", Some("US"), Err(Empty)),
    ("", Some("DE"), Err(Empty)),
    ("+999 123456789", None, Err(InvalidCountryCode)),
    ("+0 123456789", None, Err(InvalidCountryCode)),
    ("+80 12345678", None, Err(InvalidCountryCode)),
    ("+210 123456", None, Err(InvalidCountryCode)),
    ("+800 1234 5678", None, Ok("+80012345678")),
    ("+882 3456 7890", None, Err(InvalidNumber)),
    ("+1 415 555", None, Err(TooShort)),
    ("+1 415 555 01234", None, Err(TooLong)),
    ("+1 415 555 0123 4567 8", None, Err(TooLong)),
    ("+49 1", None, Err(TooShort)),
    ("+4", None, Err(NotANumber)),
    ("+12", None, Err(NotANumber)),
    ("+1 123 555 0123", None, Err(InvalidNumber)),
    ("+1 415 123 4567", None, Err(InvalidNumber)),
    ("+44 20 0000 0000", None, Ok("+442000000000")),
    ("+49 30 1", None, Err(InvalidNumber)),
    ("+33 1 23", None, Err(TooShort)),
    ("+7 123 456 78 90", None, Err(InvalidNumber)),
    ("+123456789012345678", None, Err(TooLong)),
    (
        "+12222222222222222222222222222222222222222",
        None,
        Err(TooLong),
    ),
    (
        "111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111",
        Some("US"),
        Err(TooLong),
    ),
    ("030 12345678", Some("XX"), Err(UnknownRegion)),
    ("030 12345678", Some("ZZ"), Err(UnknownRegion)),
    ("030 12345678", Some("001"), Err(UnknownRegion)),
    ("030 12345678", Some("Germany"), Err(UnknownRegion)),
    ("030 12345678", Some(""), Err(UnknownRegion)),
    ("+14155550123", Some("+14155550123"), Err(UnknownRegion)),
    ("+493012345678", Some(" de "), Ok("+493012345678")),
    ("0612345678", Some("fr"), Ok("+33612345678")),
    ("+39 06 6982 0000", None, Ok("+390669820000")),
    ("06 6982 0000", Some("IT"), Ok("+390669820000")),
    ("+39 312 345 6789", None, Ok("+393123456789")),
    ("+54 9 11 2345-6789", None, Ok("+5491123456789")),
    ("011 15-2345-6789", Some("AR"), Ok("+5491123456789")),
    ("+52 1 55 1234 5678", None, Err(TooLong)),
    ("044 55 1234 5678", Some("MX"), Err(TooLong)),
    ("+1 201-555-0123", None, Ok("+12015550123")),
    ("(201) 555-0123", Some("US"), Ok("+12015550123")),
    ("011 12015550123", Some("US"), Ok("+12015550123")),
    ("+120155501", None, Err(TooShort)),
    ("+1201555012399", None, Err(TooLong)),
    ("+1 506-234-5678", None, Ok("+15062345678")),
    ("(506) 234-5678", Some("CA"), Ok("+15062345678")),
    ("011 15062345678", Some("CA"), Ok("+15062345678")),
    ("+150623456", None, Err(TooShort)),
    ("+1506234567899", None, Err(TooLong)),
    ("+44 7400 123456", None, Ok("+447400123456")),
    ("07400 123456", Some("GB"), Ok("+447400123456")),
    ("0121 234 5678", Some("GB"), Ok("+441212345678")),
    ("00 447400123456", Some("FR"), Ok("+447400123456")),
    ("+4474001234", None, Err(InvalidNumber)),
    ("+44740012345699", None, Err(TooLong)),
    ("+49 1512 3456789", None, Ok("+4915123456789")),
    ("01512 3456789", Some("DE"), Ok("+4915123456789")),
    ("030 123456", Some("DE"), Ok("+4930123456")),
    ("00 4915123456789", Some("DE"), Ok("+4915123456789")),
    ("+49151234567", None, Err(InvalidNumber)),
    ("+491512345678999", None, Err(InvalidNumber)),
    ("+33 6 12 34 56 78", None, Ok("+33612345678")),
    ("06 12 34 56 78", Some("FR"), Ok("+33612345678")),
    ("01 23 45 67 89", Some("FR"), Ok("+33123456789")),
    ("00 33612345678", Some("FR"), Ok("+33612345678")),
    ("+336123456", None, Err(TooShort)),
    ("+3361234567899", None, Err(TooLong)),
    ("312 345 6789", Some("IT"), Ok("+393123456789")),
    ("02 1234 5678", Some("IT"), Ok("+390212345678")),
    ("00 393123456789", Some("IT"), Ok("+393123456789")),
    ("+3931234567", None, Err(InvalidNumber)),
    ("+39312345678999", None, Err(InvalidNumber)),
    ("+34 612 34 56 78", None, Ok("+34612345678")),
    ("612 34 56 78", Some("ES"), Ok("+34612345678")),
    ("810 12 34 56", Some("ES"), Ok("+34810123456")),
    ("00 34612345678", Some("ES"), Ok("+34612345678")),
    ("+346123456", None, Err(TooShort)),
    ("+3461234567899", None, Err(TooLong)),
    ("+31 6 12345678", None, Ok("+31612345678")),
    ("06 12345678", Some("NL"), Ok("+31612345678")),
    ("010 123 4567", Some("NL"), Ok("+31101234567")),
    ("00 31612345678", Some("NL"), Ok("+31612345678")),
    ("+316123456", None, Err(InvalidNumber)),
    ("+3161234567899", None, Err(InvalidNumber)),
    ("+55 11 96123-4567", None, Ok("+5511961234567")),
    ("(11) 96123-4567", Some("BR"), Ok("+5511961234567")),
    ("(11) 2345-6789", Some("BR"), Ok("+551123456789")),
    ("0014 5511961234567", Some("BR"), Ok("+5511961234567")),
    ("+55119612345", None, Err(InvalidNumber)),
    ("+551196123456799", None, Err(TooLong)),
    ("+91 81234 56789", None, Ok("+918123456789")),
    ("081234 56789", Some("IN"), Ok("+918123456789")),
    ("074104 10123", Some("IN"), Ok("+917410410123")),
    ("00 918123456789", Some("IN"), Ok("+918123456789")),
    ("+9181234567", None, Err(InvalidNumber)),
    ("+91812345678999", None, Err(InvalidNumber)),
    ("+52 222 123 4567", None, Ok("+522221234567")),
    ("222 123 4567", Some("MX"), Ok("+522221234567")),
    ("200 123 4567", Some("MX"), Ok("+522001234567")),
    ("00 522221234567", Some("MX"), Ok("+522221234567")),
    ("+5222212345", None, Err(InvalidNumber)),
    ("+52222123456799", None, Err(TooLong)),
    ("+7 912 345-67-89", None, Ok("+79123456789")),
    ("8 (912) 345-67-89", Some("RU"), Ok("+79123456789")),
    ("8 (301) 123-45-67", Some("RU"), Ok("+73011234567")),
    ("810 79123456789", Some("RU"), Ok("+79123456789")),
    ("+791234567", None, Err(TooShort)),
    ("+7912345678999", None, Err(InvalidNumber)),
    ("+81 90-1234-5678", None, Ok("+819012345678")),
    ("090-1234-5678", Some("JP"), Ok("+819012345678")),
    ("03-1234-5678", Some("JP"), Ok("+81312345678")),
    ("010 819012345678", Some("JP"), Ok("+819012345678")),
    ("+8190123456", None, Err(InvalidNumber)),
    ("+81901234567899", None, Err(InvalidNumber)),
    ("+86 131 2345 6789", None, Ok("+8613123456789")),
    ("131 2345 6789", Some("CN"), Ok("+8613123456789")),
    ("010 1234 5678", Some("CN"), Ok("+861012345678")),
    ("00 8613123456789", Some("CN"), Ok("+8613123456789")),
    ("+86131234567", None, Err(InvalidNumber)),
    ("+861312345678999", None, Err(TooLong)),
    ("+61 412 345 678", None, Ok("+61412345678")),
    ("0412 345 678", Some("AU"), Ok("+61412345678")),
    ("(02) 1234 5678", Some("AU"), Ok("+61212345678")),
    ("0011 61412345678", Some("AU"), Ok("+61412345678")),
    ("+614123456", None, Err(InvalidNumber)),
    ("+6141234567899", None, Err(InvalidNumber)),
    ("+27 71 123 4567", None, Ok("+27711234567")),
    ("071 123 4567", Some("ZA"), Ok("+27711234567")),
    ("010 123 4567", Some("ZA"), Ok("+27101234567")),
    ("00 27711234567", Some("ZA"), Ok("+27711234567")),
    ("+277112345", None, Err(InvalidNumber)),
    ("+2771123456799", None, Err(TooLong)),
    ("+234 802 123 4567", None, Ok("+2348021234567")),
    ("0802 123 4567", Some("NG"), Ok("+2348021234567")),
    ("02033 12 3456", Some("NG"), Ok("+2342033123456")),
    ("00 2348021234567", Some("NG"), Err(InvalidNumber)),
    ("+23480212345", None, Err(TooShort)),
    ("+234802123456799", None, Err(InvalidNumber)),
    ("011 2345-6789", Some("AR"), Ok("+541123456789")),
    ("00 5491123456789", Some("AR"), Ok("+5491123456789")),
    ("+54911234567", None, Err(TooShort)),
    ("+549112345678999", None, Err(TooLong)),
    ("+41 78 123 45 67", None, Ok("+41781234567")),
    ("078 123 45 67", Some("CH"), Ok("+41781234567")),
    ("021 234 56 78", Some("CH"), Ok("+41212345678")),
    ("00 41781234567", Some("CH"), Ok("+41781234567")),
    ("+417812345", None, Err(TooShort)),
    ("+4178123456799", None, Err(InvalidNumber)),
    ("+46 70 123 45 67", None, Ok("+46701234567")),
    ("070-123 45 67", Some("SE"), Ok("+46701234567")),
    ("08-12 34 56", Some("SE"), Ok("+468123456")),
    ("00 46701234567", Some("SE"), Ok("+46701234567")),
    ("+467012345", None, Err(InvalidNumber)),
    ("+4670123456799", None, Err(InvalidNumber)),
    ("+971 50 123 4567", None, Ok("+971501234567")),
    ("050 123 4567", Some("AE"), Ok("+971501234567")),
    ("02 234 5678", Some("AE"), Ok("+97122345678")),
    ("00 971501234567", Some("AE"), Ok("+971501234567")),
    ("+9715012345", None, Err(InvalidNumber)),
    ("+97150123456799", None, Err(InvalidNumber)),
    ("+65 8123 4567", None, Ok("+6581234567")),
    ("8123 4567", Some("SG"), Ok("+6581234567")),
    ("6123 4567", Some("SG"), Ok("+6561234567")),
    ("001 6581234567", Some("SG"), Ok("+6581234567")),
    ("+65812345", None, Err(TooShort)),
    ("+658123456799", None, Err(InvalidNumber)),
    ("+62 812-345-678", None, Ok("+62812345678")),
    ("0812-345-678", Some("ID"), Ok("+62812345678")),
    ("(021) 8350123", Some("ID"), Ok("+62218350123")),
    ("001 62812345678", Some("ID"), Err(InvalidNumber)),
    ("+628123456", None, Err(InvalidNumber)),
    ("+6281234567899", None, Ok("+6281234567899")),
    ("+90 501 234 56 78", None, Ok("+905012345678")),
    ("0501 234 56 78", Some("TR"), Ok("+905012345678")),
    ("(0212) 345 67 89", Some("TR"), Ok("+902123456789")),
    ("00 905012345678", Some("TR"), Ok("+905012345678")),
    ("+9050123456", None, Err(InvalidNumber)),
    ("+90501234567899", None, Err(InvalidNumber)),
    ("+82 10-2000-0000", None, Ok("+821020000000")),
    ("010-2000-0000", Some("KR"), Ok("+821020000000")),
    ("02-212-3456", Some("KR"), Ok("+8222123456")),
    ("001 821020000000", Some("KR"), Ok("+821020000000")),
    ("+8210200000", None, Err(InvalidNumber)),
    ("+82102000000099", None, Err(InvalidNumber)),
    ("+48 512 345 678", None, Ok("+48512345678")),
    ("512 345 678", Some("PL"), Ok("+48512345678")),
    ("12 345 67 89", Some("PL"), Ok("+48123456789")),
    ("00 48512345678", Some("PL"), Ok("+48512345678")),
    ("+485123456", None, Err(InvalidNumber)),
    ("+4851234567899", None, Err(TooLong)),
    ("+353 85 012 3456", None, Ok("+353850123456")),
    ("085 012 3456", Some("IE"), Ok("+353850123456")),
    ("(022) 12345", Some("IE"), Ok("+3532212345")),
    ("00 353850123456", Some("IE"), Ok("+353850123456")),
    ("+3538501234", None, Err(InvalidNumber)),
    ("+35385012345699", None, Err(TooLong)),
    ("+64 21 123 4567", None, Ok("+64211234567")),
    ("021 123 4567", Some("NZ"), Ok("+64211234567")),
    ("03 234 5678", Some("NZ"), Ok("+6432345678")),
    ("00 64211234567", Some("NZ"), Ok("+64211234567")),
    ("+642112345", None, Err(InvalidNumber)),
    ("+6421123456799", None, Err(TooLong)),
    ("+254 712 123456", None, Ok("+254712123456")),
    ("0712 123456", Some("KE"), Ok("+254712123456")),
    ("020 2012345", Some("KE"), Ok("+254202012345")),
    ("000 254712123456", Some("KE"), Ok("+254712123456")),
    ("+2547121234", None, Err(InvalidNumber)),
    ("+25471212345699", None, Err(TooLong)),
    ("+20 10 01234567", None, Ok("+201001234567")),
    // Every accepted character, as people write numbers.
    ("(+44) 20 7946 0958", None, Ok("+442079460958")),
    ("+44 (0)20 7946 0958", None, Ok("+442079460958")),
    ("+33 (0)1 42 76 49 78", None, Ok("+33142764978")),
    ("+49 (0)151 2345 6789", None, Ok("+4915123456789")),
    ("030/12345678", Some("DE"), Ok("+493012345678")),
    ("+33 6 12\u{a0}34\u{a0}56\u{a0}78", None, Ok("+33612345678")),
    ("+33\u{3000}6\u{3000}12 34 56 78", None, Ok("+33612345678")),
    ("+33 6 12–34–56–78", None, Ok("+33612345678")),
    ("+1 415 555\u{2011}0123", None, Ok("+14155550123")),
    ("+1 415 555 − 0123", None, Ok("+14155550123")),
    ("（０３）１２３４－５６７８", Some("JP"), Ok("+81312345678")),
    ("０３．１２３４．５６７８", Some("JP"), Ok("+81312345678")),
    ("０３／１２３４／５６７８", Some("JP"), Ok("+81312345678")),
    ("+٢٠ ١٠ ٠١٢٣٤٥٦٧", None, Ok("+201001234567")),
    ("+۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹", None, Ok("+989123456789")),
    ("+९१ ८१२३४ ५६७८९", None, Ok("+918123456789")),
    ("\t+1 415 555 0123\r\n", None, Ok("+14155550123")),
    // Issue 12: libphonenumber skips these characters (the oracle accepts most of these
    // inputs); skipping them can make a different number, so they are refused.
    ("4155****23", Some("DE"), Err(Star)),
    ("4155****23", Some("US"), Err(Star)),
    ("+1415*****23", None, Err(Star)),
    ("+1 415 555 0123 *", None, Err(Star)),
    ("+1 415 555 0123\0\0", None, Err(Invisible)),
    ("+1 415\0 555 0123", None, Err(Invisible)),
    ("+1 415\t555 0123", None, Err(Invisible)),
    ("+1 415\n555 0123", None, Err(Invisible)),
    ("\u{feff}+14155550123", None, Err(Invisible)),
    ("+14155550123\u{200e}", None, Err(Invisible)),
    ("+33 6 12\u{200b}34 56 78", None, Err(Invisible)),
    ("+33 6 12\u{ad}34 56 78", None, Err(Invisible)),
    ("+1 415 %555 0123", None, Err(Other)),
    ("%%+14155550123", None, Err(Other)),
    ("+14155550123%", None, Err(Other)),
    ("+14155550123,", None, Err(Other)),
    ("+1 415 555 0123 ;", None, Err(Other)),
    ("+1 415 555 0123 !", None, Err(Other)),
    ("\"+1 415 555 0123\"", None, Err(Other)),
    ("+33 6 12[34] 56 78", None, Err(Other)),
    ("+33 6 12~34 56 78", None, Err(Other)),
    ("8~10 7 912 345 67 89", Some("RU"), Err(Other)),
    ("+33 6 12\u{202f}34 56 78", None, Err(Other)),
    ("+1 415 555 012³", None, Err(Other)),
    ("1+4155550123", Some("US"), Err(MisplacedPlus)),
    ("+1+4155550123", None, Err(MisplacedPlus)),
    ("+1 415 555 0123 +", None, Err(MisplacedPlus)),
    ("00 +33 1 42 76 49 78", Some("DE"), Err(MisplacedPlus)),
    // Issue 12: valid in libphonenumber's metadata, longer than E.164's 15 digits.
    ("+49 30 12345678901", None, Ok("+493012345678901")),
    ("+49 30 123456789012", None, Err(TooLong)),
    ("+49 30 1234567890123", None, Err(TooLong)),
    ("+49 89 1234567890123", None, Err(TooLong)),
    ("030 123456789012", Some("DE"), Err(TooLong)),
    ("010 01234567", Some("EG"), Ok("+201001234567")),
    ("02 34567890", Some("EG"), Ok("+20234567890")),
    ("00 201001234567", Some("EG"), Ok("+201001234567")),
    ("+2010012345", None, Err(InvalidNumber)),
    ("+20100123456799", None, Err(TooLong)),
];

/// Runs one table input the way a user would.
fn parse(input: &str, region: Option<&str>) -> Result<PhoneNumber, PhoneError> {
    match region {
        Some(region) => PhoneNumber::parse_with_region(input, region),
        None => input.parse(),
    }
}

fn phone(input: &str) -> PhoneNumber {
    input.parse().expect("valid test number")
}

#[test]
fn table_matches_libphonenumber_oracle() {
    let mismatches: Vec<String> = TABLE
        .iter()
        .filter_map(|&(input, region, expected)| {
            let actual = parse(input, region);
            let actual_kind = actual.as_ref().map(PhoneNumber::as_str).map_err(Kind::of);
            (actual_kind != expected).then(|| {
                format!("{input:?} in {region:?}: expected {expected:?}, got {actual_kind:?}")
            })
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// What `rlibphonenumber`, the full Rust port of libphonenumber, makes of `input` under this
/// type's policy (E.164's 15 digits, the same error reasons): the implementation this module
/// had before it read the plans itself, kept as its oracle. Only for input written with the
/// accepted characters.
fn oracle(input: &str, region: Option<&str>) -> Result<String, Kind> {
    use rlibphonenumber::{
        PHONE_NUMBER_UTIL, ParseError, PhoneNumberFormat, ValidationError, enums::Region,
    };
    let text = input.trim();
    if text.is_empty() {
        return Err(Empty);
    }
    // This type's own reading of a `+`, as the old implementation used it.
    let plus = super::Written::check(text, None).is_ok_and(|written| written.plus);
    let lib_region = region.map(|code| Region::from_code(code).expect("a known region"));
    let number = PHONE_NUMBER_UTIL
        .parse(text, lib_region)
        .map_err(|error| match error {
            ParseError::InvalidCountryCode if region.is_none() && !plus => MissingCountryCode,
            ParseError::InvalidCountryCode => InvalidCountryCode,
            ParseError::NotANumber(_) => NotANumber,
            ParseError::TooShortAfterIdd | ParseError::TooShortNsn => TooShort,
            ParseError::TooLongNsn => TooLong,
        })?;
    if !number.is_valid() {
        return Err(match number.is_possible_with_reason() {
            Err(ValidationError::TooShort) => TooShort,
            Err(ValidationError::TooLong) => TooLong,
            Err(ValidationError::InvalidCountryCode) => InvalidCountryCode,
            Err(ValidationError::InvalidLength) | Ok(_) => InvalidNumber,
        });
    }
    let e164 = number.format_as(PhoneNumberFormat::E164).into_owned();
    if e164.len() > 16 {
        return Err(TooLong);
    }
    Ok(e164)
}

/// Parses `input` and compares with [`oracle`]; the mismatch, if any, as a line.
fn disagreement(input: &str, region: Option<&str>) -> Option<String> {
    let ours = parse(input, region)
        .map(String::from)
        .map_err(|e| Kind::of(&e));
    let theirs = oracle(input, region);
    (ours != theirs).then(|| format!("{input:?} in {region:?}: ours {ours:?}, oracle {theirs:?}"))
}

/// Every territory's example numbers of every kind, written the ways people write them and
/// mutated (a digit dropped, added or changed, a wrong trunk prefix), each compared with the
/// oracle: about 20 000 inputs.
#[test]
fn agrees_with_the_oracle_on_every_territorys_numbers() {
    use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumberFormat, PhoneNumberType};
    let kinds = [
        PhoneNumberType::FixedLine,
        PhoneNumberType::Mobile,
        PhoneNumberType::TollFree,
        PhoneNumberType::PremiumRate,
        PhoneNumberType::SharedCost,
        PhoneNumberType::VoIP,
        PhoneNumberType::PersonalNumber,
        PhoneNumberType::Pager,
        PhoneNumberType::UAN,
        PhoneNumberType::VoiceMail,
    ];
    let mut inputs: Vec<(String, Option<String>)> = Vec::new();
    let mut examples = Vec::new();
    for region in PHONE_NUMBER_UTIL.get_supported_regions() {
        let code = region.as_region_str().to_string();
        for kind in kinds {
            if let Ok(number) =
                PHONE_NUMBER_UTIL.get_example_number_for_type_and_region(region, kind)
            {
                examples.push((number, Some(code.clone())));
            }
        }
    }
    for code in PHONE_NUMBER_UTIL.get_supported_global_network_calling_codes() {
        if let Ok(number) = PHONE_NUMBER_UTIL.get_example_number_for_non_geo_entity(code) {
            examples.push((number, None));
        }
    }
    let mut rng = fastrand::Rng::with_seed(15);
    for (number, region) in &examples {
        let e164 = number.format_as(PhoneNumberFormat::E164).into_owned();
        let international = number
            .format_as(PhoneNumberFormat::International)
            .into_owned();
        let national = number.format_as(PhoneNumberFormat::National).into_owned();
        let digits = &e164[1..];
        let mut written = vec![
            (e164.clone(), None),
            (international.clone(), None),
            (format!("+{}", &digits[..digits.len() - 1]), None),
            (format!("{e164}{}", rng.u8(0..10)), None),
            (format!("{e164}{}{}", rng.u8(0..10), rng.u8(0..10)), None),
        ];
        for _ in 0..4 {
            let mut changed: Vec<u8> = digits.bytes().collect();
            let at = rng.usize(..changed.len());
            changed[at] = b'0' + rng.u8(0..10);
            written.push((format!("+{}", String::from_utf8(changed).unwrap()), None));
        }
        if let Some(region) = region {
            let region = Some(region.clone());
            let national_digits: String = national.chars().filter(char::is_ascii_digit).collect();
            written.extend([
                (national.clone(), region.clone()),
                (international.clone(), region.clone()),
                (digits.to_owned(), region.clone()),
                (format!("0{national_digits}"), region.clone()),
                (format!("00{digits}"), region.clone()),
                (format!("011{digits}"), region.clone()),
                (format!("8{national_digits}"), region.clone()),
                (national_digits[1..].to_owned(), region.clone()),
                (
                    format!("{national_digits}{}", rng.u8(0..10)),
                    region.clone(),
                ),
            ]);
        }
        inputs.extend(written);
    }
    assert!(inputs.len() > 20_000, "only {} inputs", inputs.len());
    assert_agreement(
        inputs
            .iter()
            .map(|(input, region)| (input.as_str(), region.as_deref())),
    );
}

/// Fails with the first disagreements with the oracle, and how many there are.
fn assert_agreement<'a>(inputs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) {
    let mut count = 0;
    let mismatches: Vec<String> = inputs
        .into_iter()
        .inspect(|_| count += 1)
        .filter_map(|(input, region)| disagreement(input, region))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {count} inputs disagree:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Random digits after every calling code, with and without a region: the oracle decides.
#[test]
fn agrees_with_the_oracle_on_random_digits() {
    let mut rng = fastrand::Rng::with_seed(12);
    let regions = [
        "US", "DE", "GB", "IT", "BR", "AR", "RU", "IN", "MX", "JP", "AU", "NL",
    ];
    let mut inputs = Vec::new();
    for code in 1..1000_u16 {
        for _ in 0..12 {
            let length = rng.usize(1..16);
            let digits: String = (0..length)
                .map(|_| char::from(b'0' + rng.u8(0..10)))
                .collect();
            let region = regions[rng.usize(..regions.len())];
            inputs.extend([
                (format!("+{code}{digits}"), None),
                (format!("{code}{digits}"), Some(region)),
                (format!("0{code}{digits}"), Some(region)),
            ]);
        }
    }
    assert_agreement(
        inputs
            .iter()
            .map(|(input, region)| (input.as_str(), *region)),
    );
}

#[test]
fn table_is_broad() {
    let country_codes: BTreeSet<u16> = TABLE
        .iter()
        .filter_map(|&(input, region, _)| parse(input, region).ok())
        .map(|phone| phone.country_code())
        .collect();
    assert!(TABLE.len() >= 100, "only {} cases", TABLE.len());
    assert!(
        country_codes.len() >= 15,
        "only {} countries: {country_codes:?}",
        country_codes.len()
    );
    let kinds: HashSet<String> = TABLE
        .iter()
        .filter_map(|(_, _, expected)| expected.err().map(|kind| format!("{kind:?}")))
        .collect();
    assert_eq!(
        kinds.len(),
        13,
        "every error kind is in the table: {kinds:?}"
    );
}

#[test]
fn errors_never_contain_the_number() {
    for &(input, region, _) in TABLE {
        let Err(error) = parse(input, region) else {
            continue;
        };
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(
                digits.len() < 7 || !shown.contains(&digits),
                "{shown:?} shows the number of {input:?}"
            );
            assert!(
                !shown.contains(input.trim()) || input.trim().len() < 4,
                "{shown:?}"
            );
        }
    }
}

#[test]
fn error_messages_are_lowercase_without_period() {
    let errors = [
        PhoneError::Empty,
        PhoneError::NotANumber,
        PhoneError::MissingCountryCode,
        PhoneError::InvalidCountryCode,
        PhoneError::TooShort,
        PhoneError::TooLong,
        PhoneError::InvalidNumber,
        PhoneError::Extension,
        PhoneError::UnknownRegion {
            region: "XX".into(),
        },
    ];
    for error in errors {
        let message = error.to_string();
        assert!(message.starts_with(|c: char| c.is_lowercase()), "{message}");
        assert!(!message.ends_with('.'), "{message}");
    }
}

#[test]
fn unknown_region_keeps_short_codes_and_masks_long_ones() {
    let err = |region| PhoneNumber::parse_with_region("030 12345678", region).unwrap_err();
    assert_eq!(
        err("XX"),
        PhoneError::UnknownRegion {
            region: "XX".into()
        }
    );
    assert_eq!(
        err("001"),
        PhoneError::UnknownRegion {
            region: "001".into()
        }
    );
    assert_eq!(
        err("+14155550123"),
        PhoneError::UnknownRegion {
            region: "+1415*****23".into()
        }
    );
    assert_eq!(
        err("Germany"),
        PhoneError::UnknownRegion {
            region: "*******".into()
        }
    );
    assert_eq!(
        err("XX").to_string(),
        r#"unknown region "XX": expected an ISO 3166-1 alpha-2 code such as "DE""#
    );
}

#[test]
fn region_is_case_insensitive_and_trimmed() {
    for region in ["DE", "de", "De", " de "] {
        assert_eq!(
            PhoneNumber::parse_with_region("030 12345678", region).map(String::from),
            Ok("+493012345678".to_owned()),
            "{region:?}"
        );
    }
}

#[test]
fn whatsapp_ids_are_digits_with_country_code() {
    assert_eq!(
        PhoneNumber::from_whatsapp_id("14155550123"),
        Ok(phone("+14155550123"))
    );
    assert_eq!(
        PhoneNumber::from_whatsapp_id("442079460958"),
        Ok(phone("+442079460958"))
    );
    assert_eq!(PhoneNumber::from_whatsapp_id(""), Err(PhoneError::Empty));
    for not_digits in [
        "+14155550123",
        "1 415 555 0123",
        "1415555012a",
        "１４１５５５５０１２３",
        " 14155550123",
    ] {
        assert_eq!(
            PhoneNumber::from_whatsapp_id(not_digits),
            Err(PhoneError::NotANumber),
            "{not_digits:?}"
        );
    }
    assert_eq!(
        PhoneNumber::from_whatsapp_id("999123456789"),
        Err(PhoneError::InvalidCountryCode)
    );
    assert_eq!(
        PhoneNumber::from_whatsapp_id("1415555"),
        Err(PhoneError::TooShort)
    );
    assert_eq!(
        PhoneNumber::from_whatsapp_id("4930123456789012"),
        Err(PhoneError::TooLong)
    );
}

#[test]
fn accessors_split_country_code_and_national_number() {
    let cases = [
        ("+14155550123", 1, "4155550123"),
        ("+442079460958", 44, "2079460958"),
        ("+353850123456", 353, "850123456"),
        ("+390669820000", 39, "0669820000"),
        ("+80012345678", 800, "12345678"),
    ];
    for (input, country_code, national) in cases {
        let phone = phone(input);
        assert_eq!(phone.as_str(), input);
        assert_eq!(phone.as_ref(), input);
        assert_eq!(phone.country_code(), country_code, "{input}");
        assert_eq!(phone.national_number(), national, "{input}");
    }
}

#[test]
fn conversions_agree() {
    let expected = phone("+14155550123");
    let owned = String::from("+1 (415) 555-0123");
    assert_eq!(
        PhoneNumber::try_from("+1 415 555 0123"),
        Ok(expected.clone())
    );
    assert_eq!(PhoneNumber::try_from(&owned), Ok(expected.clone()));
    assert_eq!(PhoneNumber::try_from(owned), Ok(expected.clone()));
    assert_eq!(expected.to_string(), "+14155550123");
    assert_eq!(String::from(expected), "+14155550123");
}

#[test]
fn differently_typed_numbers_are_equal_and_hash_alike() {
    let set: HashSet<PhoneNumber> = [
        "+1 415-555-0123",
        "+1 (415) 555 0123",
        "＋１ ４１５ ５５５ ０１２３",
    ]
    .map(phone)
    .into();
    assert_eq!(set.len(), 1);
    assert!(phone("+14155550123") < phone("+442079460958"));
}

#[test]
fn debug_masks_the_number() {
    let phone = phone("+14155550123");
    assert_eq!(format!("{phone:?}"), r#"PhoneNumber("+1415*****23")"#);
    assert_eq!(phone.masked().to_string(), "+1415*****23");
    let wrapped: Result<Option<PhoneNumber>, PhoneError> = Ok(Some(phone));
    assert!(!format!("{wrapped:?}").contains("4155550123"));
}

/// Issue 12: a masked number pasted back from a log became a different, valid number.
#[test]
fn masked_number_is_refused() {
    assert_eq!(mask("+49 415 5550 123"), "+4941******23");
    for (masked, region) in [("4155****23", "DE"), ("+4941******23", "DE")] {
        assert!(
            PhoneNumber::parse_with_region(masked, region).is_err(),
            "{masked:?}"
        );
    }
}

/// Issue 12: `*`, `%` and control characters were dropped anywhere.
#[test]
fn skipped_characters_are_refused() {
    for input in [
        "+1 415 555 0123\0\0",
        "+1 415 555 0123*",
        "+1 415 *555 0123",
        "+1 415 %555 0123",
        "%+14155550123",
        "+1415\u{7}5550123",
    ] {
        assert!(input.parse::<PhoneNumber>().is_err(), "{input:?}");
    }
}

/// Issue 12: `+49` numbers of 16 and 17 digits passed although E.164 allows 15.
#[test]
fn numbers_longer_than_e164_are_refused() {
    for input in ["+49 30 123456789012", "+49 30 1234567890123"] {
        assert!(input.parse::<PhoneNumber>().is_err(), "{input:?}");
    }
}

/// libphonenumber's reference implementations refuse input longer than 250 characters as too
/// long to parse (checked against Python `phonenumbers`); so does this crate, before its
/// regular expressions run over input of any length.
#[test]
fn input_of_more_than_250_characters_is_too_long() {
    let spaced = |spaces: usize| format!("+1{}4155550123", " ".repeat(spaces));
    assert_eq!(spaced(238).chars().count(), 250);
    assert_eq!(
        spaced(238).parse::<PhoneNumber>().map(String::from),
        Ok("+14155550123".to_owned())
    );
    assert_eq!(spaced(239).parse::<PhoneNumber>(), Err(PhoneError::TooLong));
    let long = format!("{} ext. 12", "4".repeat(1 << 20));
    assert_eq!(long.parse::<PhoneNumber>(), Err(PhoneError::NotANumber));
}

#[test]
fn refusals_say_what_and_where() {
    let refusal = |input: &str| input.parse::<PhoneNumber>().unwrap_err();
    assert_eq!(
        refusal("  +1 415 555 0123\0"),
        PhoneError::UnexpectedCharacter {
            kind: CharacterKind::Invisible,
            index: 17
        }
    );
    assert_eq!(
        refusal("+1415*****23"),
        PhoneError::UnexpectedCharacter {
            kind: CharacterKind::Star,
            index: 5
        }
    );
    // Full-width characters take three bytes each.
    assert_eq!(
        refusal("＋１＋４１５５５５０１２３"),
        PhoneError::UnexpectedCharacter {
            kind: CharacterKind::MisplacedPlus,
            index: 6
        }
    );
    let input = "+1 415 555 0123 %";
    let PhoneError::UnexpectedCharacter { kind, index } = refusal(input) else {
        panic!("{input:?} is refused for its `%`");
    };
    assert_eq!((kind, &input[index..]), (CharacterKind::Other, "%"));
    assert_eq!(
        refusal("+1415*****23").to_string(),
        "phone number has a `*` standing for unknown digits at byte 5"
    );
    // An extension is still reported as one, letters as not a number.
    assert_eq!(refusal("+1 415 555 0123 #12"), PhoneError::Extension);
    assert_eq!(refusal("+1 415 555 0123,,12"), PhoneError::Extension);
    assert_eq!(refusal("+1 415 555 0I23"), PhoneError::NotANumber);
}

#[test]
fn mask_rule() {
    let cases = [
        ("+14155550123", "+1415*****23"),
        ("+1 (415) 555-0123", "+1415*****23"),
        ("+447911123456", "+4479******56"),
        ("  +44 20 7946 0958 ", "+4420******58"),
        ("+41446", "+*****"),
        ("4155550123", "4155****23"),
        ("+41446681", "+********"),
        ("123", "***"),
        ("+", "+"),
        ("", ""),
        ("call +14155550123", "*****************"),
        ("＋１ ４１５ ５５５ ０１２３", "***************"),
        ("x".repeat(100).as_str(), "********************************"),
    ]
    .map(|(raw, masked)| (raw.to_owned(), masked));
    for (raw, masked) in cases {
        assert_eq!(mask(&raw), masked, "{raw:?}");
    }
}

#[test]
fn serde_uses_the_e164_string_and_validates() {
    let phone = phone("+14155550123");
    assert_eq!(
        serde_json::to_string(&phone).expect("serialize"),
        r#""+14155550123""#
    );
    let parsed: PhoneNumber = serde_json::from_str(r#""+1 (415) 555-0123""#).expect("deserialize");
    assert_eq!(parsed, phone);
    let error = serde_json::from_str::<PhoneNumber>(r#""4155550123""#)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no country code"), "{error}");
    assert!(!error.contains("4155550123"), "{error}");
    assert!(serde_json::from_str::<PhoneNumber>("14155550123").is_err());
}

#[test]
fn generated_builders_accept_phone_numbers() {
    let body = crate::types::SendTextMessageRequest::builder()
        .phone(phone("+1 415 555 0123"))
        .message("hello");
    let body = crate::types::SendTextMessageRequest::try_from(body).expect("complete body");
    assert_eq!(body.phone, "+14155550123");
}

/// Valid numbers: a valid number of the table with its last four digits replaced.
fn valid_number() -> impl Strategy<Value = PhoneNumber> {
    let seeds: Vec<&str> = TABLE
        .iter()
        .filter_map(|(_, _, expected)| expected.ok())
        .collect();
    (prop::sample::select(seeds), "[0-9]{4}").prop_filter_map("not valid", |(seed, tail)| {
        let head = seed.get(..seed.len() - 4)?;
        format!("{head}{tail}").parse().ok()
    })
}

/// Inserts a separator people type after each digit, chosen by `noise`.
fn typed_like_a_person(e164: &str, noise: &[u8]) -> String {
    let separators = [
        "", " ", "-", ".", "", " ", "/", "\u{a0}", "–", "\u{3000}", "－",
    ];
    e164.chars()
        .zip(noise.iter().cycle())
        .map(|(c, &n)| format!("{c}{}", separators[usize::from(n) % separators.len()]))
        .collect()
}

/// Writes the ASCII digits of `text` in another script whose zero is `zero`.
fn digits_in(text: &str, zero: char) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(value) => char::from_u32(u32::from(zero) + value).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// Characters outside the accepted set, one of each kind and then some.
const REFUSED: &[char] = &[
    '*', '＊', '\0', '\t', '\n', '\u{7f}', '\u{200b}', '\u{feff}', '\u{200e}', '%', '#', ',', ';',
    '~', '[', '!', '_', '\'', '"', '\u{202f}', '²',
];

proptest! {
    #[test]
    fn masked_numbers_never_parse(phone in valid_number(), region in prop::sample::select(&["US", "DE", "GB", "FR", "IN", "BR"][..])) {
        let masked = mask(phone.as_str());
        let star = |result: Result<PhoneNumber, PhoneError>| matches!(
            result,
            Err(PhoneError::UnexpectedCharacter { kind: CharacterKind::Star, .. })
        );
        prop_assert!(star(masked.parse()), "{:?}", masked);
        prop_assert!(star(PhoneNumber::parse_with_region(&masked, region)), "{:?}", masked);
        prop_assert!(star(PhoneNumber::parse_with_region(&masked[1..], region)), "{:?}", masked);
    }

    #[test]
    fn refused_characters_are_never_skipped(
        phone in valid_number(),
        noise in prop::collection::vec(any::<u8>(), 1..8),
        refused in prop::sample::select(REFUSED),
        at in any::<prop::sample::Index>(),
    ) {
        let typed = typed_like_a_person(phone.as_str(), &noise);
        let boundaries: Vec<usize> = typed.char_indices().map(|(i, _)| i).chain([typed.len()]).collect();
        let at = boundaries[at.index(boundaries.len())];
        let input = format!("{}{refused}{}", &typed[..at], &typed[at..]);
        // Whitespace at either end is trimmed, which is not a skip.
        prop_assume!(input.trim().contains(refused));
        let result = input.parse::<PhoneNumber>();
        prop_assert!(result.is_err(), "{:?} -> {:?}", input, result);
    }

    #[test]
    fn other_scripts_digits_read_as_ascii(phone in valid_number(), zero in prop::sample::select(&['０', '٠', '۰', '०'][..])) {
        prop_assert_eq!(digits_in(phone.as_str(), zero).parse::<PhoneNumber>(), Ok(phone));
    }

    #[test]
    fn normalizing_is_idempotent(phone in valid_number(), noise in prop::collection::vec(any::<u8>(), 1..8)) {
        let typed = typed_like_a_person(phone.as_str(), &noise);
        let normalized: PhoneNumber = typed.parse().expect("separators keep a number valid");
        prop_assert_eq!(&normalized, &phone);
        prop_assert_eq!(normalized.as_str().parse::<PhoneNumber>(), Ok(normalized.clone()));
    }

    #[test]
    fn agrees_with_the_oracle(input in "[+]?[0-9 ().-]{1,24}", region in prop::option::of(prop::sample::select(&["US", "DE", "GB", "IT", "BR", "AR", "RU", "CN"][..]))) {
        prop_assert_eq!(disagreement(&input, region), None);
    }

    #[test]
    fn display_round_trips_through_from_str(phone in valid_number()) {
        let shown = phone.to_string();
        prop_assert_eq!(&shown, phone.as_str());
        prop_assert_eq!(shown.parse::<PhoneNumber>(), Ok(phone.clone()));
        prop_assert_eq!(PhoneNumber::from_whatsapp_id(&shown[1..]), Ok(phone));
    }

    #[test]
    fn no_input_panics(input in ".{0,40}", region in ".{0,4}", letters in "[A-Za-z]{2}") {
        let results = [
            input.parse::<PhoneNumber>(),
            PhoneNumber::parse_with_region(&input, &region),
            PhoneNumber::parse_with_region(&input, &letters),
            PhoneNumber::from_whatsapp_id(&input),
        ];
        for phone in results.into_iter().flatten() {
            let e164 = phone.as_str();
            prop_assert!(e164.starts_with('+') && e164.len() <= 16, "{}", e164);
            prop_assert!(e164[1..].bytes().all(|b| b.is_ascii_digit()), "{}", e164);
            prop_assert_eq!(e164.parse::<PhoneNumber>(), Ok(phone.clone()));
        }
    }

    #[test]
    fn number_like_input_never_panics(input in "[+＋0-9０-９ ()./#*xX;=-]{0,30}", region in "[A-Za-z]{2}") {
        let _ = input.parse::<PhoneNumber>();
        let _ = PhoneNumber::parse_with_region(&input, &region);
    }

    #[test]
    fn mask_reveals_at_most_six_digits(raw in ".{0,40}|[+ 0-9().-]{0,40}") {
        let masked = mask(&raw);
        prop_assert!(masked.bytes().filter(u8::is_ascii_digit).count() <= 6, "{:?} -> {:?}", raw, masked);
    }

    #[test]
    fn debug_reveals_at_most_six_digits(phone in valid_number()) {
        let shown = format!("{phone:?}");
        prop_assert!(shown.bytes().filter(u8::is_ascii_digit).count() <= 6, "{}", shown);
    }
}
