//! `qyvo campaign send`: killed with SIGKILL and re-run, nobody is messaged twice; a dry run
//! sends nothing at all.

use std::{collections::BTreeMap, time::Duration};

use qyvo_mock::{Fault, Injection, Operation, seed};
use serde_json::Value;
use tokio::process::Command;

use crate::support::{bare, kill, phone, qyvo, run, server, until, workdir, write};

const RECIPIENTS: usize = 300;

/// `campaign send` of the order-shipped template to `recipients.csv`, with `options`.
fn campaign(mut command: Command, options: &[&str]) -> Command {
    command
        .args([
            "campaign",
            "send",
            "--template",
            seed::ORDER_SHIPPED_TEMPLATE_ID,
        ])
        .arg("recipients.csv")
        .args(options);
    command
}

fn recipient_list() -> String {
    let mut csv = String::from("phone,1,2,3\n");
    for i in 0..RECIPIENTS {
        csv.push_str(&format!(
            "{},Ada {i},ORD-{i},https://t.example/{i}\n",
            phone(i)
        ));
    }
    csv
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_killed_and_run_again_messages_nobody_twice() {
    let server = server().await;
    let dir = workdir();
    write(dir.path(), "recipients.csv", &recipient_list());
    let send = |report: Option<&str>| {
        let mut command = campaign(qyvo(&server, dir.path()), &["--concurrency", "4"]);
        if let Some(report) = report {
            command.args(["--report", report]);
        }
        command
    };

    // The server acts on each send, then is slow to answer: a kill leaves sends under way.
    server.inject(
        Injection::new(Fault::Delay(Duration::from_millis(10)))
            .on(Operation::SendTemplateMessage)
            .times(u32::MAX),
    );
    let mut first = send(None).spawn().unwrap();
    until("60 sends", || {
        server.count(Operation::SendTemplateMessage) >= 60
    })
    .await;
    kill(&mut first).await;
    let before_resume = server.count(Operation::SendTemplateMessage);
    assert!(before_resume < RECIPIENTS, "killed before the end");

    server.clear_faults();
    let resumed = run(&mut send(Some("report.json"))).await;
    assert!(resumed.code == 0 || resumed.code == 5, "{resumed:?}");
    let report: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report.len(), RECIPIENTS);

    // Counted on the server: nobody got the template twice; everyone the report calls sent
    // got it once; anyone else is `unknown` (a send under way at the kill), never re-sent.
    let mut statuses = BTreeMap::new();
    for (i, line) in report.iter().enumerate() {
        assert_eq!(line["line"], i as u64 + 2);
        assert_eq!(line["phone"], phone(i));
        let outbound = server.outbound_messages(server.token(), &phone(i)).unwrap();
        let status = line["status"].as_str().unwrap();
        *statuses.entry(status.to_owned()).or_insert(0) += 1;
        match status {
            "sent" => assert_eq!(outbound.len(), 1, "{line}"),
            "unknown" => assert!(outbound.len() <= 1, "{line}"),
            other => panic!("unexpected status {other}: {line}"),
        }
    }
    let unknown = statuses.get("unknown").copied().unwrap_or(0);
    assert!(
        unknown <= 4,
        "at most the sends under way at the kill: {statuses:?}"
    );
    assert_eq!(resumed.code == 0, unknown == 0, "{resumed:?}");
    assert_eq!(resumed.json()["counts"]["sent"], RECIPIENTS - unknown);
    let messages: usize = (0..RECIPIENTS)
        .map(|i| {
            server
                .outbound_messages(server.token(), &phone(i))
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(messages, server.count(Operation::SendTemplateMessage));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_checks_every_row_and_sends_zero_requests() {
    let server = server().await;
    let dir = workdir();
    write(
        dir.path(),
        "recipients.csv",
        &format!(
            "phone,1,2,3,note\n\
             {},Ada,ORD-1,https://t.example/1,\n\
             12345,Bob,ORD-2,https://t.example/2,\n\
             {},Cy,,https://t.example/3,\n\
             {},Dee\twith a tab,ORD-4,https://t.example/4,\n\
             {},Ada again,ORD-5,https://t.example/5,\n\
             {},Eve,ORD-6,,\n",
            phone(1),
            phone(3),
            phone(4),
            phone(1),
            phone(6)
        ),
    );
    // The template's placeholders, saved beforehand with the generated command.
    let saved = run(qyvo(&server, dir.path()).args([
        "api",
        "get-template",
        "--template-id",
        seed::ORDER_SHIPPED_TEMPLATE_ID,
    ]))
    .await;
    assert_eq!(saved.code, 0, "{saved:?}");
    write(dir.path(), "template.json", &saved.stdout);
    server.clear_journal();

    let dry_run = |extra: &[&str]| {
        // No token, no base URL: a dry run needs neither.
        let mut command = campaign(bare(dir.path()), &["--dry-run", "--report", "dry-run.csv"]);
        command.args(extra);
        command
    };
    let checked = run(&mut dry_run(&["--template-file", "template.json"])).await;
    assert_eq!(checked.code, 3, "rows would not be sent: {checked:?}");
    // The repeated phone is listed, but it would be sent once: it does not fail the run.
    assert!(
        checked
            .stderr
            .ends_with("qyvo: 4 of 6 rows would not be sent: see the summary\n"),
        "{}",
        checked.stderr
    );
    assert!(server.journal().is_empty(), "{:?}", server.journal());
    let summary = checked.json();
    assert_eq!(summary["placeholders_checked"], true);
    let problems: Vec<(u64, &str, &str)> = summary["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["status"].as_str().unwrap(),
                p["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert_eq!((problems[0].0, problems[0].1), (3, "invalid"));
    assert!(problems[0].2.starts_with("invalid phone number"));
    // The server accepts a variable the template does not use; the reason says so.
    let unexpected = "; unexpected `note` (accepted by the server)";
    assert_eq!(
        (problems[1].0, problems[1].2),
        (
            4,
            &*format!("template variables do not fit the template: empty `2`{unexpected}")
        )
    );
    assert_eq!(
        (problems[2].0, problems[2].2),
        (
            5,
            &*format!("template variables do not fit the template: `1` contains a tab{unexpected}")
        )
    );
    assert_eq!((problems[3].0, problems[3].1), (6, "duplicate"));
    assert_eq!(problems[4].0, 7);
    let report = std::fs::read_to_string(dir.path().join("dry-run.csv")).unwrap();
    assert_eq!(report.lines().count(), 7, "{report}");
    assert!(
        report
            .lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("2,{},ok,", phone(1)))
    );

    // Without the template, the parameter rules are checked but not completeness.
    let unchecked = run(&mut dry_run(&[])).await;
    assert_eq!(unchecked.json()["placeholders_checked"], false);
    let lines: Vec<u64> = unchecked.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 5, 6]);
    assert!(server.journal().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_stopped_by_a_revoked_token_sends_everyone_once_the_token_works() {
    let server = server().await;
    let dir = workdir();
    let mut csv = String::from("phone,1,2,3\n");
    for i in 0..5 {
        csv.push_str(&format!("{},Ada,ORD-{i},https://t.example/{i}\n", phone(i)));
    }
    write(dir.path(), "recipients.csv", &csv);
    let send = || {
        campaign(
            qyvo(&server, dir.path()),
            &["--concurrency", "1", "--report", "report.json"],
        )
    };
    server.inject(
        Injection::new(Fault::Status(qyvo_mock::StatusCode::UNAUTHORIZED))
            .on(Operation::SendTemplateMessage),
    );
    let stopped = run(&mut send()).await;
    assert_eq!(
        stopped.code, 4,
        "the API error that stopped it: {stopped:?}"
    );
    assert!(
        stopped
            .stderr
            .ends_with("\nqyvo: unauthenticated: the token is missing, wrong or revoked\n"),
        "{}",
        stopped.stderr
    );
    let report: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let statuses: Vec<&str> = report
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "not_sent",
            "not_attempted",
            "not_attempted",
            "not_attempted",
            "not_attempted"
        ]
    );

    // The token works again: the same command sends all five, the one it hit included.
    let resumed = run(&mut send()).await;
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert_eq!(resumed.json()["counts"]["sent"], 5);
    for i in 0..5 {
        assert_eq!(
            server
                .outbound_messages(server.token(), &phone(i))
                .unwrap()
                .len(),
            1
        );
    }
}
