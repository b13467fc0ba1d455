//! Preflight generation: runs [`codegen::client`] (the build's own generation) on a spec, turning
//! progenitor's panics into errors that name the operation, so a spec that would break
//! `build.rs` fails in the xtask instead.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::codegen::{self, CodegenError};

/// Why progenitor cannot generate the SDK's client from a spec.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreflightError {
    /// `openapiv3` (as `build.rs` reads the file) cannot parse the spec.
    #[error("{0}")]
    Parse(String),
    /// Generation failed; each failure names the operation that causes it, when one does.
    #[error("progenitor cannot generate a client: {}", join(failures))]
    Generate {
        /// One entry per failing operation (or the components, when no operation is to blame).
        failures: Vec<Failure>,
    },
}

/// One reason the generation fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `post /a (create_a)`, or `None` when the spec fails without any operation.
    pub operation: Option<String>,
    /// progenitor's error or panic message.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation {
            Some(operation) => write!(f, "{operation}: {}", self.message),
            None => write!(f, "the components: {}", self.message),
        }
    }
}

fn join(failures: &[Failure]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Parses `text` as `build.rs` does and generates the client from it as `build.rs` does.
///
/// On failure, generates each operation alone to name the ones at fault.
///
/// ```
/// let spec = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: get_a\n      responses: {'200': {description: ok}}\n";
/// xtask::preflight::client(spec)?;
/// # Ok::<(), xtask::preflight::PreflightError>(())
/// ```
pub fn client(text: &str) -> Result<codegen::Generated, PreflightError> {
    let spec = codegen::parse(text).map_err(|e| PreflightError::Parse(e.to_string()))?;
    client_for(&spec)
}

/// Generates the client from an already parsed spec as `build.rs` does; see [`client`].
pub fn client_for(spec: &openapiv3::OpenAPI) -> Result<codegen::Generated, PreflightError> {
    generate(spec).map_err(|message| PreflightError::Generate {
        failures: isolate(spec, message),
    })
}

/// Generates the client; a progenitor panic becomes its message.
fn generate(spec: &openapiv3::OpenAPI) -> Result<codegen::Generated, String> {
    // progenitor's messages may end in a multi-line Debug dump of the offending object.
    let first_line = |message: String| message.lines().next().unwrap_or_default().to_owned();
    quietly(|| codegen::client(spec)).map_err(|e| match e {
        Caught::Error(CodegenError::Progenitor(message)) => first_line(message),
        Caught::Error(e) => first_line(e.to_string()),
        Caught::Panic(message) => format!("progenitor panicked: {}", first_line(message)),
    })
}

/// The failures of each operation generated alone; the whole spec's failure when none fails alone.
fn isolate(spec: &openapiv3::OpenAPI, whole: String) -> Vec<Failure> {
    let mut components = spec.clone();
    components.paths.paths.clear();
    if let Err(message) = generate(&components) {
        return vec![Failure {
            operation: None,
            message,
        }];
    }
    let mut failures = Vec::new();
    for (path, method, operation) in spec.operations() {
        let mut alone = spec.clone();
        alone.paths.paths.retain(|p, _| p == path);
        if let Some(openapiv3::ReferenceOr::Item(item)) = alone.paths.paths.get_mut(path) {
            keep_only(item, method);
        }
        if let Err(message) = generate(&alone) {
            let id = operation
                .operation_id
                .as_deref()
                .unwrap_or("no operationId");
            failures.push(Failure {
                operation: Some(format!("{method} {path} ({id})")),
                message,
            });
        }
    }
    if failures.is_empty() {
        failures.push(Failure {
            operation: Some("all operations together".into()),
            message: whole,
        });
    }
    failures
}

/// Removes every operation of `item` but `method`'s.
fn keep_only(item: &mut openapiv3::PathItem, method: &str) {
    for (name, slot) in [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ] {
        if name != method {
            *slot = None;
        }
    }
}

enum Caught {
    Error(CodegenError),
    Panic(String),
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, catching a panic; while it runs, this thread's panics are recorded instead of
/// printed (other threads' still print: the hook is process-wide, the switch per thread).
fn quietly<T>(f: impl FnOnce() -> Result<T, CodegenError>) -> Result<T, Caught> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let at = info.location().map_or_else(String::new, |l| {
                    let file = l.file().rsplit('/').next().unwrap_or(l.file());
                    format!(" (at {file}:{})", l.line())
                });
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("a non-string payload");
                CAUGHT.with(|c| *c.borrow_mut() = Some(format!("{message}{at}")));
            } else {
                default(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Caught::Error(e)),
        Err(_) => Err(Caught::Panic(
            CAUGHT
                .with(|c| c.borrow_mut().take())
                .unwrap_or_else(|| "no message".into()),
        )),
    }
}
