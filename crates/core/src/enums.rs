//! Closed sets of values, written in `snake_case`.

use serde::Serialize;

use crate::types::Invalid;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant),+
        }

        /// The schema lists the values exactly as they are written on the wire ([`Self::ALL`]):
        /// utoipa's derive does not see a `serde(rename)` whose value comes from a macro.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().copied()))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn as_str(&self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The value named `s`: its own name, or one of its aliases (other names accepted
            /// on input and never shown: the value is always written as its own name).
            pub fn parse(s: &str) -> Result<Self, Invalid> {
                match s {
                    $($text $(| $alias)* => Ok(Self::$variant),)+
                    _ => Err(Invalid::new(
                        "invalid_value",
                        format!("must be one of: {}", Self::ALL.join(", ")),
                    )),
                }
            }
        }
    };
}

string_enum!(
    /// Whether the client is an organisation or a natural person.
    ClientKind { Organization = "organization", Person = "person" }
);
string_enum!(
    /// Whether the client is in active use.
    ClientStatus { Active = "active", Inactive = "inactive" }
);
string_enum!(
    /// The client's sector.
    PartnerType {
        CityCommunity = "city_community",
        Construction = "construction",
        Industry = "industry",
        Other = "other",
        Private = "private",
    }
);
string_enum!(
    /// A coarse credit assessment.
    Creditworthiness {
        Good = "good",
        Middle = "middle",
        Substandard = "substandard",
        Bad = "bad",
    }
);
string_enum!(
    /// What a credential may do. `admin` implies all the others. `APICLI_CLIENTS_READ` (the
    /// name seed 001's vendor gives it) is accepted wherever permissions are given, and is
    /// always shown and stored as `clients:read`.
    Permission {
        ClientsRead = "clients:read" | "APICLI_CLIENTS_READ",
        ClientsWrite = "clients:write",
        ClientsDelete = "clients:delete",
        AuditRead = "audit:read",
        Admin = "admin",
    }
);
