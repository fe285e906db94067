# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   getting_started/notebooks/99.Cleanup.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own. Runs after getting_started_1.py and
# getting_started_2.py, whose resources it deletes.

# REKO-ADAPTED: the offline environment the harness (crates/reko/tests/samples.rs) sets up.
import os
CLIENT_KW = dict(  # REKO-ADAPTED: Personalize clients talk to `reko serve` with its root key
    endpoint_url=os.environ["REKO_ENDPOINT"],
    region_name=os.environ["REKO_REGION"],
    aws_access_key_id=os.environ["REKO_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["REKO_SECRET_ACCESS_KEY"],
)


def wait_gone(describe, **arn):  # REKO-ADAPTED: stands in for the notebook's time.sleep(60) after each delete
    """The notebook waits 60 s after each delete for it to finish in the background (the next delete needs it:
    a solution with a campaign, a schema with a dataset cannot be deleted); this waits until the resource is
    no longer found instead, at most those 60 s."""
    import time  # REKO-ADAPTED
    deadline = time.time() + 60  # REKO-ADAPTED
    while time.time() < deadline:  # REKO-ADAPTED
        try:  # REKO-ADAPTED
            describe(**arn)  # REKO-ADAPTED
        except describe.__self__.exceptions.ResourceNotFoundException:  # REKO-ADAPTED
            return  # REKO-ADAPTED
        time.sleep(0.2)  # REKO-ADAPTED

# ---- cell 1
# Imports
import boto3
import json
import numpy as np
import pandas as pd
import time

# ---- cell 2
# Configure the SDK to Personalize:
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# ---- cell 4
# REKO-ADAPTED: `%store -r` (IPython's store magic) reads back the variables getting_started_1.py and
# getting_started_2.py wrote into the JSON file named by REKO_STORE.
with open(os.environ["REKO_STORE"]) as store:  # REKO-ADAPTED: %store -r
    globals().update(json.load(store))  # REKO-ADAPTED: %store -r

# ---- cell 5
# Delete the campaign:
personalize.delete_campaign(campaignArn=campaign_arn)
wait_gone(personalize.describe_campaign, campaignArn=campaign_arn)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 6
# Delete the solution
personalize.delete_solution(solutionArn=solution_arn)
wait_gone(personalize.describe_solution, solutionArn=solution_arn)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 7
# Delete the event tracker
personalize.delete_event_tracker(eventTrackerArn=event_tracker_arn)
wait_gone(personalize.describe_event_tracker, eventTrackerArn=event_tracker_arn)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 8
# Delete the interaction dataset
personalize.delete_dataset(datasetArn=dataset_arn)
wait_gone(personalize.describe_dataset, datasetArn=dataset_arn)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 9
# Delete the event dataset
event_interactions_dataset_arn = dataset_arn
event_interactions_dataset_arn = event_interactions_dataset_arn.replace("INTERACTIONS", "EVENT_INTERACTIONS")
# REKO-ADAPTED: Amazon Personalize once made an EVENT_INTERACTIONS dataset for each event tracker; today an event
# tracker sends its events to the group's Interactions dataset (Personalize's Developer Guide, "Creating an item
# interaction event tracker") and no such dataset exists, on Personalize as on Reko: the delete answers
# ResourceNotFoundException, which is caught and printed (the cell would stop the notebook there).
event_dataset_error = None  # REKO-ADAPTED
try:  # REKO-ADAPTED
    personalize.delete_dataset(datasetArn=event_interactions_dataset_arn)
except personalize.exceptions.ResourceNotFoundException as e:  # REKO-ADAPTED
    event_dataset_error = e  # REKO-ADAPTED
    print(e)  # REKO-ADAPTED
wait_gone(personalize.describe_dataset, datasetArn=event_interactions_dataset_arn)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 10
# Delete the schema
personalize.delete_schema(schemaArn=schema_arn)

# ---- REKO-CHECK: nothing the notebook deletes remains.
assert event_dataset_error is not None and event_interactions_dataset_arn in str(event_dataset_error), event_dataset_error  # REKO-CHECK
# REKO-CHECK: deletions finish in the background (DELETE PENDING, as on Personalize): wait up to 60 s for them.
def remaining():  # REKO-CHECK
    return {  # REKO-CHECK
        "campaigns": [c["campaignArn"] for c in personalize.list_campaigns()["campaigns"]],  # REKO-CHECK
        "solutions": [s["solutionArn"] for s in personalize.list_solutions()["solutions"]],  # REKO-CHECK
        "solution versions": [v["solutionVersionArn"] for v in  # REKO-CHECK
                              personalize.list_solution_versions()["solutionVersions"]],  # REKO-CHECK
        "event trackers": [t["eventTrackerArn"] for t in personalize.list_event_trackers()["eventTrackers"]],  # REKO-CHECK
        "datasets": [d["datasetArn"] for d in personalize.list_datasets()["datasets"]],  # REKO-CHECK
        "schemas": [s["schemaArn"] for s in personalize.list_schemas()["schemas"]],  # REKO-CHECK
    }  # REKO-CHECK
left = remaining()  # REKO-CHECK
for _ in range(600):  # REKO-CHECK
    if not any(left.values()):  # REKO-CHECK
        break  # REKO-CHECK
    time.sleep(0.1)  # REKO-CHECK
    left = remaining()  # REKO-CHECK
print("Remaining after the clean-up:", left)  # REKO-CHECK
assert not any(left.values()), left  # REKO-CHECK: notebooks 1 and 2 made one of each; none is left
for call, arn_name, arn in [(personalize.describe_campaign, "campaignArn", campaign_arn),  # REKO-CHECK
                            (personalize.describe_solution, "solutionArn", solution_arn),  # REKO-CHECK
                            (personalize.describe_event_tracker, "eventTrackerArn", event_tracker_arn),  # REKO-CHECK
                            (personalize.describe_dataset, "datasetArn", dataset_arn),  # REKO-CHECK
                            (personalize.describe_schema, "schemaArn", schema_arn)]:  # REKO-CHECK
    try:  # REKO-CHECK
        call(**{arn_name: arn})  # REKO-CHECK
        raise AssertionError("still described: " + arn)  # REKO-CHECK
    except personalize.exceptions.ResourceNotFoundException:  # REKO-CHECK
        pass  # REKO-CHECK
# REKO-CHECK: the notebook leaves the dataset group (it deletes no dataset group): still there, ACTIVE, empty.
group = personalize.describe_dataset_group(datasetGroupArn=dataset_group_arn)["datasetGroup"]  # REKO-CHECK
assert group["status"] == "ACTIVE", group  # REKO-CHECK
print("REKO-CHECK getting_started_cleanup: OK")
