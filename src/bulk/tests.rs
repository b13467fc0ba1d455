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
            | Outcome::InvalidPhone(_)
            | Outcome::MissingVariables { .. }
            | Outcome::InvalidVariables(_)
                if !transient => {}
            outcome => panic!("{shown} became {outcome:?}"),
        }
    }
}

#[test]
fn errors_every_later_send_would_hit_stop_the_batch() {
    let rejected = sent(Err(Error::WindowClosed {
        message: String::new(),
    }));
    assert!(matches!(rejected, Outcome::Rejected(_)));
    assert!(!stops_the_batch(&rejected));
    assert!(stops_the_batch(&sent(Err(Error::Unauthenticated))));
    let template_gone = unsent(Error::NotFound {
        what: "template".into(),
        message: "Template not found".into(),
    });
    assert!(stops_the_batch(&template_gone));
    let contact_gone = sent(Err(Error::NotFound {
        what: "contact".into(),
        message: String::new(),
    }));
    assert!(!stops_the_batch(&contact_gone));
}
