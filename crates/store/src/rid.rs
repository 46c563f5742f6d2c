//! The creation sequence `rid` (`clientele_core::query::CREATION_SEQ`): `ms << 12 | seq`, the
//! creation millisecond shifted left by 12 bits plus a per-millisecond sequence. Its order is
//! exactly `(created_at, id)` order, because a new client's id is a UUIDv7 carrying the same
//! millisecond and the sequence in its 12 `rand_a` bits ([`id_for`]). A write finds the largest
//! taken sequence of a millisecond inside its transaction (`rules::sequences`) and asks
//! [`next_after`] for the next one. SQLite takes sequences unique among all clients (they are
//! the rowids of its full-text index), PostgreSQL among the tenant's (see `Tx::rid_scope`).

use clientele_core::types::Timestamp;
use uuid::Uuid;

/// Sequences per millisecond.
const PER_MS: i64 = 1 << 12;
/// How many later milliseconds a write may move to when its own is full.
pub const MAX_SPILL_MS: usize = 1000;

/// Millisecond of the Unix epoch of a timestamp.
pub fn unix_ms(t: Timestamp) -> i64 {
    (t.datetime().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The first and one-past-last `rid` of millisecond `ms`.
pub fn range_of_ms(ms: i64) -> (i64, i64) {
    (ms << 12, (ms << 12) + PER_MS)
}

/// The next free `rid` of millisecond `ms` given the largest one taken, or `None` when all
/// 4096 are taken (the caller moves on to `ms + 1`).
pub fn next_after(ms: i64, max_taken: Option<i64>) -> Option<i64> {
    let (lo, hi) = range_of_ms(ms);
    let next = max_taken.map_or(lo, |m| m + 1);
    (next < hi).then_some(next)
}

/// A UUIDv7 for creation sequence `rid`: its timestamp is the creation millisecond and its
/// 12-bit `rand_a` the per-millisecond sequence, so ids sort like `(created_at, rid)`. Its 62
/// random bits come from the `uuid` crate's random source (`fast-rng`: a generator in the
/// thread, seeded by the operating system), not from a system call per id (one `getrandom`
/// per create on the writer thread).
pub fn id_for(rid: i64) -> Uuid {
    let ms = (rid >> 12) as u64;
    let seq = (rid & 0xfff) as u16;
    let mut bytes = *Uuid::new_v4()
        .as_bytes()
        .last_chunk::<10>()
        .unwrap_or(&[0; 10]);
    bytes[0] = (seq >> 8) as u8;
    bytes[1] = (seq & 0xff) as u8;
    uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid()
}

/// The creation sequence an id made by [`id_for`] carries: its millisecond and its 12-bit
/// `rand_a`. `None` for an id that is not a UUIDv7; any other id gives a sequence that is not
/// its own, which its reader finds out (`client_docs` keeps the id beside it).
pub fn rid_in(id: Uuid) -> Option<i64> {
    if id.get_version_num() != 7 {
        return None;
    }
    let b = id.as_bytes();
    let ms = i64::from(u16::from_be_bytes([b[0], b[1]])) << 32
        | i64::from(u32::from_be_bytes([b[2], b[3], b[4], b[5]]));
    let seq = i64::from(u16::from_be_bytes([b[6] & 0x0f, b[7]]));
    Some(ms << 12 | seq)
}

/// The creation time of a row whose `rid` belongs to millisecond `ms`.
pub fn timestamp_of_ms(ms: i64) -> Timestamp {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(Timestamp::from_datetime)
        .unwrap_or_else(|_| Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_millisecond_has_no_next_sequence() {
        assert_eq!(next_after(1, None), Some(4096));
        assert_eq!(next_after(1, Some(4096)), Some(4097));
        assert_eq!(next_after(1, Some(8190)), Some(8191));
        assert_eq!(next_after(1, Some(8191)), None);
    }

    #[test]
    fn an_id_carries_its_creation_sequence() {
        for rid in [
            0,
            1,
            4095,
            4096,
            (1_764_000_000_000 << 12) + 4095,
            (1 << 59) + 17,
        ] {
            assert_eq!(rid_in(id_for(rid)), Some(rid), "{rid}");
        }
        assert_eq!(
            rid_in(uuid::Builder::from_random_bytes([7; 16]).into_uuid()),
            None
        );
        assert_eq!(rid_in(Uuid::nil()), None);
    }

    #[test]
    fn ids_sort_like_their_creation_sequence() {
        let (a, b) = (id_for((5 << 12) + 1), id_for((5 << 12) + 2));
        assert!(a < b);
        assert!(b < id_for(6 << 12));
    }
}
