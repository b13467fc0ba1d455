//! A simulated upstream change yields the expected breaking / non-breaking report.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions may panic"
)]

use std::path::Path;

use xtask::report::{Change, ChangeKind, Side};
use xtask::spec::diff_files;

#[test]
fn simulated_upstream_change_is_classified_for_rust_callers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report");
    let report = diff_files(&dir.join("old.yaml"), &dir.join("new.yaml")).unwrap();
    let summary: Vec<(Option<Side>, &str, ChangeKind, bool)> = report
        .changes
        .iter()
        .map(|c: &Change| (c.side, c.location.as_str(), c.kind.clone(), c.breaking))
        .collect();
    use ChangeKind::*;
    let value = |v: &str| v.to_owned();
    assert_eq!(
        summary,
        [
            (None, "legacy", OperationRemoved, true),
            (None, "stats", OperationAdded, false),
            (
                Some(Side::Request),
                "Kind",
                EnumValueAdded {
                    value: value("sticker")
                },
                false
            ),
            (
                Some(Side::Request),
                "SendRequest.channel",
                FieldAdded { required: true },
                true
            ),
            (Some(Side::Request), "SendRequest.note", FieldRemoved, true),
            (
                Some(Side::Request),
                "SendRequest.priority",
                FieldAdded { required: false },
                false
            ),
            (
                Some(Side::Request),
                "list.tenant",
                FieldAdded { required: true },
                true
            ),
            (
                Some(Side::Response),
                "Item.count",
                FieldRetyped {
                    from: value("integer"),
                    to: value("string")
                },
                true
            ),
            (Some(Side::Response), "Sent.contact_id", FieldRemoved, true),
            (
                Some(Side::Response),
                "Sent.status",
                EnumValueAdded {
                    value: value("queued")
                },
                true
            ),
        ]
    );
    assert!(report.has_breaking());
    let text = report.to_string();
    assert!(
        text.starts_with("10 change(s) for SDK users, 7 breaking:\n"),
        "{text}"
    );
    assert!(
        text.contains("BREAKING request   SendRequest.channel: required field added\n"),
        "{text}"
    );
}
