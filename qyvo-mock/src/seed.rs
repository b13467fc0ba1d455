//! The fixed catalogue every tenant starts with: templates, sequences, flows and campaigns.
//!
//! Ids are the same in every tenant (each token has its own copy of the state), so tests can
//! name them through these constants.
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
