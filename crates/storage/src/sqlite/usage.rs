//! Usage windows (TPS-hours) in the embedded store.

use rusqlite::params;

use super::*;

impl UsageStore for SqliteStore {
    fn add_usage(&self, windows: &[UsageWindow], prune_before: i64) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO campaign_usage \
                     (campaign_arn, window_start, dataset_group_arn, requests, errors, min_provisioned_tps) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (campaign_arn, window_start) DO UPDATE SET \
                     requests = requests + excluded.requests, errors = errors + excluded.errors, \
                     min_provisioned_tps = MAX(min_provisioned_tps, excluded.min_provisioned_tps), \
                     dataset_group_arn = COALESCE(excluded.dataset_group_arn, dataset_group_arn)",
                )?;
                for w in windows {
                    upsert.execute(params![
                        w.campaign_arn,
                        w.window_start,
                        w.dataset_group_arn,
                        w.requests as i64,
                        w.errors as i64,
                        w.min_provisioned_tps
                    ])?;
                }
            }
            tx.execute("DELETE FROM campaign_usage WHERE window_start < ?1", params![prune_before])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn usage_windows(&self, since: i64) -> StorageResult<Vec<UsageWindow>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT campaign_arn, dataset_group_arn, window_start, requests, errors, min_provisioned_tps \
                 FROM campaign_usage WHERE window_start >= ?1 ORDER BY campaign_arn, window_start",
            )?;
            let rows = stmt.query_map(params![since], |row| {
                Ok(UsageWindow {
                    campaign_arn: row.get(0)?,
                    dataset_group_arn: row.get(1)?,
                    window_start: row.get(2)?,
                    requests: row.get::<_, i64>(3)?.max(0) as u64,
                    errors: row.get::<_, i64>(4)?.max(0) as u64,
                    min_provisioned_tps: row.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
