//! `qyvo messages tail`: every reply printed once, across a restart.

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use crate::support::{kill, next_line, phone, qyvo, server, until, workdir};

/// The next message `tail` prints.
async fn next_message(lines: &mut Lines<BufReader<ChildStdout>>) -> Value {
    serde_json::from_str(&next_line(lines).await).unwrap()
}

fn checkpoint_holds(path: &std::path::Path, id: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(id))
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_are_delivered_once_across_a_restart() {
    let server = server().await;
    let dir = workdir();
    let checkpoint = dir.path().join("inbox.json");
    let token = server.token().to_owned();
    let reply = |text: &str| server.contact_reply(&token, &phone(1), text).unwrap();
    let before = reply("sent before tail started");
    let tail = || -> (Child, Lines<BufReader<ChildStdout>>) {
        let mut child = qyvo(&server, dir.path())
            .args(["messages", "tail", "--type", "text", "--interval", "100ms"])
            .args(["--checkpoint", "inbox.json"])
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        (child, BufReader::new(stdout).lines())
    };

    let (mut first, mut printed) = tail();
    until("the first poll", || checkpoint.exists()).await;
    let b = reply("first reply");
    let c = reply("second reply");
    assert_eq!(next_message(&mut printed).await["id"], b.as_str());
    let second = next_message(&mut printed).await;
    assert_eq!(second["id"], c.as_str());
    assert_eq!(second["content"]["body"], "second reply");
    // Killed once it is done with them (the checkpoint names the last one).
    until("the checkpoint", || checkpoint_holds(&checkpoint, &c)).await;
    kill(&mut first).await;

    let d = reply("sent while tail was down");
    let (mut again, mut printed) = tail();
    assert_eq!(next_message(&mut printed).await["id"], d.as_str());
    until("the checkpoint", || checkpoint_holds(&checkpoint, &d)).await;
    kill(&mut again).await;
    let rest: Vec<String> = {
        let mut rest = Vec::new();
        while let Ok(Some(line)) = printed.next_line().await {
            rest.push(line);
        }
        rest
    };
    assert!(rest.is_empty(), "printed again: {rest:?}");
    assert_ne!(before, b);
}
