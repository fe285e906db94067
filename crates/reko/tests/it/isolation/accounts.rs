//! Tenants in accounts of their own.

use super::tenants::*;
use crate::common::*;

/// A tenant whose dataset groups are in an account of its own has names of its own: creating a
/// group, schema, solution or campaign named like another tenant's succeeds in its account (no
/// ResourceAlreadyExistsException to probe with), both train and serve side by side, and the
/// other account's schemas are invisible to it.
#[test]
fn tenants_in_their_own_accounts_have_names_of_their_own() {
    const TENANT_ACCOUNT: &str = "111111111111";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let tenant_group = format!("arn:aws:personalize:{REGION}:{TENANT_ACCOUNT}:dataset-group/shop");
    // The tenant's local files are in a folder of its own (its key's data_roots).
    let tenant_files = dir.join("tenant-files");
    std::fs::create_dir_all(&tenant_files).unwrap();
    let config = dir.join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[access_keys]]\naccess_key_id = \"{SCOPED_ID}\"\nsecret_access_key = \"{SCOPED_SECRET}\"\n\
             dataset_groups = [\"{tenant_group}\"]\ndata_roots = [\"{}\"]\n",
            tenant_files.display()
        ),
    )
    .unwrap();
    let server = Server::start_with(&dir.join("data"), &["--config", config.to_str().unwrap()]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tenant = tenant_client(&server.url);
    runtime.block_on(async {
        // The root account and the tenant's each get the same names.
        let root = &server.control;
        create_schema(root, "iso-interactions", INTERACTIONS).await;
        let root_camp = {
            let g = create_dataset_group(root, "shop").await;
            wait_active(root, &Res::DatasetGroup(g.clone())).await;
            let di =
                create_dataset(root, &g, "shop", "shop-i", "Interactions", &arn("schema", "iso-interactions")).await;
            import_rows(root, &dir, "root", &di).await;
            let s = create_solution(root, &g, "sol", "aws-popularity-count").await;
            let sv = train(root, &s).await;
            deploy(root, "camp", &sv).await
        };
        let tenant_arn =
            |kind: &str, name: &str| format!("arn:aws:personalize:{REGION}:{TENANT_ACCOUNT}:{kind}/{name}");
        let out = ok(tenant.create_schema().name("iso-interactions").schema(INTERACTIONS).send().await, "CreateSchema");
        assert_eq!(out.schema_arn(), Some(tenant_arn("schema", "iso-interactions").as_str()));
        let schemas = ok(tenant.list_schemas().send().await, "ListSchemas");
        let listed: Vec<&str> = schemas.schemas().iter().filter_map(|s| s.schema_arn()).collect();
        assert_eq!(listed, [tenant_arn("schema", "iso-interactions")], "the root account's schema is not the tenant's");
        expect_code(
            tenant.describe_schema().schema_arn(arn("schema", "iso-interactions")).send().await,
            "ResourceNotFoundException",
            "another account's schema",
        );
        let g = ok(tenant.create_dataset_group().name("shop").send().await, "CreateDatasetGroup")
            .dataset_group_arn()
            .unwrap()
            .to_string();
        assert_eq!(g, tenant_group);
        wait_active(&tenant, &Res::DatasetGroup(g.clone())).await;
        let di = ok(
            tenant
                .create_dataset()
                .name("shop-i")
                .dataset_group_arn(&g)
                .dataset_type("Interactions")
                .schema_arn(tenant_arn("schema", "iso-interactions"))
                .send()
                .await,
            "CreateDataset",
        )
        .dataset_arn()
        .unwrap()
        .to_string();
        assert_eq!(di, tenant_arn("dataset", "shop/INTERACTIONS"));
        wait_active(&tenant, &Res::Dataset(di.clone())).await;
        import_rows(&tenant, &tenant_files, "tenant", &di).await;
        let s = create_solution(&tenant, &g, "sol", "aws-popularity-count").await;
        assert_eq!(s, tenant_arn("solution", "sol"));
        let sv = train(&tenant, &s).await;
        let camp = ok(tenant.create_campaign().name("camp").solution_version_arn(&sv).send().await, "CreateCampaign")
            .campaign_arn()
            .unwrap()
            .to_string();
        assert_eq!(camp, tenant_arn("campaign", "camp"));
        wait_active(&tenant, &Res::Campaign(camp.clone())).await;
        // Both campaigns serve their own account's model (the tenant's items are t-items).
        for (campaign, prefix) in [(&root_camp, "i"), (&camp, "t")] {
            let recs = ok(
                server.runtime.get_recommendations().campaign_arn(campaign).user_id("u1").num_results(3).send().await,
                "GetRecommendations",
            );
            assert!(ids(recs.item_list()).iter().all(|i| i.starts_with(prefix)), "{campaign}: {recs:?}");
        }
        // Schemas are shared by a whole account: only a root key deletes one.
        expect_code(
            tenant.delete_schema().schema_arn(tenant_arn("schema", "iso-interactions")).send().await,
            "AccessDeniedException",
            "DeleteSchema with a scoped key",
        );
        // The root account's resources stay out of the tenant's reach.
        expect_code(
            tenant.describe_campaign().campaign_arn(&root_camp).send().await,
            "ResourceNotFoundException",
            "the root account's campaign",
        );
    });
}

/// A control-plane client signing with the scoped key.
fn tenant_client(url: &str) -> aws_sdk_personalize::Client {
    use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
    aws_sdk_personalize::Client::from_conf(
        aws_sdk_personalize::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(url)
            .credentials_provider(Credentials::new(SCOPED_ID, SCOPED_SECRET, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    )
}

/// Imports 1,200 interactions into `dataset`; the tenant's items are `t…`, the root's `i…`.
async fn import_rows(c: &aws_sdk_personalize::Client, dir: &std::path::Path, who: &str, dataset: &str) {
    let item = if who == "tenant" { "t" } else { "i" };
    let csv = dir.join(format!("{who}.csv"));
    let mut rows = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for k in 0..1200 {
        rows.push_str(&format!("u{},{item}{},click,{}\n", k % 60, (k * 7) % 40, 1_700_000_000 + k));
    }
    std::fs::write(&csv, rows).unwrap();
    let job = import(c, &format!("{who}-import"), dataset, &file_url(&csv), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
}
