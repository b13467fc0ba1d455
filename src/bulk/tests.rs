use super::*;
use crate::error::tests::every_variant;

#[tokio::test(start_paused = true)]
async fn every_error_of_a_send_request_is_an_outcome_that_tells_what_the_server_did() {
    for (error, acted, transient, ..) in every_variant().await {
        let shown = format!("{error:?}");
        match (sent(Err(error)), acted) {
            (Outcome::OutcomeUnknown(Some(_)), Acted::Yes | Acted::Maybe) => {}
            (Outcome::NotSent(_), Acted::No) if transient => {}
            (
                Outcome::Rejected(_)
                | Outcome::Stopped(_)
                | Outcome::InvalidPhone(_)
                | Outcome::MissingVariables { .. }
                | Outcome::InvalidVariables(_),
                Acted::No,
            ) if !transient => {}
            (outcome, _) => panic!("{shown} became {outcome:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn an_error_before_the_send_request_is_never_a_maybe() {
    for (error, _, transient, ..) in every_variant().await {
        let shown = format!("{error:?}");
        match unsent(error) {
            Outcome::NotSent(_) if transient => {}
            Outcome::Rejected(_)
            | Outcome::Stopped(_)
            | Outcome::InvalidPhone(_)
            | Outcome::MissingVariables { .. }
            | Outcome::InvalidVariables(_)
                if !transient => {}
            outcome => panic!("{shown} became {outcome:?}"),
        }
    }
}

#[test]
fn errors_every_later_send_would_hit_stop_the_batch_and_are_tried_again() {
    let rejected = sent(Err(Error::WindowClosed {
        message: String::new(),
    }));
    assert!(matches!(rejected, Outcome::Rejected(_)));
    assert_eq!(rejected.status(), Some(JournalStatus::Rejected));
    let revoked = sent(Err(Error::Unauthenticated));
    assert!(matches!(revoked, Outcome::Stopped(Error::Unauthenticated)));
    assert_eq!(revoked.status(), Some(JournalStatus::NotSent));
    let template_gone = unsent(Error::NotFound {
        what: "template".into(),
        message: "Template not found".into(),
    });
    assert!(matches!(template_gone, Outcome::Stopped(_)));
    let contact_gone = sent(Err(Error::NotFound {
        what: "contact".into(),
        message: String::new(),
    }));
    assert!(matches!(contact_gone, Outcome::Rejected(_)));
}

#[test]
fn a_refusal_after_the_send_request_is_journaled_rejected() {
    // The server found variables missing that the template lookup did not show (the template
    // changed in between): refused, nothing sent, not unknown.
    let refused = sent(Err(Error::MissingVariables {
        expected: vec!["1".into(), "2".into()],
        missing: vec!["2".into()],
        status: Some(422),
    }));
    assert!(matches!(refused, Outcome::MissingVariables { .. }));
    assert_eq!(refused.status(), Some(JournalStatus::Rejected));
    for unrecorded in [
        Outcome::Duplicate { first: 0 },
        Outcome::AlreadyDone(JournalStatus::Sent),
        Outcome::NotAttempted,
    ] {
        assert_eq!(unrecorded.status(), None);
    }
}
