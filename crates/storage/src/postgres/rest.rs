//! Usage windows, the schedule of due work and attributed metrics in the PostgreSQL store.

use super::PgStore;
use crate::{AttributionStore, AttributionValue, DueWork, ScheduleStore, StorageResult, UsageStore, UsageWindow};

impl UsageStore for PgStore {
    fn add_usage(&self, windows: &[UsageWindow], prune_before: i64) -> StorageResult<()> {
        self.in_tx(|tx| {
            let upsert = tx.prepare(
                "INSERT INTO campaign_usage \
                 (campaign_arn, window_start, dataset_group_arn, requests, errors, min_provisioned_tps) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (campaign_arn, window_start) DO UPDATE SET \
                 requests = campaign_usage.requests + EXCLUDED.requests, \
                 errors = campaign_usage.errors + EXCLUDED.errors, \
                 min_provisioned_tps = GREATEST(campaign_usage.min_provisioned_tps, EXCLUDED.min_provisioned_tps), \
                 dataset_group_arn = COALESCE(EXCLUDED.dataset_group_arn, campaign_usage.dataset_group_arn)",
            )?;
            for w in windows {
                tx.execute(
                    &upsert,
                    &[
                        &w.campaign_arn,
                        &w.window_start,
                        &w.dataset_group_arn,
                        &(w.requests as i64),
                        &(w.errors as i64),
                        &w.min_provisioned_tps,
                    ],
                )?;
            }
            tx.execute("DELETE FROM campaign_usage WHERE window_start < $1", &[&prune_before])?;
            Ok(())
        })
    }

    fn usage_windows(&self, since: i64) -> StorageResult<Vec<UsageWindow>> {
        let rows = self.conn()?.query(
            "SELECT campaign_arn, dataset_group_arn, window_start, requests, errors, min_provisioned_tps \
             FROM campaign_usage WHERE window_start >= $1 ORDER BY campaign_arn, window_start",
            &[&since],
        )?;
        rows.iter()
            .map(|row| {
                Ok(UsageWindow {
                    campaign_arn: row.try_get(0)?,
                    dataset_group_arn: row.try_get(1)?,
                    window_start: row.try_get(2)?,
                    requests: row.try_get::<_, i64>(3)?.max(0) as u64,
                    errors: row.try_get::<_, i64>(4)?.max(0) as u64,
                    min_provisioned_tps: row.try_get(5)?,
                })
            })
            .collect()
    }
}

impl ScheduleStore for PgStore {
    fn set_due(&self, resource_arn: &str, kind: &str, due_at: f64) -> StorageResult<()> {
        self.conn()?.execute(
            "INSERT INTO schedule (resource_arn, kind, due_at) VALUES ($1, $2, $3) \
             ON CONFLICT (resource_arn, kind) DO UPDATE SET due_at = EXCLUDED.due_at",
            &[&resource_arn, &kind, &due_at],
        )?;
        Ok(())
    }

    fn clear_due(&self, resource_arn: &str, kind: &str) -> StorageResult<()> {
        self.conn()?.execute("DELETE FROM schedule WHERE resource_arn = $1 AND kind = $2", &[&resource_arn, &kind])?;
        Ok(())
    }

    fn due_at(&self, resource_arn: &str, kind: &str) -> StorageResult<Option<f64>> {
        let row = self
            .conn()?
            .query_opt("SELECT due_at FROM schedule WHERE resource_arn = $1 AND kind = $2", &[&resource_arn, &kind])?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn due_work(&self, now: f64) -> StorageResult<Vec<DueWork>> {
        let rows = self.conn()?.query(
            "SELECT resource_arn, kind, due_at FROM schedule WHERE due_at <= $1 ORDER BY due_at, resource_arn",
            &[&now],
        )?;
        rows.iter()
            .map(|row| Ok(DueWork { resource_arn: row.try_get(0)?, kind: row.try_get(1)?, due_at: row.try_get(2)? }))
            .collect()
    }

    fn advance_due(&self, resource_arn: &str, kind: &str, expected: f64, next: Option<f64>) -> StorageResult<bool> {
        let mut conn = self.conn()?;
        // Compare-and-set in one statement: a concurrent advance of the same entry changes nothing.
        let changed = match next {
            Some(next) => conn.execute(
                "UPDATE schedule SET due_at = $4 WHERE resource_arn = $1 AND kind = $2 AND due_at = $3",
                &[&resource_arn, &kind, &expected, &next],
            )?,
            None => conn.execute(
                "DELETE FROM schedule WHERE resource_arn = $1 AND kind = $2 AND due_at = $3",
                &[&resource_arn, &kind, &expected],
            )?,
        };
        Ok(changed == 1)
    }
}

impl AttributionStore for PgStore {
    fn add_attribution_values(&self, values: &[AttributionValue]) -> StorageResult<()> {
        self.in_tx(|tx| {
            let upsert = tx.prepare(
                "INSERT INTO attribution_values \
                 (metric_attribution_arn, metric_name, source, window_start, value, events) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (metric_attribution_arn, metric_name, source, window_start) DO UPDATE SET \
                 value = attribution_values.value + EXCLUDED.value, \
                 events = attribution_values.events + EXCLUDED.events",
            )?;
            for v in values {
                tx.execute(
                    &upsert,
                    &[
                        &v.metric_attribution_arn,
                        &v.metric_name,
                        &v.source,
                        &v.window_start,
                        &v.value,
                        &(v.events as i64),
                    ],
                )?;
            }
            Ok(())
        })
    }

    fn attribution_values(&self, metric_attribution_arn: &str) -> StorageResult<Vec<AttributionValue>> {
        let rows = self.conn()?.query(
            "SELECT metric_name, source, window_start, value, events FROM attribution_values \
             WHERE metric_attribution_arn = $1 ORDER BY window_start, metric_name, source",
            &[&metric_attribution_arn],
        )?;
        rows.iter()
            .map(|row| {
                Ok(AttributionValue {
                    metric_attribution_arn: metric_attribution_arn.to_string(),
                    metric_name: row.try_get(0)?,
                    source: row.try_get(1)?,
                    window_start: row.try_get(2)?,
                    value: row.try_get(3)?,
                    events: row.try_get::<_, i64>(4)?.max(0) as u64,
                })
            })
            .collect()
    }

    fn attribution_sources(&self, metric_attribution_arn: &str) -> StorageResult<Vec<String>> {
        let rows = self.conn()?.query(
            "SELECT DISTINCT source FROM attribution_values WHERE metric_attribution_arn = $1 ORDER BY source",
            &[&metric_attribution_arn],
        )?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    fn delete_attribution_values(&self, metric_attribution_arn: &str) -> StorageResult<()> {
        self.conn()?
            .execute("DELETE FROM attribution_values WHERE metric_attribution_arn = $1", &[&metric_attribution_arn])?;
        Ok(())
    }
}
