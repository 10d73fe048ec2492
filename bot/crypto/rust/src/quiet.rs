//! Panic containment at the C boundary: a panic becomes an error value and prints nothing.
//! The default hook would write the panic message to stderr; while this library runs an entry
//! point, the hook stays silent (outside, e.g. in tests, the previous hook still reports).
//! The count is process-wide, not per thread, because the runtime's blocking threads (SQLite)
//! run on behalf of an entry point too.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

static ACTIVE: AtomicUsize = AtomicUsize::new(0);

static INSTALL: Once = Once::new();

fn install_hook() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if ACTIVE.load(Ordering::SeqCst) == 0 {
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
    ACTIVE.fetch_add(1, Ordering::SeqCst);
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    ACTIVE.fetch_sub(1, Ordering::SeqCst);
    result.map_err(describe)
}
