//! Contact fields with rules of their own: tags and metadata.
//!
//! create-contact and update-contact take `tags` as one comma-separated string and `metadata` as
//! a JSON object of at most about 64 KB. [`Tag`], [`Tags`] and [`Metadata`] enforce exactly those
//! documented rules (and no invented ones) and convert into the types the generated request
//! builders take. Nothing here performs HTTP.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::convert::Infallible;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::types::json_kind;

/// One contact tag: trimmed, not empty, without a comma.
///
/// The API receives tags as one comma-separated string, so a comma would split the tag in two;
/// surrounding whitespace is trimmed because the server splits on commas and trims. No other
/// limit is documented, so none is enforced.
///
/// ```
/// use qyvo::contact::Tag;
///
/// let tag: Tag = "  fr-FR ".parse()?;
/// assert_eq!(tag.as_str(), "fr-FR");
/// assert!("vip, beta".parse::<Tag>().is_err());
/// # Ok::<(), qyvo::contact::TagError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    /// The tag name.
    ///
    /// ```
    /// assert_eq!(qyvo::contact::Tag::try_from("vip")?.as_str(), "vip");
    /// # Ok::<(), qyvo::contact::TagError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Tag {
    type Error = TagError;

    /// Trims `name` and checks it.
    ///
    /// # Errors
    ///
    /// [`TagError::Empty`] when nothing is left after trimming, [`TagError::ContainsComma`] when
    /// the name contains a comma.
    fn try_from(name: &str) -> Result<Self, Self::Error> {
        let name = name.trim();
        if name.is_empty() {
            Err(TagError::Empty)
        } else if name.contains(',') {
            Err(TagError::ContainsComma {
                tag: name.to_owned(),
            })
        } else {
            Ok(Self(name.to_owned()))
        }
    }
}

impl TryFrom<String> for Tag {
    type Error = TagError;

    /// As `TryFrom<&str>`.
    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.as_str().try_into()
    }
}

impl TryFrom<&String> for Tag {
    type Error = TagError;

    /// As `TryFrom<&str>`.
    fn try_from(name: &String) -> Result<Self, Self::Error> {
        name.as_str().try_into()
    }
}

impl FromStr for Tag {
    type Err = TagError;

    /// As `TryFrom<&str>`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        name.try_into()
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Tag {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Lets sets of tags be searched by name; a tag hashes and compares as its name.
impl Borrow<str> for Tag {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<Tag> for String {
    /// The name, e.g. for the add-tag and remove-tag `tag` field.
    fn from(tag: Tag) -> Self {
        tag.0
    }
}

/// Why a tag is not valid.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagError {
    /// The tag is empty or only whitespace.
    Empty,
    /// The tag contains a comma, which would split it in the API's comma-separated `tags` field.
    ContainsComma {
        /// The offending tag, trimmed.
        tag: String,
    },
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("tag is empty"),
            Self::ContainsComma { tag } => write!(
                f,
                "tag `{tag}` contains a comma, which separates tags in the api"
            ),
        }
    }
}

impl std::error::Error for TagError {}

/// An ordered set of tags, written as the comma-separated string create-contact and
/// update-contact take.
///
/// Tags keep the order they were added in; an exact repeat is dropped (the server's case rules
/// are not documented, so `VIP` and `vip` are both kept). [`Display`](fmt::Display) and
/// [`Tags::to_csv`] give `"vip, beta-testers, fr-FR"`; `From<Tags>` for `String` and for
/// `Option<String>` let the generated builders' `tags(...)` setters take a `Tags` directly.
/// An empty `Tags` renders as `""`, which on update-contact replaces the tag list with nothing.
///
/// Serde reads and writes a JSON array of strings, the shape responses use.
///
/// Adding a tag and [`Tags::contains`] take constant time (a hash set holds the names besides
/// the ordered list), so parsing, collecting and extending are linear in their input.
///
/// ```
/// use qyvo::contact::Tags;
///
/// let tags = Tags::try_from_iter(["vip", "beta-testers", " fr-FR ", "vip"])?;
/// assert_eq!(tags.to_csv(), "vip, beta-testers, fr-FR");
/// let field: String = tags.into();
/// assert_eq!(field, "vip, beta-testers, fr-FR");
/// # Ok::<(), qyvo::contact::TagError>(())
/// ```
#[derive(Clone, Default, Deserialize)]
#[serde(from = "Vec<Tag>")]
pub struct Tags {
    /// The tags, in insertion order.
    list: Vec<Tag>,
    /// The same tags, to find repeats without scanning the list.
    seen: HashSet<Tag>,
}

impl Tags {
    /// No tags.
    ///
    /// ```
    /// assert!(qyvo::contact::Tags::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds tags from anything convertible to [`Tag`], keeping the first of each repeat.
    ///
    /// # Errors
    ///
    /// The [`TagError`] of the first item that is not a valid tag.
    ///
    /// ```
    /// use qyvo::contact::{TagError, Tags};
    ///
    /// assert_eq!(Tags::try_from_iter(["vip", " "]), Err(TagError::Empty));
    /// assert_eq!(Tags::try_from_iter(vec![String::from("vip")])?.len(), 1);
    /// # Ok::<(), TagError>(())
    /// ```
    pub fn try_from_iter<I, T>(items: I) -> Result<Self, TagError>
    where
        I: IntoIterator<Item = T>,
        T: TryInto<Tag, Error = TagError>,
    {
        items.into_iter().map(TryInto::try_into).collect()
    }

    /// Parses the comma-separated form the API uses, trimming each entry.
    ///
    /// Blank entries (as in `"vip,,fr"` or a trailing comma) are skipped; every other entry is a
    /// valid tag, so this never fails. `str::parse` does the same.
    ///
    /// ```
    /// let tags = qyvo::contact::Tags::from_csv(" vip,, beta-testers ,fr-FR,");
    /// assert_eq!(tags.to_csv(), "vip, beta-testers, fr-FR");
    /// ```
    pub fn from_csv(csv: &str) -> Self {
        // An entry between commas has no comma, so the only possible error is a blank entry.
        csv.split(',')
            .filter_map(|entry| Tag::try_from(entry).ok())
            .collect()
    }

    /// Adds a tag at the end; returns `false` (and changes nothing) when it is already there.
    ///
    /// ```
    /// use qyvo::contact::{Tag, Tags};
    ///
    /// let mut tags = Tags::new();
    /// assert!(tags.push(Tag::try_from("vip")?));
    /// assert!(!tags.push(Tag::try_from("vip")?));
    /// # Ok::<(), qyvo::contact::TagError>(())
    /// ```
    pub fn push(&mut self, tag: Tag) -> bool {
        if self.seen.contains(&tag) {
            return false;
        }
        self.seen.insert(tag.clone());
        self.list.push(tag);
        true
    }

    /// Whether the set holds a tag with this exact name.
    ///
    /// ```
    /// let tags = qyvo::contact::Tags::from_csv("vip, fr-FR");
    /// assert!(tags.contains("fr-FR"));
    /// assert!(!tags.contains("fr"));
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.seen.contains(name)
    }

    /// The tags, in insertion order.
    ///
    /// ```
    /// let tags = qyvo::contact::Tags::from_csv("vip, fr-FR");
    /// assert_eq!(tags.as_slice()[1].as_str(), "fr-FR");
    /// ```
    pub fn as_slice(&self) -> &[Tag] {
        &self.list
    }

    /// Iterates over the tags, in insertion order.
    ///
    /// ```
    /// let tags = qyvo::contact::Tags::from_csv("vip,fr-FR");
    /// assert_eq!(tags.iter().map(|tag| tag.as_str()).collect::<Vec<_>>(), ["vip", "fr-FR"]);
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, Tag> {
        self.list.iter()
    }

    /// The number of tags.
    ///
    /// ```
    /// assert_eq!(qyvo::contact::Tags::from_csv("a, b, a").len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are no tags.
    ///
    /// ```
    /// assert!(qyvo::contact::Tags::from_csv("").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The comma-separated form the API takes, tags joined by `", "`.
    ///
    /// ```
    /// let tags = qyvo::contact::Tags::try_from_iter(["vip", "fr-FR"])?;
    /// assert_eq!(tags.to_csv(), "vip, fr-FR");
    /// # Ok::<(), qyvo::contact::TagError>(())
    /// ```
    pub fn to_csv(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Tags {
    /// Writes the comma-separated form, e.g. `vip, beta-testers, fr-FR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, tag) in self.list.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            f.write_str(tag.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for Tags {
    type Err = Infallible;

    /// Same as [`Tags::from_csv`]; never fails.
    fn from_str(csv: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_csv(csv))
    }
}

impl FromIterator<Tag> for Tags {
    /// Collects tags, keeping the first of each repeat.
    fn from_iter<I: IntoIterator<Item = Tag>>(tags: I) -> Self {
        let mut collected = Self::new();
        collected.extend(tags);
        collected
    }
}

impl Extend<Tag> for Tags {
    fn extend<I: IntoIterator<Item = Tag>>(&mut self, tags: I) {
        for tag in tags {
            self.push(tag);
        }
    }
}

/// Compares the ordered lists: the same tags in another order are different `Tags` (they
/// render a different `tags` string).
impl PartialEq for Tags {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}

impl Eq for Tags {}

impl Hash for Tags {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.list.hash(state);
    }
}

/// Shows the ordered list, `Tags([Tag("vip"), Tag("fr-FR")])`.
impl fmt::Debug for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tags").field(&self.list).finish()
    }
}

/// A JSON array of strings, in order.
impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.list.serialize(serializer)
    }
}

impl From<Vec<Tag>> for Tags {
    /// Keeps the first of each repeat.
    fn from(tags: Vec<Tag>) -> Self {
        tags.into_iter().collect()
    }
}

impl From<Tags> for String {
    /// The comma-separated form, for the `tags` field of the request types.
    fn from(tags: Tags) -> Self {
        tags.to_csv()
    }
}

impl From<Tags> for Option<String> {
    /// `Some` of the comma-separated form: the generated create/update builders' `tags` setters
    /// take `Option<String>`.
    fn from(tags: Tags) -> Self {
        Some(tags.to_csv())
    }
}

impl<'a> IntoIterator for &'a Tags {
    type Item = &'a Tag;
    type IntoIter = std::slice::Iter<'a, Tag>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Tags {
    type Item = Tag;
    type IntoIter = std::vec::IntoIter<Tag>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

/// Free-form contact metadata: a JSON object of at most [`Metadata::MAX_BYTES`] bytes.
///
/// The docs limit `metadata` to "~64 KB"; this reads that as 64 KiB (65,536 bytes) of compact
/// JSON, as `serde_json::to_vec` writes it. The upper reading is chosen so that nothing the server
/// might accept is refused here; the server may measure differently (e.g. PHP escapes non-ASCII
/// characters, which makes its encoding longer), so a value close to the limit can still be
/// refused there. Converts into the `serde_json::Map` the generated request types hold.
///
/// ```
/// use qyvo::contact::Metadata;
/// use serde_json::json;
///
/// let metadata = Metadata::try_from(json!({"shopify_id": "12345", "lifetime_value": 8742.0}))?;
/// assert_eq!(metadata.serialized_len(), 46);
/// let map: serde_json::Map<String, serde_json::Value> = metadata.into();
/// assert_eq!(map["shopify_id"], "12345");
/// # Ok::<(), qyvo::contact::MetadataError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct Metadata(Map<String, Value>);

impl Metadata {
    /// The largest accepted size, in bytes of compact JSON: 64 KiB.
    pub const MAX_BYTES: usize = 65_536;

    /// The JSON object.
    ///
    /// ```
    /// let metadata = qyvo::contact::Metadata::try_from(serde_json::json!({"plan": "pro"}))?;
    /// assert_eq!(metadata.as_map()["plan"], "pro");
    /// # Ok::<(), qyvo::contact::MetadataError>(())
    /// ```
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The size of the compact JSON encoding, in bytes (what `serde_json::to_vec` would give).
    ///
    /// ```
    /// assert_eq!(qyvo::contact::Metadata::default().serialized_len(), 2);
    /// ```
    pub fn serialized_len(&self) -> usize {
        json_len(&self.0)
    }
}

/// An `io::Write` that only counts bytes.
struct ByteCount(usize);

impl io::Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The compact JSON size of `object`, without building the encoding.
fn json_len(object: &Map<String, Value>) -> usize {
    let mut count = ByteCount(0);
    // Cannot fail: the writer never errors and a `Map` has string keys only. Were it to fail,
    // the maximum size makes the value count as too large rather than pass unchecked.
    match serde_json::to_writer(&mut count, object) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

impl TryFrom<Map<String, Value>> for Metadata {
    type Error = MetadataError;

    /// Takes the object if its compact JSON fits in [`Metadata::MAX_BYTES`].
    ///
    /// # Errors
    ///
    /// [`MetadataError::TooLarge`] with the measured size.
    fn try_from(object: Map<String, Value>) -> Result<Self, Self::Error> {
        let size = json_len(&object);
        if size > Self::MAX_BYTES {
            return Err(MetadataError::TooLarge {
                size,
                limit: Self::MAX_BYTES,
            });
        }
        Ok(Self(object))
    }
}

impl TryFrom<Value> for Metadata {
    type Error = MetadataError;

    /// Takes a JSON object, as `TryFrom<Map<String, Value>>`.
    ///
    /// # Errors
    ///
    /// [`MetadataError::NotAnObject`] for any other JSON value, else as
    /// `TryFrom<Map<String, Value>>`.
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::Object(object) => object.try_into(),
            other => Err(MetadataError::NotAnObject {
                found: json_kind(&other),
            }),
        }
    }
}

impl From<Metadata> for Map<String, Value> {
    /// The shape of the `metadata` field of the generated request types.
    fn from(metadata: Metadata) -> Self {
        metadata.0
    }
}

impl From<Metadata> for Value {
    fn from(metadata: Metadata) -> Self {
        Value::Object(metadata.0)
    }
}

/// Why a value is not valid contact metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataError {
    /// The compact JSON is larger than the limit.
    TooLarge {
        /// The measured size, in bytes.
        size: usize,
        /// The limit, in bytes ([`Metadata::MAX_BYTES`]).
        limit: usize,
    },
    /// The JSON value is not an object.
    NotAnObject {
        /// The JSON type found, e.g. `an array`.
        found: &'static str,
    },
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, limit } => write!(
                f,
                "contact metadata is {size} bytes of json, more than the {limit}-byte limit"
            ),
            Self::NotAnObject { found } => {
                write!(f, "contact metadata must be a json object, found {found}")
            }
        }
    }
}

impl std::error::Error for MetadataError {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn validates_tags() {
        assert_eq!(Tag::try_from(" vip ").unwrap().as_str(), "vip");
        assert_eq!(
            Tag::try_from("beta testers").unwrap().as_str(),
            "beta testers"
        );
        assert_eq!(Tag::try_from("").unwrap_err(), TagError::Empty);
        assert_eq!(Tag::try_from(" \t ").unwrap_err(), TagError::Empty);
        assert_eq!(
            Tag::try_from(" a,b ").unwrap_err(),
            TagError::ContainsComma {
                tag: "a,b".to_owned()
            }
        );
        assert_eq!(
            TagError::ContainsComma {
                tag: "a,b".to_owned()
            }
            .to_string(),
            "tag `a,b` contains a comma, which separates tags in the api"
        );
        assert_eq!(TagError::Empty.to_string(), "tag is empty");
    }

    #[test]
    fn tag_serde_validates() {
        let tag: Tag = serde_json::from_value(json!(" vip ")).unwrap();
        assert_eq!(serde_json::to_value(&tag).unwrap(), json!("vip"));
        assert!(serde_json::from_value::<Tag>(json!("a,b")).is_err());
        let tags: Tags = serde_json::from_value(json!(["vip", "fr-FR", "vip"])).unwrap();
        assert_eq!(
            serde_json::to_value(&tags).unwrap(),
            json!(["vip", "fr-FR"])
        );
        assert!(serde_json::from_value::<Tags>(json!(["vip", ""])).is_err());
    }

    #[test]
    fn tags_keep_order_and_drop_repeats() {
        let tags = Tags::try_from_iter(["vip", "beta-testers", "fr-FR", " vip", "VIP"]).unwrap();
        assert_eq!(tags.to_csv(), "vip, beta-testers, fr-FR, VIP");
        assert_eq!(tags.to_string(), tags.to_csv());
        assert_eq!(Option::<String>::from(tags.clone()), Some(tags.to_csv()));
        let mut more = tags.clone();
        more.extend([Tag::try_from("new").unwrap(), Tag::try_from("vip").unwrap()]);
        assert_eq!(more.to_csv(), "vip, beta-testers, fr-FR, VIP, new");
        assert_eq!(Tags::new().to_csv(), "");
    }

    #[test]
    fn tags_compare_hash_and_show_as_their_ordered_list() {
        use std::hash::DefaultHasher;

        let hash = |tags: &Tags| {
            let mut hasher = DefaultHasher::new();
            tags.hash(&mut hasher);
            hasher.finish()
        };
        let ab = Tags::from_csv("a, b");
        let mut built = Tags::new();
        assert!(built.push(Tag::try_from("a").unwrap()));
        assert!(built.push(Tag::try_from("b").unwrap()));
        assert!(!built.push(Tag::try_from("a").unwrap()));
        assert_eq!(built, ab);
        assert_eq!(hash(&built), hash(&ab));
        assert_ne!(Tags::from_csv("b, a"), ab);
        assert_eq!(format!("{ab:?}"), r#"Tags([Tag("a"), Tag("b")])"#);
        assert!(ab.contains("b") && !ab.contains("c") && !ab.contains(" b"));
    }

    #[test]
    fn extending_keeps_the_first_of_each_repeat_at_any_size() {
        let names: Vec<String> = (0..20_000).map(|i| format!("tag-{}", i % 15_000)).collect();
        let mut tags = Tags::from_csv("tag-7, vip");
        tags.extend(names.iter().map(|name| Tag::try_from(name).unwrap()));
        assert_eq!(tags.len(), 15_001);
        assert_eq!(tags.as_slice()[0].as_str(), "tag-7");
        assert_eq!(tags.as_slice()[1].as_str(), "vip");
        assert_eq!(tags.as_slice()[2].as_str(), "tag-0");
        assert_eq!(tags.as_slice()[15_000].as_str(), "tag-14999");
        assert_eq!(Tags::from_csv(&names.join(",")).len(), 15_000);
    }

    #[test]
    fn parses_csv() {
        let tags: Tags = " vip,, beta-testers ,fr-FR, ".parse().unwrap();
        assert_eq!(tags, Tags::from_csv(" vip,, beta-testers ,fr-FR, "));
        assert_eq!(
            tags.iter().map(Tag::as_str).collect::<Vec<_>>(),
            ["vip", "beta-testers", "fr-FR"]
        );
        assert_eq!(
            Tags::try_from_iter(["ok", "a,b"]).unwrap_err(),
            TagError::ContainsComma {
                tag: "a,b".to_owned()
            }
        );
    }

    #[test]
    fn metadata_limit_is_inclusive() {
        // `{"k":"…"}` is 8 bytes plus the string.
        let at_limit = json!({ "k": "x".repeat(Metadata::MAX_BYTES - 8) });
        let metadata = Metadata::try_from(at_limit).unwrap();
        assert_eq!(metadata.serialized_len(), Metadata::MAX_BYTES);

        let over = json!({ "k": "x".repeat(Metadata::MAX_BYTES - 7) });
        let err = Metadata::try_from(over).unwrap_err();
        assert_eq!(
            err,
            MetadataError::TooLarge {
                size: 65_537,
                limit: 65_536
            }
        );
        assert_eq!(
            err.to_string(),
            "contact metadata is 65537 bytes of json, more than the 65536-byte limit"
        );
    }

    #[test]
    fn metadata_needs_an_object() {
        for (value, found) in [
            (json!(null), "null"),
            (json!(1), "a number"),
            (json!("x"), "a string"),
            (json!([]), "an array"),
            (json!(false), "a boolean"),
        ] {
            assert_eq!(
                Metadata::try_from(value).unwrap_err(),
                MetadataError::NotAnObject { found }
            );
        }
        let metadata = Metadata::try_from(json!({"a": [1, {"b": null}]})).unwrap();
        assert_eq!(
            Value::from(metadata.clone()),
            json!({"a": [1, {"b": null}]})
        );
        let round: Metadata =
            serde_json::from_str(&serde_json::to_string(&metadata).unwrap()).unwrap();
        assert_eq!(round, metadata);
        let too_big = format!(r#"{{"k":"{}"}}"#, "x".repeat(Metadata::MAX_BYTES));
        assert!(serde_json::from_str::<Metadata>(&too_big).is_err());
    }

    #[test]
    fn fits_the_generated_request_builders() {
        let tags = Tags::try_from_iter(["vip", "fr-FR"]).unwrap();
        let metadata = Metadata::try_from(json!({"shopify_id": "12345"})).unwrap();
        let create = crate::types::CreateContactRequest::try_from(
            crate::types::CreateContactRequest::builder()
                .phone("+14155550123")
                .tags(tags.clone())
                .metadata(metadata.clone()),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&create).unwrap(),
            json!({"phone": "+14155550123", "tags": "vip, fr-FR", "metadata": {"shopify_id": "12345"}})
        );
        let update = crate::types::UpdateContactRequest::try_from(
            crate::types::UpdateContactRequest::builder()
                .phone(Some("+14155550123".to_owned()))
                .tags(tags)
                .metadata(metadata),
        )
        .unwrap();
        assert_eq!(update.tags.as_deref(), Some("vip, fr-FR"));
        assert_eq!(update.metadata["shopify_id"], "12345");
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn tags_csv_round_trips(names in prop::collection::vec("[^,]{0,12}", 0..8)) {
            let Ok(tags) = Tags::try_from_iter(names.iter().filter(|name| !name.trim().is_empty())) else {
                return Err(TestCaseError::fail("comma-free, non-blank names are valid tags"));
            };
            let csv = tags.to_csv();
            let split: Vec<&str> = if csv.is_empty() { Vec::new() } else { csv.split(',').map(str::trim).collect() };
            prop_assert_eq!(split, tags.iter().map(Tag::as_str).collect::<Vec<_>>());
            prop_assert_eq!(Tags::from_csv(&csv), tags);
        }

        #[test]
        fn metadata_size_matches_serde_json(
            object in prop::collection::btree_map(any::<String>(), json_value(), 0..8),
            padding in (Metadata::MAX_BYTES - 300)..(Metadata::MAX_BYTES + 300),
        ) {
            let mut object: Map<String, Value> = object.into_iter().collect();
            prop_assert_eq!(json_len(&object), serde_json::to_vec(&object).unwrap().len());
            object.insert("padding".to_owned(), Value::from("x".repeat(padding)));
            let expected = serde_json::to_vec(&object).unwrap().len();
            prop_assert_eq!(json_len(&object), expected);
            match Metadata::try_from(object) {
                Ok(metadata) => {
                    prop_assert!(expected <= Metadata::MAX_BYTES);
                    prop_assert_eq!(metadata.serialized_len(), expected);
                }
                Err(err) => prop_assert_eq!(
                    err,
                    MetadataError::TooLarge { size: expected, limit: Metadata::MAX_BYTES }
                ),
            }
        }
    }
}
