//! Per-user counts of A/B experiments in the embedded store.

use rusqlite::params;

use super::*;

impl ExperimentStore for SqliteStore {
    fn add_experiment_exposures(&self, exposures: &[ExperimentExposure]) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO experiment_exposures (experiment_arn, arm, user_key, requests, first_seen) \
                     VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (experiment_arn, arm, user_key) DO UPDATE SET \
                     requests = requests + excluded.requests, first_seen = MIN(first_seen, excluded.first_seen)",
                )?;
                for e in exposures {
                    upsert.execute(params![e.experiment_arn, e.arm, e.user_key, e.requests as i64, e.first_seen])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn add_experiment_conversions(&self, conversions: &[ExperimentConversion]) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO experiment_conversions \
                     (experiment_arn, arm, user_key, event_type, events, value_sum, impressions, first_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (experiment_arn, arm, user_key, event_type) DO UPDATE SET \
                     events = events + excluded.events, value_sum = value_sum + excluded.value_sum, \
                     impressions = impressions + excluded.impressions, first_at = MIN(first_at, excluded.first_at)",
                )?;
                for c in conversions {
                    upsert.execute(params![
                        c.experiment_arn,
                        c.arm,
                        c.user_key,
                        c.event_type,
                        c.events as i64,
                        c.value_sum,
                        c.impressions as i64,
                        c.first_at
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn experiment_exposures(&self, experiment_arn: &str) -> StorageResult<Vec<ExperimentExposure>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT arm, user_key, requests, first_seen FROM experiment_exposures \
                 WHERE experiment_arn = ?1 ORDER BY arm, user_key",
            )?;
            let rows = stmt.query_map(params![experiment_arn], |row| {
                Ok(ExperimentExposure {
                    experiment_arn: experiment_arn.to_string(),
                    arm: row.get(0)?,
                    user_key: row.get(1)?,
                    requests: row.get::<_, i64>(2)?.max(0) as u64,
                    first_seen: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn experiment_conversions(&self, experiment_arn: &str) -> StorageResult<Vec<ExperimentConversion>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT arm, user_key, event_type, events, value_sum, impressions, first_at \
                 FROM experiment_conversions WHERE experiment_arn = ?1 ORDER BY arm, user_key, event_type",
            )?;
            let rows = stmt.query_map(params![experiment_arn], |row| {
                Ok(ExperimentConversion {
                    experiment_arn: experiment_arn.to_string(),
                    arm: row.get(0)?,
                    user_key: row.get(1)?,
                    event_type: row.get(2)?,
                    events: row.get::<_, i64>(3)?.max(0) as u64,
                    value_sum: row.get(4)?,
                    impressions: row.get::<_, i64>(5)?.max(0) as u64,
                    first_at: row.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn delete_experiment_data(&self, experiment_arn: &str) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM experiment_exposures WHERE experiment_arn = ?1", params![experiment_arn])?;
            tx.execute("DELETE FROM experiment_conversions WHERE experiment_arn = ?1", params![experiment_arn])?;
            tx.commit()?;
            Ok(())
        })
    }
}
