//! Recipients of the mock's `order_shipped` template, for the bulk and campaign tests.

use qyvo::{bulk::Recipient, template::Variables};

/// A recipient with every variable `order_shipped` needs (`{{1}}`, `{{2}}`, `{{3}}`).
pub fn order_shipped(phone: String) -> Recipient {
    Recipient::new(
        phone,
        Variables::from_iter([
            ("1", "Ada"),
            ("2", "ORD-1042"),
            ("3", "https://t.example/1"),
        ]),
    )
}
