//! `qyvo webhooks verify` and `qyvo webhooks listen`.

use qyvo::webhook::{SIGNATURE_HEADER, WebhookSecret, sign};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

use crate::support::{bare, next_line, run_with_stdin, workdir};

const SECRET: &str = "whsec_cli_test";
const EVENT: &str = r#"{"event":"message.status.delivered","message_id":"01J0AB","whatsapp_message_id":"wamid.HBg","timestamp":"2024-06-01T12:00:00Z"}"#;

fn signature(body: &[u8]) -> String {
    let secret: WebhookSecret = SECRET.parse().unwrap();
    sign(&secret, unix_now(), body)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_accepts_a_signed_payload_and_rejects_a_tampered_one() {
    let dir = workdir();
    let header = signature(EVENT.as_bytes());
    let verify = |header: &str| {
        let mut command = bare(dir.path());
        command.env("HOOK_SECRET", SECRET).args([
            "webhooks",
            "verify",
            "--secret-env",
            "HOOK_SECRET",
            "--signature",
            header,
        ]);
        command
    };

    let accepted = run_with_stdin(&mut verify(&header), EVENT.as_bytes()).await;
    assert_eq!(accepted.code, 0, "{accepted:?}");
    assert_eq!(accepted.json()["event"], "message.status.delivered");
    assert_eq!(accepted.json()["message_id"], "01J0AB");

    let tampered = EVENT.replace("delivered", "read");
    let refused = run_with_stdin(&mut verify(&header), tampered.as_bytes()).await;
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stdout.is_empty());
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert!(
        refused.stderr.starts_with("qyvo: webhook refused: "),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains(SECRET));

    let unsigned = run_with_stdin(
        bare(dir.path()).env("HOOK_SECRET", SECRET).args([
            "webhooks",
            "verify",
            "--secret-env",
            "HOOK_SECRET",
        ]),
        EVENT.as_bytes(),
    )
    .await;
    assert_eq!(unsigned.code, 3, "{unsigned:?}");
}

/// POSTs a delivery to `address` by hand (HTTP/1.1, one request per connection); answers
/// the status.
async fn post(address: &str, signature: &str, body: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /hooks/qyvo HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         {SIGNATURE_HEADER}: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_prints_verified_events_and_answers_401_to_forgeries() {
    let dir = workdir();
    let mut listener = bare(dir.path())
        .env("HOOK_SECRET", SECRET)
        .args([
            "webhooks",
            "listen",
            "--secret-env",
            "HOOK_SECRET",
            "--port",
            "0",
        ])
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(listener.stderr.take().unwrap()).lines();
    let mut stdout = BufReader::new(listener.stdout.take().unwrap()).lines();
    let first = next_line(&mut stderr).await;
    let address = first
        .strip_prefix("qyvo: listening on http://")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();

    let ok = post(&address, &signature(EVENT.as_bytes()), EVENT).await;
    assert_eq!(ok, 200);
    let line = next_line(&mut stdout).await;
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["message_id"], "01J0AB");

    let forged = post(&address, &signature(b"another body"), EVENT).await;
    assert_eq!(forged, 401);
    let refused = next_line(&mut stderr).await;
    assert!(
        refused.starts_with("qyvo: refused a delivery: "),
        "{refused}"
    );
    listener.kill().await.unwrap();
}
