//! Panic containment at the C boundary: a panic becomes an error value and prints nothing.
//! The default hook would write the panic message to stderr; while this library runs an entry
//! point, the hook stays silent on that thread (other threads, e.g. other tests, still report).
//! The runtime's own threads (SQLite's blocking pool), known by their name, are always silent.

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();

/// The name of the threads the handle's runtime starts.
pub const RUNTIME_THREAD_NAME: &str = "rb-crypto-runtime";

pub fn install_hook() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let runtime_thread = std::thread::current().name() == Some(RUNTIME_THREAD_NAME);
            if !runtime_thread && !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

fn describe(payload: Box<dyn Any + Send>) -> String {
    // The payload may quote data (e.g. an `expect` message); only crate-written messages are
    // static strings, so owned strings are not passed on.
    match payload.downcast_ref::<&'static str>() {
        Some(text) => format!("internal error (panic): {text}"),
        None => "internal error (panic)".to_string(),
    }
}

/// Runs `body`, turning a panic into `Err` without printing.
pub fn catch<T>(body: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let was_quiet = QUIET.with(|quiet| quiet.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    QUIET.with(|quiet| quiet.set(was_quiet));
    result.map_err(describe)
}
