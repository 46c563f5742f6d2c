//! Failures as this dialect answers them: the native error body, with every field in `details`
//! (and in the message) named as this dialect names it (`email_invoice`,
//! `primary_location.state`), through the dialects' shared [`service_error`].

use clientele_core::service::ServiceError;

use super::write::client_field_name;
use crate::dialects::service_error;
use crate::error::ApiError;

/// A failure of a client use case. The client's address is its primary location's, so one bad
/// value can fail twice in a create (as `address.country` and `locations.0.address.country`):
/// it is reported once, under its one name here (`primary_location.country`).
pub fn client_error(e: ServiceError) -> ApiError {
    let e = match e {
        ServiceError::Invalid(details) => {
            let mut seen: Vec<(String, String)> = Vec::new();
            ServiceError::Invalid(
                details
                    .into_iter()
                    .filter(|d| {
                        let key = (client_field_name(&d.field), d.code.clone());
                        let new = !seen.contains(&key);
                        if new {
                            seen.push(key);
                        }
                        new
                    })
                    .collect(),
            )
        }
        other => other,
    };
    service_error(e, client_field_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::FieldError;

    #[test]
    fn fields_are_renamed_and_a_shared_address_fails_once() {
        let e = client_error(ServiceError::Invalid(vec![
            FieldError::new(
                "billing_email",
                "invalid_format",
                "must be an email address",
            ),
            FieldError::new("address.country", "invalid_format", "must be ISO 3166-1"),
            FieldError::new(
                "locations.0.address.country",
                "invalid_format",
                "must be ISO 3166-1",
            ),
            FieldError::new("locations.0.fax", "invalid_format", "x"),
        ]));
        assert_eq!(e.status.as_u16(), 400);
        let fields: Vec<(&str, &str)> = e
            .details
            .iter()
            .map(|d| (d.field.as_str(), d.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("email_invoice", "invalid_format"),
                ("primary_location.country", "invalid_format"),
                ("primary_location.phone_fax", "invalid_format"),
            ]
        );
        let e = client_error(ServiceError::NotFound("client"));
        assert_eq!((e.status.as_u16(), e.code), (404, "NOT_FOUND"));
    }
}
