//! Log hygiene shared by the binary and the tests: panics are reported through `tracing`, with
//! their message masked, instead of the standard hook's raw `stderr` line.

use std::panic::PanicHookInfo;

use clientele_core::mask::mask_text;

use crate::request_id;

/// The text of a panic payload, masked (a panic message may quote a value being processed).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let raw = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text panic payload".to_string()
    };
    mask_text(&raw)
}

/// Replaces the process's panic hook: one masked `error` event per panic, with the request id
/// when the panic happened while handling a request.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info: &PanicHookInfo<'_>| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(
            request_id = %request_id::current(),
            message = %panic_message(info.payload()),
            location,
            "panic"
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_masked() {
        let payload: Box<dyn std::any::Any + Send> =
            Box::new(format!("bad value anna.secret@example.com in {}", "tax_id"));
        let m = panic_message(payload.as_ref());
        assert!(!m.contains("anna.secret@example.com"), "{m}");
        assert!(m.contains("tax_id"), "{m}");
        let payload: Box<dyn std::any::Any + Send> = Box::new("phone +46 70 123 45 67");
        assert!(!panic_message(payload.as_ref()).contains("123 45 67"));
    }
}
