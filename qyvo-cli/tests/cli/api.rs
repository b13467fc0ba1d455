//! `qyvo api <operation>`: generated commands, their output, errors and exit codes; the
//! connection conventions.

use qyvo_mock::Operation;
use tokio::io::{AsyncBufReadExt as _, BufReader};

use crate::support::{bare, next_line, phone, qyvo, run, run_with_stdin, server, workdir, write};

#[tokio::test(flavor = "multi_thread")]
async fn operations_print_json_and_fail_in_one_line_with_an_exit_code() {
    let server = server().await;
    let dir = workdir();

    let created = run(qyvo(&server, dir.path()).args([
        "api",
        "create-contact",
        "--phone",
        &phone(1),
        "--name",
        "Ann",
    ]))
    .await;
    assert_eq!(created.code, 0, "{created:?}");
    assert_eq!(created.json()["phone"], phone(1));
    assert_eq!(created.json()["name"], "Ann");

    // A whole body from stdin; a flag sets a field over it.
    let body = format!(
        r#"{{"phone": "{}", "name": "From the body", "email": "b@example.com"}}"#,
        phone(2)
    );
    let merged = run_with_stdin(
        qyvo(&server, dir.path()).args([
            "api",
            "create-contact",
            "--body",
            "-",
            "--name",
            "From a flag",
        ]),
        body.as_bytes(),
    )
    .await;
    assert_eq!(merged.code, 0, "{merged:?}");
    assert_eq!(merged.json()["name"], "From a flag");
    assert_eq!(merged.json()["email"], "b@example.com");

    let table = run(qyvo(&server, dir.path()).args([
        "--output",
        "table",
        "api",
        "get-contact",
        "--phone",
        &phone(1),
    ]))
    .await;
    assert_eq!(table.code, 0, "{table:?}");
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.starts_with("name") && l.ends_with("Ann")),
        "{}",
        table.stdout
    );

    let missing =
        run(qyvo(&server, dir.path()).args(["api", "get-contact", "--phone", &phone(9)])).await;
    assert_eq!(missing.code, 4, "{missing:?}");
    assert_eq!(missing.stderr, "qyvo: contact not found\n");

    write(dir.path(), "broken.json", "{\"phone\": ");
    let broken =
        run(qyvo(&server, dir.path()).args(["api", "create-contact", "--body", "broken.json"]))
            .await;
    assert_eq!(broken.code, 3, "{broken:?}");
    assert_eq!(broken.stderr.lines().count(), 1);
    assert!(
        broken
            .stderr
            .starts_with("qyvo: failed to parse broken.json: "),
        "{}",
        broken.stderr
    );

    let usage = run(qyvo(&server, dir.path()).args(["api", "get-contact", "--no-such-flag"])).await;
    assert_eq!(usage.code, 2, "{usage:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_comes_from_the_environment_or_a_file_and_a_flag_warns() {
    let server = server().await;
    let dir = workdir();
    let me = ["api", "me"];

    let none = run(bare(dir.path())
        .env("QYVO_BASE_URL", server.base_url())
        .args(me))
    .await;
    assert_eq!(none.code, 3, "{none:?}");
    assert!(none.stderr.contains("QYVO_TOKEN"), "{}", none.stderr);

    write(dir.path(), "token", &format!("{}\n", server.token()));
    let from_file = run(bare(dir.path())
        .env("QYVO_BASE_URL", server.base_url())
        .args(["--token-file", "token"])
        .args(me))
    .await;
    assert_eq!(from_file.code, 0, "{from_file:?}");
    assert!(from_file.stderr.is_empty(), "{}", from_file.stderr);

    let flag = run(bare(dir.path())
        .env("QYVO_BASE_URL", server.base_url())
        .args(["--token", server.token()])
        .args(me))
    .await;
    assert_eq!(flag.code, 0, "{flag:?}");
    assert!(
        flag.stderr
            .contains("warning: a token given with --token stays in your shell history")
    );

    let wrong = run(bare(dir.path())
        .env("QYVO_BASE_URL", server.base_url())
        .env("QYVO_TOKEN", "not-the-token")
        .args(me))
    .await;
    assert_eq!(wrong.code, 4, "{wrong:?}");
    assert!(
        wrong.stderr.starts_with("qyvo: unauthenticated"),
        "{}",
        wrong.stderr
    );
    assert!(!wrong.stderr.contains("not-the-token"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_server_runs_any_command_with_no_token() {
    let dir = workdir();
    let me = run(bare(dir.path()).args(["--mock", "api", "me"])).await;
    assert_eq!(me.code, 0, "{me:?}");
    assert!(
        me.json()["email"]
            .as_str()
            .unwrap()
            .ends_with("@mock.qyvo.test")
    );

    // `qyvo mock` prints the settings another shell needs.
    let mut mock = bare(dir.path())
        .args(["mock", "--port", "0"])
        .spawn()
        .unwrap();
    let mut printed = BufReader::new(mock.stdout.take().unwrap()).lines();
    let mut settings = Vec::new();
    while settings.len() < 2 {
        let line = next_line(&mut printed).await;
        if let Some(setting) = line.strip_prefix("export ") {
            let (name, value) = setting.split_once('=').unwrap();
            settings.push((name.to_owned(), value.to_owned()));
        }
    }
    let me = run(bare(dir.path()).envs(settings).args(["api", "me"])).await;
    assert_eq!(me.code, 0, "{me:?}");
    mock.kill().await.unwrap();

    let completions = run(bare(dir.path()).args(["completions", "bash"])).await;
    assert_eq!(completions.code, 0);
    assert!(completions.stdout.contains("send-template-message"));
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_logs_requests_with_the_phone_masked_and_no_token() {
    let server = server().await;
    let dir = workdir();
    server
        .contact_reply(server.token(), &phone(1), "hi")
        .unwrap();
    let sent = run(qyvo(&server, dir.path()).args([
        "--verbose",
        "api",
        "send-text-message",
        "--phone",
        &phone(1),
        "--message",
        "Personal text",
    ]))
    .await;
    assert_eq!(sent.code, 0, "{sent:?}");
    assert_eq!(server.count(Operation::SendTextMessage), 1);
    assert!(sent.stderr.contains("qyvo.request"), "{}", sent.stderr);
    assert!(
        sent.stderr.contains("operation=\"send_text_message\"")
            || sent.stderr.contains("operation=send_text_message"),
        "{}",
        sent.stderr
    );
    assert!(
        sent.stderr.contains(&qyvo::phone::mask(&phone(1))),
        "{}",
        sent.stderr
    );
    for secret in [phone(1).as_str(), server.token(), "Personal text"] {
        assert!(!sent.stderr.contains(secret), "{secret} in {}", sent.stderr);
    }
}
