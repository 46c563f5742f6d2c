//! Log hygiene shared by the binary and the tests: panics are reported through `tracing`, with
//! their message masked, instead of the standard hook's raw `stderr` line.

use std::panic::PanicHookInfo;

use clientele_core::mask::{mask, mask_text};
use clientele_core::tenant::CredentialKind;
use clientele_core::Caller;

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

/// How a caller appears in logs (the access log's `actor`): an API key by its id, which is not
/// personal data; a JWT subject (often an e-mail address or a person's id) masked like other
/// personal data, `sub:***` plus at most its last two characters.
pub fn actor_for_log(caller: &Caller) -> String {
    match caller.credential {
        CredentialKind::ApiKey if caller.actor == caller.credential_id => caller.actor.clone(),
        _ => format!("sub:{}", mask(&caller.actor)),
    }
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
    fn jwt_subjects_are_masked_and_key_ids_kept() {
        use clientele_core::types::{TenantName, Timestamp};
        use clientele_core::{Tenant, TenantId};
        let tenant = Tenant {
            id: TenantId(uuid::Uuid::nil()),
            name: TenantName::parse("acme").expect("name"),
            default_currency: clientele_core::types::CurrencyCode::eur(),
            created_at: Timestamp::now(),
        };
        let mut c = Caller {
            tenant,
            actor: "anna.berg@example.com".into(),
            credential: CredentialKind::Jwt,
            credential_id: "anna.berg@example.com".into(),
            permissions: vec![],
            rate_limit: None,
        };
        assert_eq!(actor_for_log(&c), "sub:***om");
        // Both credentials: the request runs as the token's subject, on the key.
        c.credential = CredentialKind::ApiKey;
        c.credential_id = "0190a1b2-0000-7000-8000-000000000001".into();
        assert_eq!(actor_for_log(&c), "sub:***om");
        c.actor = c.credential_id.clone();
        assert_eq!(actor_for_log(&c), "0190a1b2-0000-7000-8000-000000000001");
    }

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
