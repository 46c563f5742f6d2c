//! Binding a row's values to a prepared insert.

use clientele_core::store::StoreResult;
use rusqlite::types::{ToSqlOutput, ValueRef};
use sea_query_rusqlite::RusqliteValue;

use super::conn::map_err;

/// Which parameters of a statement hold a value other than NULL, so that a row's NULLs are
/// bound only where the previous row left something else: a statement from `prepare_cached`
/// starts with every parameter NULL (new, or its bindings cleared when it went back to the
/// cache), and a new client has ~40 NULL columns of its ~70 (binding took 23,000 writer
/// instructions per create, 16,200 this way; docs/performance.md, "Tenth session").
#[derive(Default)]
pub(super) struct NonNullParameters(Vec<bool>);

impl NonNullParameters {
    /// Binds `values` to the parameters 1..=n of `st`, in order.
    pub(super) fn bind(
        &mut self,
        st: &mut rusqlite::Statement<'_>,
        values: Vec<sea_query::Value>,
    ) -> StoreResult<()> {
        let expected = st.parameter_count();
        if values.len() != expected {
            return Err(map_err(rusqlite::Error::InvalidParameterCount(
                values.len(),
                expected,
            )));
        }
        self.0.resize(expected, false);
        for (i, value) in values.into_iter().enumerate() {
            let value = RusqliteValue(value);
            let out = rusqlite::ToSql::to_sql(&value).map_err(map_err)?;
            let null = matches!(
                out,
                ToSqlOutput::Owned(rusqlite::types::Value::Null)
                    | ToSqlOutput::Borrowed(ValueRef::Null)
            );
            if null && !self.0[i] {
                continue;
            }
            st.raw_bind_parameter(i + 1, out).map_err(map_err)?;
            self.0[i] = !null;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// Only the NULLs a row needs are bound: a NULL after a value replaces it, the next
    /// statement from the cache starts from NULLs, and a row of the wrong width is refused.
    #[test]
    fn a_row_binds_its_nulls_where_the_previous_row_left_a_value() {
        use sea_query::Value;
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (a, b, c)")
            .expect("table");
        let sql = "INSERT INTO t VALUES (?1, ?2, ?3)";
        let text = |s: &str| Value::String(Some(Box::new(s.to_string())));
        {
            let mut st = conn.prepare_cached(sql).expect("prepare");
            let mut held = NonNullParameters::default();
            for row in [
                vec![Value::Int(Some(1)), text("x"), Value::Int(None)],
                vec![Value::Int(None), Value::String(None), Value::Int(Some(3))],
                vec![Value::Int(Some(4)), Value::String(None), Value::Int(None)],
            ] {
                held.bind(&mut st, row).expect("bind");
                st.raw_execute().expect("insert");
            }
        }
        {
            let mut st = conn.prepare_cached(sql).expect("from the cache");
            let mut held = NonNullParameters::default();
            let row = vec![Value::Int(None), Value::String(None), Value::Int(None)];
            held.bind(&mut st, row).expect("bind");
            st.raw_execute().expect("insert");
            let short = vec![Value::Int(Some(1))];
            assert!(
                held.bind(&mut st, short).is_err(),
                "a row of one value for three"
            );
        }
        let rows: Vec<(Option<i64>, Option<String>, Option<i64>)> = conn
            .prepare("SELECT a, b, c FROM t ORDER BY rowid")
            .expect("select")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("read");
        assert_eq!(
            rows,
            vec![
                (Some(1), Some("x".to_string()), None),
                (None, None, Some(3)),
                (Some(4), None, None),
                (None, None, None),
            ]
        );
    }
}
