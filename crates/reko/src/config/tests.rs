//! The configuration layers and their validation.

use super::*;

#[test]
#[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
fn layers_apply_in_order() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("reko.toml", "listen = \"0.0.0.0:9000\"\nregion = \"eu-west-1\"\nworkers = 4")?;
        jail.set_env("REKO_REGION", "ap-south-1");
        let overrides = Overrides { workers: Some(8), ..Overrides::default() };
        let config = Config::load(None, &overrides).map_err(|e| e.to_string())?;
        assert_eq!(config.max_live_users, reko_service::DEFAULT_MAX_LIVE_USERS);
        jail.set_env("REKO_MAX_LIVE_USERS", "5000");
        assert_eq!(Config::load(None, &overrides).map_err(|e| e.to_string())?.max_live_users, 5000);
        let flag = Overrides { max_live_users: Some(70), max_live_events: Some(700), ..Overrides::default() };
        let limited = Config::load(None, &flag).map_err(|e| e.to_string())?;
        assert_eq!((limited.max_live_users, limited.max_live_events), (70, 700));
        assert_eq!(config.max_live_events, reko_service::DEFAULT_MAX_LIVE_EVENTS);
        assert_eq!(config.filter_interactions_per_type, 100);
        assert_eq!(config.usage_retention_days, 400);
        for bad in [0, 401] {
            let o = Overrides { usage_retention_days: Some(bad), ..Overrides::default() };
            let e = Config::load(None, &o).unwrap_err().to_string();
            assert!(e.contains("--usage-retention-days") && e.contains(&format!("got {bad}")), "{e}");
        }
        let wide = Overrides { filter_interactions_per_type: Some(200), ..Overrides::default() };
        assert_eq!(Config::load(None, &wide).map_err(|e| e.to_string())?.filter_interactions_per_type, 200);
        for bad in [0, reko_service::MAX_FILTER_INTERACTIONS_PER_TYPE + 1] {
            let o = Overrides { filter_interactions_per_type: Some(bad), ..Overrides::default() };
            let e = Config::load(None, &o).unwrap_err().to_string();
            assert!(e.contains("filter_interactions_per_type") && e.contains(&format!("got {bad}")), "{e}");
        }
        let slow = Overrides { shutdown_delay_secs: Some(301), ..Overrides::default() };
        let e = Config::load(None, &slow).unwrap_err().to_string();
        assert!(e.contains("--shutdown-delay-secs") && e.contains("got 301"), "{e}");
        jail.set_env("REKO_SHUTDOWN_DELAY_SECS", "5");
        assert_eq!(Config::load(None, &overrides).map_err(|e| e.to_string())?.shutdown_delay_secs, 5);
        jail.set_env("REKO_FILTER_INTERACTIONS_PER_TYPE", "0");
        assert!(Config::load(None, &overrides).is_err(), "the environment is validated too");
        assert_eq!(config.listen, "0.0.0.0:9000");
        assert_eq!(config.region, "ap-south-1");
        assert_eq!(config.workers, 8);
        assert_eq!(config.account_id, "123456789012");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)]
fn the_console_settings_come_from_the_file_the_environment_and_flags() {
    figment::Jail::expect_with(|jail| {
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!((config.no_console, config.console_secure_cookie), (false, false));
        jail.create_file("reko.toml", "console_secure_cookie = true\nmetrics_token = \"hidden-token-7\"\n")?;
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!((config.no_console, config.console_secure_cookie), (false, true));
        let shown = format!("{:?}", config.console_settings());
        assert!(!shown.contains("hidden-token-7") && shown.contains("set (redacted)"), "{shown}");
        jail.set_env("REKO_DATABASE_URL", "postgres://reko:pg-secret-9@db/reko");
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!(config.database_url.as_ref().map(|u| u.0.as_str()), Some("postgres://reko:pg-secret-9@db/reko"));
        assert!(!format!("{:?} {config:?}", config.console_settings()).contains("pg-secret-9"));
        jail.set_env("REKO_NO_CONSOLE", "true");
        assert!(Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?.no_console);
        jail.set_env("REKO_NO_CONSOLE", "false");
        let flag = Overrides { no_console: Some(true), ..Overrides::default() };
        assert!(Config::load(None, &flag).map_err(|e| e.to_string())?.no_console);
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)]
fn log_format_and_metrics_token_are_settings() {
    figment::Jail::expect_with(|jail| {
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!((config.log_format.as_str(), config.metrics_token.is_none()), ("text", true));
        jail.set_env("REKO_LOG_FORMAT", "json");
        jail.set_env("REKO_METRICS_TOKEN", "scrape-token-1");
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!(config.log_format, "json");
        assert_eq!(config.metrics_token.as_ref().map(|t| t.0.as_str()), Some("scrape-token-1"));
        assert!(!format!("{config:?}").contains("scrape-token-1"), "the token is never shown");
        let flag = Overrides { log_format: Some("text".into()), ..Overrides::default() };
        assert_eq!(Config::load(None, &flag).map_err(|e| e.to_string())?.log_format, "text");
        jail.set_env("REKO_LOG_FORMAT", "xml");
        let e = Config::load(None, &Overrides::default()).unwrap_err().to_string();
        assert!(e.contains("log_format") && e.contains("text or json") && e.contains("'xml'"), "{e}");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)]
fn access_keys_come_from_the_file_and_the_environment() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "reko.toml",
            "[[access_keys]]\naccess_key_id = \"FRONTEND1\"\nsecret_access_key = \"front-end-secret-123\"\n\
             runtime_only = true\ndataset_groups = [\"arn:aws:personalize:us-east-1:123456789012:dataset-group/shop\"]\n",
        )?;
        jail.set_env("REKO_ACCESS_KEY_ID", "ROOTKEY123");
        jail.set_env("REKO_SECRET_ACCESS_KEY", "root-secret-value-1");
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!(config.access_key_id.as_deref(), Some("ROOTKEY123"));
        assert_eq!(config.access_keys.len(), 1);
        assert!(config.access_keys[0].runtime_only);
        let shown = format!("{config:?}");
        assert!(!shown.contains("root-secret-value-1") && !shown.contains("front-end-secret-123"), "{shown}");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)]
fn s3_roles_and_per_key_grants_come_from_the_file() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "reko.toml",
            "[[access_keys]]\naccess_key_id = \"TENANTA1\"\nsecret_access_key = \"tenant-a-secret-0001\"\n\
             dataset_groups = [\"arn:aws:personalize:us-east-1:123456789012:dataset-group/a\"]\n\
             data_roots = [\"/srv/reko/tenant-a\"]\ns3_roles = [\"arn:aws:iam::123456789012:role/TenantA\"]\n\
             [[s3_roles]]\narn = \"arn:aws:iam::123456789012:role/TenantA\"\naccess_key_id = \"AKIAROLEA\"\n\
             secret_access_key = \"env:ROLE_A_SECRET\"\nendpoint = \"http://127.0.0.1:9000\"\n\
             allowed = [\"s3://bucket-a/\", \"s3://shared/tenant-a/\"]\n\
             [[s3_roles]]\narn = \"arn:aws:iam::123456789012:role/TenantB\"\naccess_key_id = \"AKIAROLEB\"\n\
             secret_access_key = \"file:role-b.secret\"\nallowed = [\"s3://bucket-b/\"]\n",
        )?;
        jail.create_file("role-b.secret", "role-b-secret-value\n")?;
        jail.set_env("ROLE_A_SECRET", "role-a-secret-value");
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        let key = &config.access_keys[0];
        assert_eq!(key.data_roots, [PathBuf::from("/srv/reko/tenant-a")]);
        assert_eq!(key.s3_roles, ["arn:aws:iam::123456789012:role/TenantA"]);
        let roles: Vec<_> = config.s3_roles.iter().map(|r| r.load()).collect::<anyhow::Result<_>>().unwrap();
        assert_eq!(roles[0].secret_access_key, "role-a-secret-value");
        assert_eq!(roles[0].endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(roles[0].allowed, ["s3://bucket-a/", "s3://shared/tenant-a/"]);
        assert_eq!(roles[1].secret_access_key, "role-b-secret-value");
        // The secrets never show, and a file: secret is one of the server's own files.
        let shown = format!("{config:?} {roles:?}");
        assert!(!shown.contains("role-a-secret-value") && !shown.contains("role-b-secret-value"), "{shown}");
        assert!(config.server_files(Path::new("reko.toml")).contains(&PathBuf::from("role-b.secret")));
        // A role with a malformed prefix is refused, naming it.
        let mut bad = config.s3_roles[0].clone();
        bad.allowed = vec!["s3://bucket-a/../b/".into()];
        let e = bad.load().unwrap_err().to_string();
        assert!(e.contains("TenantA") && e.contains(".."), "{e}");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)]
fn role_and_task_lease_are_settings_and_checked() {
    figment::Jail::expect_with(|jail| {
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!((config.role.as_str(), config.task_lease_secs), ("all", 30));
        let with_db = |role: &str| Overrides {
            role: Some(role.into()),
            database_url: Some(Secret("postgres://reko@db/reko".into())),
            ..Overrides::default()
        };
        for role in ["api", "worker"] {
            let e = Config::load(None, &Overrides { role: Some(role.into()), ..Overrides::default() })
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("--role {role} requires --database-url")), "{e}");
            let config = Config::load(None, &with_db(role)).map_err(|e| e.to_string())?;
            assert_eq!(config.role().map_err(|e| e.to_string())?.as_str(), role);
        }
        let e = Config::load(None, &with_db("leader")).unwrap_err().to_string();
        assert!(e.contains("--role") && e.contains("'leader'"), "{e}");
        for bad in [1, 3601] {
            let o = Overrides { task_lease_secs: Some(bad), ..Overrides::default() };
            let e = Config::load(None, &o).unwrap_err().to_string();
            assert!(e.contains("--task-lease-secs") && e.contains(&format!("got {bad}")), "{e}");
        }
        jail.create_file(
            "reko.toml",
            "role = \"worker\"\ntask_lease_secs = 5\ndatabase_url = \"postgres://x@db/r\"\n",
        )?;
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!((config.role.as_str(), config.task_lease_secs), ("worker", 5));
        jail.set_env("REKO_ROLE", "api");
        jail.set_env("REKO_TASK_LEASE_SECS", "7");
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!((config.role.as_str(), config.task_lease_secs), ("api", 7));
        let shown = config.console_settings();
        assert!(shown.contains(&("role".to_string(), "api".to_string())), "{shown:?}");
        assert!(shown.contains(&("task_lease_secs".to_string(), "7".to_string())), "{shown:?}");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)]
fn the_artifact_store_is_a_setting_validated_at_load() {
    figment::Jail::expect_with(|jail| {
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert_eq!(config.artifact_location().unwrap(), Default::default());
        jail.set_env("REKO_ARTIFACT_STORE", "s3://models-bucket/prod");
        let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
        assert!(config.console_settings().contains(&("artifact_store".into(), "s3://models-bucket/prod".into())));
        let flag = Overrides { artifact_store: Some("/srv/models".into()), ..Overrides::default() };
        let config = Config::load(None, &flag).map_err(|e| e.to_string())?;
        assert_eq!(config.artifact_store.as_deref(), Some("/srv/models"));
        jail.set_env("REKO_ARTIFACT_STORE", "gs://elsewhere");
        let e = Config::load(None, &Overrides::default()).unwrap_err().to_string();
        assert!(e.contains("--artifact-store") && e.contains("'gs://elsewhere'"), "{e}");
        Ok(())
    });
}
