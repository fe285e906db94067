//! A/B experiments' per-user counts and event collection's dead letters in the PostgreSQL store
//! (the dedupe keys are written with the records, in `records.rs`).

use super::PgStore;
use crate::{CollectStore, DeadLetter, ExperimentConversion, ExperimentExposure, ExperimentStore, StorageResult};

impl ExperimentStore for PgStore {
    fn add_experiment_exposures(&self, exposures: &[ExperimentExposure]) -> StorageResult<()> {
        self.in_tx(|tx| {
            let upsert = tx.prepare(
                "INSERT INTO experiment_exposures (experiment_arn, arm, user_key, requests, first_seen) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (experiment_arn, arm, user_key) DO UPDATE SET \
                 requests = experiment_exposures.requests + EXCLUDED.requests, \
                 first_seen = LEAST(experiment_exposures.first_seen, EXCLUDED.first_seen)",
            )?;
            for e in exposures {
                tx.execute(
                    &upsert,
                    &[&e.experiment_arn, &i64::from(e.arm), &e.user_key, &(e.requests as i64), &e.first_seen],
                )?;
            }
            Ok(())
        })
    }

    fn add_experiment_conversions(&self, conversions: &[ExperimentConversion]) -> StorageResult<()> {
        self.in_tx(|tx| {
            let upsert = tx.prepare(
                "INSERT INTO experiment_conversions \
                 (experiment_arn, arm, user_key, event_type, events, value_sum, impressions, first_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (experiment_arn, arm, user_key, event_type) DO UPDATE SET \
                 events = experiment_conversions.events + EXCLUDED.events, \
                 value_sum = experiment_conversions.value_sum + EXCLUDED.value_sum, \
                 impressions = experiment_conversions.impressions + EXCLUDED.impressions, \
                 first_at = LEAST(experiment_conversions.first_at, EXCLUDED.first_at)",
            )?;
            for c in conversions {
                tx.execute(
                    &upsert,
                    &[
                        &c.experiment_arn,
                        &i64::from(c.arm),
                        &c.user_key,
                        &c.event_type,
                        &(c.events as i64),
                        &c.value_sum,
                        &(c.impressions as i64),
                        &c.first_at,
                    ],
                )?;
            }
            Ok(())
        })
    }

    fn experiment_exposures(&self, experiment_arn: &str) -> StorageResult<Vec<ExperimentExposure>> {
        let rows = self.conn()?.query(
            "SELECT arm, user_key, requests, first_seen FROM experiment_exposures \
             WHERE experiment_arn = $1 ORDER BY arm, user_key",
            &[&experiment_arn],
        )?;
        rows.iter()
            .map(|row| {
                Ok(ExperimentExposure {
                    experiment_arn: experiment_arn.to_string(),
                    arm: row.try_get::<_, i64>(0)?.clamp(0, i64::from(u32::MAX)) as u32,
                    user_key: row.try_get(1)?,
                    requests: row.try_get::<_, i64>(2)?.max(0) as u64,
                    first_seen: row.try_get(3)?,
                })
            })
            .collect()
    }

    fn experiment_conversions(&self, experiment_arn: &str) -> StorageResult<Vec<ExperimentConversion>> {
        let rows = self.conn()?.query(
            "SELECT arm, user_key, event_type, events, value_sum, impressions, first_at \
             FROM experiment_conversions WHERE experiment_arn = $1 ORDER BY arm, user_key, event_type",
            &[&experiment_arn],
        )?;
        rows.iter()
            .map(|row| {
                Ok(ExperimentConversion {
                    experiment_arn: experiment_arn.to_string(),
                    arm: row.try_get::<_, i64>(0)?.clamp(0, i64::from(u32::MAX)) as u32,
                    user_key: row.try_get(1)?,
                    event_type: row.try_get(2)?,
                    events: row.try_get::<_, i64>(3)?.max(0) as u64,
                    value_sum: row.try_get(4)?,
                    impressions: row.try_get::<_, i64>(5)?.max(0) as u64,
                    first_at: row.try_get(6)?,
                })
            })
            .collect()
    }

    fn delete_experiment_data(&self, experiment_arn: &str) -> StorageResult<()> {
        self.in_tx(|tx| {
            tx.execute("DELETE FROM experiment_exposures WHERE experiment_arn = $1", &[&experiment_arn])?;
            tx.execute("DELETE FROM experiment_conversions WHERE experiment_arn = $1", &[&experiment_arn])?;
            Ok(())
        })
    }
}

impl CollectStore for PgStore {
    fn prune_dedupe_keys(&self, before: i64) -> StorageResult<u64> {
        Ok(self.conn()?.execute("DELETE FROM dedupe_keys WHERE seen_at < $1", &[&before])?)
    }

    fn add_dead_letter(&self, l: &DeadLetter, keep: u64) -> StorageResult<i64> {
        self.in_tx(|tx| {
            let row = tx.query_one(
                "INSERT INTO dead_letters (at, source, dataset_group_arn, reason, detail, payload) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&l.at, &l.source, &l.dataset_group_arn, &l.reason, &l.detail, &l.payload],
            )?;
            let id: i64 = row.try_get(0)?;
            // Ids increase, so the newest `keep` are those above `id - keep`.
            tx.execute("DELETE FROM dead_letters WHERE id <= $1", &[&(id - keep as i64)])?;
            Ok(id)
        })
    }

    fn dead_letters(&self, limit: u64) -> StorageResult<Vec<DeadLetter>> {
        let rows = self.conn()?.query(
            "SELECT id, at, source, dataset_group_arn, reason, detail, payload FROM dead_letters \
             ORDER BY id DESC LIMIT $1",
            &[&(limit as i64)],
        )?;
        rows.iter()
            .map(|row| {
                Ok(DeadLetter {
                    id: row.try_get(0)?,
                    at: row.try_get(1)?,
                    source: row.try_get(2)?,
                    dataset_group_arn: row.try_get(3)?,
                    reason: row.try_get(4)?,
                    detail: row.try_get(5)?,
                    payload: row.try_get(6)?,
                })
            })
            .collect()
    }
}
