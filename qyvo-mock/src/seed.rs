//! What tenants hold before a test runs: the fixed catalogue every tenant starts with
//! (templates, sequences, flows and campaigns), and the [`Contact`]s and [`Template`]s a test
//! adds.
//!
//! The catalogue's ids are the same in every tenant (each token has its own copy of the
//! state), so tests can name them through these constants.
//!
//! ```
//! use qyvo_mock::seed;
//!
//! assert_eq!(seed::ORDER_SHIPPED_TEMPLATE_ID.len(), 26);
//! assert!(seed::ORDER_SHIPPED_TEMPLATE_ID.starts_with("01J"));
//! ```

/// `order_shipped`, APPROVED, UTILITY: `Hi {{1}}, your order {{2}} is shipping today. Track
/// it: {{3}}`. Translations `en` and `fr` approved, `es` pending. TEXT header, footer and a
/// URL button.
pub const ORDER_SHIPPED_TEMPLATE_ID: &str = "01J0AB7Q4W5M3N8C2ZP6TKV9RA";
/// `welcome_named`, APPROVED, MARKETING, named placeholders: `Hi {{first_name}}, welcome to
/// {{shop_name}}!`. Translations: `en` approved, `de` rejected, `fr` pending.
pub const WELCOME_NAMED_TEMPLATE_ID: &str = "01J0AB7Q4W5M3N8C2ZP6TKV9RB";
/// `opening_hours`, APPROVED, UTILITY, no placeholders. One translation, `en`, approved.
pub const OPENING_HOURS_TEMPLATE_ID: &str = "01J0AB7Q4W5M3N8C2ZP6TKV9RC";
/// `spring_sale`, PENDING, MARKETING: `Spring sale: {{1}} off everything`. Translations
/// `en` and `fr`, both pending, so sending it answers 422 (no approved translation).
pub const SPRING_SALE_TEMPLATE_ID: &str = "01J0AB7Q4W5M3N8C2ZP6TKV9RD";
/// `legacy_promo`, REJECTED, MARKETING: one rejected `en` translation.
pub const LEGACY_PROMO_TEMPLATE_ID: &str = "01J0AB7Q4W5M3N8C2ZP6TKV9RE";

/// "Welcome series", a published sequence.
pub const WELCOME_SEQUENCE_ID: &str = "01J0SQ7Q4W5M3N8C2ZP6TKV9RA";
/// "Win-back", a published sequence.
pub const WINBACK_SEQUENCE_ID: &str = "01J0SQ7Q4W5M3N8C2ZP6TKV9RB";
/// "Birthday (draft)", a draft sequence: triggering it answers 404.
pub const DRAFT_SEQUENCE_ID: &str = "01J0SQ7Q4W5M3N8C2ZP6TKV9RC";

/// "Cart recovery", a published flow (trigger type `shopify_cart_abandoned`, 30-minute sessions).
pub const CART_RECOVERY_FLOW_ID: &str = "01J0FL7Q4W5M3N8C2ZP6TKV9RA";
/// "Support menu", a published flow (trigger type `keyword`, 30-minute sessions).
pub const SUPPORT_MENU_FLOW_ID: &str = "01J0FL7Q4W5M3N8C2ZP6TKV9RB";
/// "Survey (draft)", a draft flow: triggering it answers 404.
pub const DRAFT_FLOW_ID: &str = "01J0FL7Q4W5M3N8C2ZP6TKV9RC";

/// "Black Friday", a completed campaign.
pub const BLACK_FRIDAY_CAMPAIGN_ID: &str = "01J0CP7Q4W5M3N8C2ZP6TKV9RA";
/// "Spring launch", a completed campaign (newer than Black Friday).
pub const SPRING_LAUNCH_CAMPAIGN_ID: &str = "01J0CP7Q4W5M3N8C2ZP6TKV9RB";

/// The token of a server started without explicit tokens.
pub const DEFAULT_TOKEN: &str = "qyvo-mock-token-0123456789abcdef0123456789abcdef0123456789abcdef";

/// A contact to add to a tenant with [`MockServer::add_contact`](crate::MockServer::add_contact),
/// as if it had been imported: it exists before the code under test runs.
///
/// ```
/// use qyvo_mock::seed::Contact;
///
/// let romain = Contact::new("+14155550123").name("Romain").tag("vip").metadata("plan", "pro");
/// # let _ = romain;
/// ```
#[derive(Clone, Default)]
pub struct Contact {
    pub(crate) phone: String,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) metadata: serde_json::Map<String, serde_json::Value>,
}

/// Masked: the phone's middle digits starred, the name and e-mail only as present or not,
/// the metadata as its keys.
impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact")
            .field("phone", &format_args!("{}", qyvo::phone::mask(&self.phone)))
            .field("name", &self.name.as_ref().map(|_| "…"))
            .field("email", &self.email.as_ref().map(|_| "…"))
            .field("tags", &self.tags)
            .field("metadata", &self.metadata.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Contact {
    /// A contact with this phone (an international number, normalized as the SDK does).
    pub fn new(phone: impl Into<String>) -> Self {
        Contact {
            phone: phone.into(),
            ..Contact::default()
        }
    }

    /// Sets the name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the email.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Adds a tag (created in the tenant when missing).
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        let tag = tag.into();
        if !self.tags.contains(&tag) {
            self.tags.push(tag);
        }
        self
    }

    /// Sets one metadata key.
    #[must_use]
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// A template to add to a tenant with
/// [`MockServer::add_template`](crate::MockServer::add_template): by default `UTILITY`,
/// `APPROVED`, with one approved translation.
///
/// ```
/// use qyvo_mock::seed::Template;
///
/// let reminder = Template::new("appointment_reminder", "en", "Hi {{1}}, see you at {{2}}.")
///     .translation("fr", "Bonjour {{1}}, à {{2}}.", false)
///     .category("MARKETING");
/// # let _ = reminder;
/// ```
#[derive(Clone, Debug)]
pub struct Template {
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) status: String,
    pub(crate) translations: Vec<(String, String, bool)>,
}

impl Template {
    /// An approved template `name` whose `language` translation (approved) has this `body`,
    /// placeholders written `{{1}}` or `{{name}}`.
    pub fn new(
        name: impl Into<String>,
        language: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Template {
            name: name.into(),
            category: "UTILITY".to_owned(),
            status: "APPROVED".to_owned(),
            translations: vec![(language.into(), body.into(), true)],
        }
    }

    /// Adds a translation, approved or not (only approved translations can be sent).
    #[must_use]
    pub fn translation(
        mut self,
        language: impl Into<String>,
        body: impl Into<String>,
        approved: bool,
    ) -> Self {
        self.translations
            .push((language.into(), body.into(), approved));
        self
    }

    /// Sets the category (`UTILITY`, `MARKETING`, `AUTHENTICATION`).
    #[must_use]
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = category.into();
        self
    }

    /// Sets the status (`APPROVED`, `PENDING`, `REJECTED`); only approved templates are listed
    /// in dropdowns.
    #[must_use]
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = status.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contacts_debug_shows_no_personal_data() {
        let contact = Contact::new("+14155550123")
            .name("Romain Dupont")
            .email("romain@example.com")
            .metadata("city", "Lyon");
        let debug = format!("{contact:?} {contact:#?}");
        for secret in ["4155550123", "Romain", "romain@", "Lyon"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("+1415*****23"), "{debug}");
        assert!(debug.contains("city"), "{debug}");
    }
}
