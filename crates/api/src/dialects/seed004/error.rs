//! Failures as this dialect answers them: the native error body, a superset of the seed's error
//! DTO (`status`, `success`, `message`, `error`), with every field in `details` (and in the
//! message) named as this dialect names it (`creditLimit`, `contactPersons.0.email`), through
//! the dialects' shared [`service_error`].

use clientele_core::service::ServiceError;

use super::write::{client_field_name, contact_field_name};
use crate::dialects::service_error;
use crate::error::ApiError;

/// A failure of a client use case. `street_from_combined`: the body wrote the street through
/// `streetAndNumber`, so that is the field to name.
pub fn client_error(e: ServiceError, street_from_combined: bool) -> ApiError {
    service_error(e, |f| client_field_name(f, street_from_combined))
}

/// A failure of a contact-person use case.
pub fn contact_error(e: ServiceError) -> ApiError {
    service_error(e, contact_field_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::FieldError;

    #[test]
    fn fields_and_keys_are_renamed_and_the_message_follows() {
        let e = client_error(
            ServiceError::Invalid(vec![FieldError::new(
                "credit.limit",
                "out_of_range",
                "must be greater than or equal to 0",
            )]),
            false,
        );
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(e.details[0].field, "creditLimit");
        assert_eq!(e.message, "creditLimit must be greater than or equal to 0");
        let e = client_error(
            ServiceError::Conflict {
                what: "client",
                key: "external_id".into(),
            },
            false,
        );
        assert_eq!(e.status.as_u16(), 409);
        assert_eq!(e.message, "Another client already has this externalId");
        let e = contact_error(ServiceError::NotFound("contact person"));
        assert_eq!((e.status.as_u16(), e.code), (404, "NOT_FOUND"));
        let e = contact_error(ServiceError::Invalid(vec![FieldError::new(
            "job_title",
            "too_long",
            "x",
        )]));
        assert_eq!(e.details[0].field, "jobTitle");
    }
}
