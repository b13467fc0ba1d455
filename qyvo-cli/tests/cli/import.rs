//! `qyvo contacts import`: a 1,000-row file with 20 bad rows, interrupted and resumed.

use std::{collections::BTreeSet, time::Duration};

use qyvo_mock::{Fault, Injection, Operation};

use crate::support::{kill, phone, phones_sent, qyvo, run, server, until, workdir, write};

/// 1,000 rows (lines 2 to 1001); every 50th is bad in one of five ways. Returns the file and
/// the bad rows' lines, with the phone each would have had (`None` when it has none).
fn contact_list() -> (String, Vec<(u64, Option<String>)>) {
    let mut csv = String::from("phone,name,email,tags,plan\n");
    let mut bad = Vec::new();
    for i in 0..1000 {
        let line = i as u64 + 2;
        let row = match (i % 50 == 7).then_some(i / 50 % 5) {
            None => format!("{},Name {i},user{i}@example.com,\"vip;fr\",pro\n", phone(i)),
            Some(kind) => {
                let (row, phone) = match kind {
                    0 => ("12345,Too short,,,\n".to_owned(), None),
                    1 => ("01 42 76 00 00,National,,,\n".to_owned(), None),
                    2 => (
                        format!("{},Comma tag,,\"a,b\",\n", phone(i)),
                        Some(phone(i)),
                    ),
                    3 => (
                        format!("{},Extra field,,,,surplus\n", phone(i)),
                        Some(phone(i)),
                    ),
                    _ => (
                        format!("{},Huge,,,{}\n", phone(i), "x".repeat(70_000)),
                        Some(phone(i)),
                    ),
                };
                bad.push((line, phone));
                row
            }
        };
        csv.push_str(&row);
    }
    (csv, bad)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_rows_with_twenty_bad_ones_survive_a_kill_and_report_the_bad_lines() {
    let server = server().await;
    let dir = workdir();
    let (csv, bad) = contact_list();
    assert_eq!(bad.len(), 20);
    write(dir.path(), "contacts.csv", &csv);
    let import = || {
        let mut command = qyvo(&server, dir.path());
        command.args([
            "contacts",
            "import",
            "contacts.csv",
            "--tag-separator",
            ";",
            "--metadata-column",
            "plan",
        ]);
        command
    };

    // Slow upserts down so that the first run is killed half-way.
    server.inject(
        Injection::new(Fault::Delay(Duration::from_millis(1)))
            .on(Operation::CreateContact)
            .times(u32::MAX),
    );
    let mut first = import().spawn().unwrap();
    until("300 upserts", || {
        server.count(Operation::CreateContact) >= 300
    })
    .await;
    kill(&mut first).await;
    let before_resume = server.count(Operation::CreateContact);
    assert!(
        before_resume < 980,
        "the first run was killed before the end"
    );

    server.clear_faults();
    let resumed = run(&mut import()).await;
    assert_eq!(resumed.code, 5, "some rows failed: {resumed:?}");
    let summary = resumed.json();
    assert_eq!(summary["rows"], 1000);
    assert_eq!(summary["invalid"], 20);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["not_attempted"], 0);
    let imported = summary["created_or_updated"].as_u64().unwrap();
    let skipped = summary["already_imported"].as_u64().unwrap();
    assert_eq!(imported + skipped, 980, "{summary}");
    assert!(
        skipped + 1 >= before_resume as u64,
        "the journal kept the first run's rows"
    );

    // Every bad row is reported by line, with a reason, on stdout and stderr.
    let problems = summary["problems"].as_array().unwrap();
    let lines: Vec<u64> = problems
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = bad.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, expected);
    for problem in problems {
        assert_eq!(problem["kind"], "invalid");
        let line = problem["line"].as_u64().unwrap();
        assert!(
            resumed.stderr.contains(&format!("line {line}: invalid: ")),
            "{}",
            resumed.stderr
        );
    }
    let reason = |line: u64| {
        problems.iter().find(|p| p["line"] == line).unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        reason(expected[0]).starts_with("invalid phone number"),
        "{}",
        reason(expected[0])
    );
    assert!(
        reason(expected[1]).contains("no country code"),
        "{}",
        reason(expected[1])
    );
    assert!(
        reason(expected[2]).contains("tag"),
        "{}",
        reason(expected[2])
    );
    assert_eq!(reason(expected[3]), "the row has 6 fields, the header 5");
    assert!(
        reason(expected[4]).contains("metadata"),
        "{}",
        reason(expected[4])
    );

    // Nothing was sent for a bad row; every good row reached the server, at most one of them
    // twice (the upsert under way at the kill, which is harmless to repeat).
    let sent = phones_sent(&server, Operation::CreateContact);
    let distinct: BTreeSet<&String> = sent.iter().collect();
    assert_eq!(distinct.len(), 980);
    assert!(sent.len() <= 981, "{} upserts", sent.len());
    for (_, phone) in bad.iter().filter(|(_, phone)| phone.is_some()) {
        assert!(
            !distinct.contains(phone.as_ref().unwrap()),
            "a bad row was sent"
        );
    }
    let first_body = server
        .journal()
        .into_iter()
        .find(|e| e.operation == Some(Operation::CreateContact))
        .unwrap()
        .body
        .unwrap();
    assert_eq!(first_body["tags"], "vip, fr");
    assert_eq!(first_body["metadata"], serde_json::json!({"plan": "pro"}));

    // A third run has nothing left to do.
    let again = run(&mut import()).await;
    assert_eq!(again.json()["already_imported"], 980);
    assert_eq!(again.json()["created_or_updated"], 0);
    assert_eq!(
        phones_sent(&server, Operation::CreateContact).len(),
        sent.len()
    );
}
