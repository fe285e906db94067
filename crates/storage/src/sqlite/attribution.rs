//! Attributed event metrics in the embedded store.

use rusqlite::params;

use super::*;

impl AttributionStore for SqliteStore {
    fn add_attribution_values(&self, values: &[AttributionValue]) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO attribution_values \
                     (metric_attribution_arn, metric_name, source, window_start, value, events) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (metric_attribution_arn, metric_name, source, window_start) DO UPDATE SET \
                     value = value + excluded.value, events = events + excluded.events",
                )?;
                for v in values {
                    upsert.execute(params![
                        v.metric_attribution_arn,
                        v.metric_name,
                        v.source,
                        v.window_start,
                        v.value,
                        v.events as i64
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn attribution_values(&self, metric_attribution_arn: &str) -> StorageResult<Vec<AttributionValue>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT metric_name, source, window_start, value, events FROM attribution_values \
                 WHERE metric_attribution_arn = ?1 ORDER BY window_start, metric_name, source",
            )?;
            let rows = stmt.query_map(params![metric_attribution_arn], |row| {
                Ok(AttributionValue {
                    metric_attribution_arn: metric_attribution_arn.to_string(),
                    metric_name: row.get(0)?,
                    source: row.get(1)?,
                    window_start: row.get(2)?,
                    value: row.get(3)?,
                    events: row.get::<_, i64>(4)?.max(0) as u64,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn attribution_sources(&self, metric_attribution_arn: &str) -> StorageResult<Vec<String>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT source FROM attribution_values WHERE metric_attribution_arn = ?1 ORDER BY source",
            )?;
            let rows = stmt.query_map(params![metric_attribution_arn], |row| row.get(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn delete_attribution_values(&self, metric_attribution_arn: &str) -> StorageResult<()> {
        self.with(|conn| {
            conn.execute(
                "DELETE FROM attribution_values WHERE metric_attribution_arn = ?1",
                params![metric_attribution_arn],
            )?;
            Ok(())
        })
    }
}
