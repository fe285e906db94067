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

#[cfg(test)]
mod tests {
    use super::*;

    fn exposure(arm: u32, user: &str, requests: u64, first_seen: f64) -> ExperimentExposure {
        ExperimentExposure { experiment_arn: "e".into(), arm, user_key: user.into(), requests, first_seen }
    }

    fn conversion(user: &str, event_type: &str, value: f64, at: f64) -> ExperimentConversion {
        ExperimentConversion {
            experiment_arn: "e".into(),
            arm: 1,
            user_key: user.into(),
            event_type: event_type.into(),
            events: 1,
            value_sum: value,
            impressions: 3,
            first_at: at,
        }
    }

    #[test]
    fn counts_add_up_per_arm_user_and_event_type() {
        let store = SqliteStore::open_in_memory().unwrap();
        store.add_experiment_exposures(&[exposure(0, "u1", 2, 10.0), exposure(1, "u2", 1, 20.0)]).unwrap();
        store.add_experiment_exposures(&[exposure(0, "u1", 3, 5.0), exposure(1, "u2", 1, 30.0)]).unwrap();
        assert_eq!(store.experiment_exposures("e").unwrap(), [exposure(0, "u1", 5, 5.0), exposure(1, "u2", 2, 20.0)]);
        store.add_experiment_conversions(&[conversion("u2", "click", 1.5, 40.0)]).unwrap();
        store
            .add_experiment_conversions(&[conversion("u2", "click", 2.0, 35.0), conversion("u2", "buy", 9.0, 50.0)])
            .unwrap();
        let got = store.experiment_conversions("e").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].event_type.as_str(), got[0].events, got[0].value_sum), ("buy", 1, 9.0));
        let click = &got[1];
        assert_eq!((click.events, click.value_sum, click.impressions, click.first_at), (2, 3.5, 6, 35.0));
        assert!(store.experiment_exposures("other").unwrap().is_empty());
        store.delete_experiment_data("e").unwrap();
        assert!(store.experiment_exposures("e").unwrap().is_empty());
        assert!(store.experiment_conversions("e").unwrap().is_empty());
    }
}
