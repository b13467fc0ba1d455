//! `cargo run --example quickstart`: the SDK in a few minutes.
//!
//! Without `QYVO_TOKEN` it starts the bundled local Qyvo server and walks a full story (who am
//! I, upsert a contact, list templates, send a template, the contact replies, poll the reply,
//! answer inside the 24-hour window, tag, trigger a sequence). With `QYVO_TOKEN` set it tours
//! your real workspace read-only: nothing is sent.

mod story;

#[tokio::main]
async fn main() {
    let mut out = std::io::stdout();
    let result = match std::env::var(qyvo::defaults::TOKEN_ENV) {
        Ok(_) => match qyvo::ClientBuilder::from_env().and_then(qyvo::ClientBuilder::build) {
            Ok(client) => story::live_tour(&client, &mut out).await,
            Err(e) => Err(e.into()),
        },
        Err(_) => story::local_story(&mut out).await.map(drop),
    };
    if let Err(error) = result {
        eprintln!("quickstart failed: {error}");
        let mut source = error.source();
        while let Some(cause) = source {
            eprintln!("  caused by: {cause}");
            source = cause.source();
        }
        std::process::exit(1);
    }
}
