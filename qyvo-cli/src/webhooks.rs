//! `qyvo webhooks verify` and `qyvo webhooks listen`: deliveries checked with the SDK's
//! `Verifier` (signature, timestamp tolerance, secret rotation) and decoded as its
//! `WebhookEvent`. Secrets are read from environment variables, never from flags.

use std::{path::PathBuf, sync::Arc};

use clap::Subcommand;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::{
    Request, Response, StatusCode,
    body::Incoming,
    header::{HeaderMap, HeaderValue},
    service::service_fn,
};
use hyper_util::rt::TokioIo;
use qyvo::webhook::{SIGNATURE_HEADER, Verifier, WebhookError, WebhookSecret};
use serde_json::Value;

use crate::{api::read_body, failure::Failure, output::Format, progress::Interrupt};

/// The largest delivery `listen` reads.
const MAX_BODY: usize = 1 << 20;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Verify one delivery and print its event: the raw body on stdin (or --payload), the
    /// X-Qyvo-Signature header's value in --signature.
    Verify {
        #[command(flatten)]
        secrets: Secrets,
        /// The `X-Qyvo-Signature` header's value (`t=…,v1=…`).
        #[arg(long, value_name = "HEADER")]
        signature: Option<String>,
        /// The raw body, byte for byte as received: a file, or `-` for stdin.
        #[arg(long, value_name = "FILE|-", default_value = "-")]
        payload: PathBuf,
    },
    /// Receive deliveries on 127.0.0.1: verify, decode and print each event (one JSON line
    /// each); a bad signature is answered 401, a bad body 400. Until Ctrl-C.
    Listen {
        #[command(flatten)]
        secrets: Secrets,
        /// The port; 0 picks a free one (printed on stderr).
        #[arg(long, default_value_t = 8787)]
        port: u16,
    },
}

/// The signing secrets, by the names of the environment variables holding them.
#[derive(Debug, clap::Args)]
pub struct Secrets {
    /// The environment variable holding the webhook's signing secret; repeat it during a
    /// rotation (a delivery signed with any of them is accepted).
    #[arg(long = "secret-env", value_name = "VAR", required = true)]
    vars: Vec<String>,
}

impl Secrets {
    fn verifier(&self) -> Result<Verifier, Failure> {
        let secret = |var: &String| {
            let value = std::env::var(var).map_err(|_| {
                Failure::input(format!("the environment variable {var} is not set"))
            })?;
            WebhookSecret::new(&value)
                .map_err(|e| Failure::input(format!("the secret in {var}: {e}")))
        };
        let mut vars = self.vars.iter();
        let first = vars
            .next()
            .ok_or_else(|| Failure::input("name a secret with --secret-env"))?;
        vars.try_fold(Verifier::new(secret(first)?), |verifier, var| {
            Ok(verifier.with_secret(secret(var)?))
        })
    }
}

impl WebhooksCommand {
    pub async fn run(self, output: Format) -> Result<(), Failure> {
        match self {
            Self::Verify {
                secrets,
                signature,
                payload,
            } => {
                let verifier = secrets.verifier()?;
                let body = read_body(&payload).map_err(|e| {
                    Failure::input(format!("cannot read {}: {e}", payload.display()))
                })?;
                let mut headers = HeaderMap::new();
                if let Some(signature) = signature {
                    let value = HeaderValue::from_str(&signature)
                        .map_err(|_| Failure::input("the signature is not a valid header value"))?;
                    headers.insert(SIGNATURE_HEADER, value);
                }
                let event = authentic_event(&verifier, &headers, body.as_bytes())
                    .map_err(|e| Failure::input(format!("webhook refused: {e}")))?;
                output.print(&event);
                Ok(())
            }
            Self::Listen { secrets, port } => listen(secrets.verifier()?, port, output).await,
        }
    }
}

/// Verifies and decodes a delivery; answers its body's JSON, as Qyvo sent it.
fn authentic_event(
    verifier: &Verifier,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, WebhookError> {
    verifier.verify_and_parse(headers, body)?;
    // The event decoded, so the body is JSON.
    Ok(serde_json::from_slice(body).unwrap_or(Value::Null))
}

/// `webhooks listen`: serves until Ctrl-C.
async fn listen(verifier: Verifier, port: u16, output: Format) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Failure::io(&format!("cannot listen on 127.0.0.1:{port}"), &e))?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::io("cannot read the listening address", &e))?;
    eprintln!("qyvo: listening on http://{address}");
    let verifier = Arc::new(verifier);
    let interrupt = Interrupt::listen();
    while let Some(accepted) = interrupt.during(listener.accept()).await {
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let verifier = Arc::clone(&verifier);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let verifier = Arc::clone(&verifier);
                async move {
                    Ok::<_, std::convert::Infallible>(receive(&verifier, request, output).await)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    Ok(())
}

/// One delivery: printed and answered 200 when authentic and readable.
async fn receive(
    verifier: &Verifier,
    request: Request<Incoming>,
    output: Format,
) -> Response<Full<&'static [u8]>> {
    let (parts, body) = request.into_parts();
    let answer = |status: StatusCode, text: &'static str| {
        let mut response = Response::new(Full::new(text.as_bytes()));
        *response.status_mut() = status;
        response
    };
    let Ok(body) = Limited::new(body, MAX_BODY).collect().await else {
        eprintln!("qyvo: refused a delivery: unreadable or larger than {MAX_BODY} bytes");
        return answer(StatusCode::PAYLOAD_TOO_LARGE, "too large\n");
    };
    let body = body.to_bytes();
    match authentic_event(verifier, &parts.headers, &body) {
        Ok(event) => {
            output.print_line(&event);
            answer(StatusCode::OK, "ok\n")
        }
        Err(error) => {
            eprintln!("qyvo: refused a delivery: {error}");
            if error.is_signature_error() {
                answer(StatusCode::UNAUTHORIZED, "bad signature\n")
            } else {
                answer(StatusCode::BAD_REQUEST, "bad payload\n")
            }
        }
    }
}
