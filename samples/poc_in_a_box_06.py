# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/workshops/POC_in_a_box/completed/06_Clean_Up_Resources.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own. Runs after poc_in_a_box_05.py.

# REKO-ADAPTED: the offline environment the harness (crates/reko/tests/samples.rs) sets up.
import os
CLIENT_KW = dict(  # REKO-ADAPTED: Personalize clients talk to `reko serve` with its root key
    endpoint_url=os.environ["REKO_ENDPOINT"],
    region_name=os.environ["REKO_REGION"],
    aws_access_key_id=os.environ["REKO_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["REKO_SECRET_ACCESS_KEY"],
)
S3_KW = dict(endpoint_url=os.environ["REKO_S3_ENDPOINT"])  # REKO-ADAPTED: S3 is moto's S3 server

STORE = os.environ["REKO_STORE"]  # REKO-ADAPTED: IPython's %store persists into this JSON file


def store(**values):  # REKO-ADAPTED: `%store name` adds the variable to REKO_STORE
    import json  # REKO-ADAPTED
    with open(STORE) as f:  # REKO-ADAPTED
        saved = json.load(f)  # REKO-ADAPTED
    saved.update(values)  # REKO-ADAPTED
    with open(STORE, "w") as f:  # REKO-ADAPTED
        json.dump(saved, f, indent=2)  # REKO-ADAPTED


def retry(call):  # REKO-ADAPTED: the notebook says "If you receive an error, wait a minute or two and try again"
    """Deletions finish in the background (as in Personalize): retries `call` while what it deletes is still
    in use by something whose deletion is under way, for up to 60 s."""
    import time  # REKO-ADAPTED
    from botocore.exceptions import ClientError  # REKO-ADAPTED

    def wrapped(**kwargs):  # REKO-ADAPTED
        deadline = time.time() + 60  # REKO-ADAPTED
        while True:  # REKO-ADAPTED
            try:  # REKO-ADAPTED
                return call(**kwargs)  # REKO-ADAPTED
            except ClientError as error:  # REKO-ADAPTED
                if error.response["Error"]["Code"] != "ResourceInUseException" or time.time() > deadline:  # REKO-ADAPTED
                    raise  # REKO-ADAPTED
                print("retrying:", error)  # REKO-ADAPTED
                time.sleep(1)  # REKO-ADAPTED
    return wrapped  # REKO-ADAPTED

# ---- cell 1
import boto3
import json
# ---- cell 2
# Configure the SDK to Personalize:
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
# ---- cell 3
with open(STORE) as saved:  # REKO-ADAPTED: `%store -r` reads back what poc_in_a_box_01..05.py stored
    globals().update(json.load(saved))  # REKO-ADAPTED: %store -r
# ---- cell 5
retry(personalize.delete_campaign)(  # REKO-ADAPTED: retried while in use (see retry)
    campaignArn = userpersonalization_campaign_arn
)
retry(personalize.delete_campaign)(  # REKO-ADAPTED: retried while in use (see retry)
    campaignArn = sims_campaign_arn
)
retry(personalize.delete_campaign)(  # REKO-ADAPTED: retried while in use (see retry)
    campaignArn = rerank_campaign_arn
)
# ---- cell 7
retry(personalize.delete_event_tracker)(  # REKO-ADAPTED: retried while in use (see retry)
    eventTrackerArn = event_tracker_arn
)
# ---- cell 9
for filter_arn in meta_filter_arns:
    retry(personalize.delete_filter)(  # REKO-ADAPTED: retried while in use (see retry)
        filterArn = filter_arn
    )
for filter_arn in interaction_filter_arns:
    retry(personalize.delete_filter)(  # REKO-ADAPTED: retried while in use (see retry)
        filterArn = filter_arn
    )
for filter_arn in decade_filter_arns:
    retry(personalize.delete_filter)(  # REKO-ADAPTED: retried while in use (see retry)
        filterArn = filter_arn
    )
# ---- cell 11
retry(personalize.delete_solution)(  # REKO-ADAPTED: retried while in use (see retry)
    solutionArn = user_personalization_solution_arn
)
retry(personalize.delete_solution)(  # REKO-ADAPTED: retried while in use (see retry)
    solutionArn = sims_solution_arn
)
retry(personalize.delete_solution)(  # REKO-ADAPTED: retried while in use (see retry)
    solutionArn = rerank_solution_arn
)
# ---- cell 13
retry(personalize.delete_dataset)(  # REKO-ADAPTED: retried while in use (see retry)
    datasetArn = items_dataset_arn
)
retry(personalize.delete_dataset)(  # REKO-ADAPTED: retried while in use (see retry)
    datasetArn = interactions_dataset_arn
)
# ---- cell 15
retry(personalize.delete_schema)(  # REKO-ADAPTED: retried while in use (see retry)
    schemaArn = interaction_schema_arn
)
retry(personalize.delete_schema)(  # REKO-ADAPTED: retried while in use (see retry)
    schemaArn = itemmetadataschema_arn
)
# ---- cell 17
retry(personalize.delete_dataset_group)(  # REKO-ADAPTED: retried while in use (see retry)
    datasetGroupArn = dataset_group_arn
)
# ---- cell 19
# REKO-ADAPTED: no IAM: cells 19-26 (iam client, list_attached_role_policies, detach_role_policy x2,
# delete_role of `role_name`) skipped; 01 created no role.

# ---- REKO-CHECK: everything the workshop made is gone.
import time  # REKO-CHECK
deadline = time.time() + 60  # REKO-CHECK: deletions may finish in the background
while time.time() < deadline and dataset_group_arn in [  # REKO-CHECK
        g["datasetGroupArn"] for g in personalize.list_dataset_groups()["datasetGroups"]]:  # REKO-CHECK
    time.sleep(1)  # REKO-CHECK
assert dataset_group_arn not in [g["datasetGroupArn"] for g in personalize.list_dataset_groups()["datasetGroups"]]  # REKO-CHECK
schemas = [s["schemaArn"] for s in personalize.list_schemas()["schemas"]]  # REKO-CHECK
assert interaction_schema_arn not in schemas and itemmetadataschema_arn not in schemas, schemas  # REKO-CHECK
assert not personalize.list_campaigns()["campaigns"], personalize.list_campaigns()  # REKO-CHECK
assert not personalize.list_solutions()["solutions"], personalize.list_solutions()  # REKO-CHECK
print("REKO-CHECK poc_in_a_box_06: OK")
