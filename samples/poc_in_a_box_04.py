# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/workshops/POC_in_a_box/completed/04_Deploying_Campaigns_and_Filters.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own. Runs after poc_in_a_box_03.py.

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

# ---- cell 1
import time
from time import sleep
import json
from datetime import datetime
import uuid
import random

import boto3
import botocore
from botocore.exceptions import ClientError
import pandas as pd
# ---- cell 2
with open(STORE) as saved:  # REKO-ADAPTED: `%store -r` reads back what poc_in_a_box_01..03.py stored
    globals().update(json.load(saved))  # REKO-ADAPTED: %store -r
# ---- cell 3
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# Establish a connection to Personalize's event streaming
personalize_events = boto3.client(service_name='personalize-events', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
# ---- cell 6
userpersonalization_create_campaign_response = personalize.create_campaign(
    name = "personalize-poc-userpersonalization",
    solutionVersionArn = userpersonalization_solution_version_arn,
    minProvisionedTPS = 1
)

userpersonalization_campaign_arn = userpersonalization_create_campaign_response['campaignArn']
print(json.dumps(userpersonalization_create_campaign_response, indent=2))
# ---- cell 8
sims_create_campaign_response = personalize.create_campaign(
    name = "personalize-poc-SIMS",
    solutionVersionArn = sims_solution_version_arn,
    minProvisionedTPS = 1
)

sims_campaign_arn = sims_create_campaign_response['campaignArn']
print(json.dumps(sims_create_campaign_response, indent=2))
# ---- cell 10
rerank_create_campaign_response = personalize.create_campaign(
    name = "personalize-poc-rerank",
    solutionVersionArn = rerank_solution_version_arn,
    minProvisionedTPS = 1
)

rerank_campaign_arn = rerank_create_campaign_response['campaignArn']
print(json.dumps(rerank_create_campaign_response, indent=2))
# ---- cell 12
in_progress_campaigns = [
    userpersonalization_campaign_arn,
    sims_campaign_arn,
    rerank_campaign_arn
]

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    for campaign_arn in in_progress_campaigns:
        version_response = personalize.describe_campaign(
            campaignArn = campaign_arn
        )
        status = version_response["campaign"]["status"]
        
        if status == "ACTIVE":
            print("Build succeeded for {}".format(campaign_arn))
            in_progress_campaigns.remove(campaign_arn)
        elif status == "CREATE FAILED":
            print("Build failed for {}".format(campaign_arn))
            in_progress_campaigns.remove(campaign_arn)
    
    if len(in_progress_campaigns) <= 0:
        break
    else:
        print("At least one campaign build is still in progress")
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# ---- cell 14
# Create a dataframe for the items by reading in the correct source CSV
items_df = pd.read_csv(data_dir + '/item-meta.csv', sep=',', index_col=0)
#interactions_df = pd.read_csv(data_dir + '/interactions.csv', sep=',', index_col=0)

# Render some sample data
print(items_df.head(10))  # REKO-ADAPTED: bare expression printed
#interactions_df.head(10)
# ---- cell 16
unique_genre_field_values = items_df['GENRE'].unique()

genre_val_list = []

def process_for_bar_char(val, val_list):
    if '|' in val:
        values = val.split('|')
        for item in values:
            val_list.append(item)
    elif '(' in val:
        pass
    else:
        val_list.append(val)
    return val_list
    

for val in unique_genre_field_values:
    genre_val_list = process_for_bar_char(val, genre_val_list)

genres_to_filter = list(set(genre_val_list))
# ---- cell 17
print(genres_to_filter)  # REKO-ADAPTED: bare expression printed
# ---- cell 19
genres_to_filter = random.sample(genres_to_filter, 7)
print(genres_to_filter)  # REKO-ADAPTED: bare expression printed
# ---- cell 21
# Create a list for the filters:
meta_filter_arns = []
# ---- cell 22
# Iterate through Genres
for genre in genres_to_filter:
    # Start by creating a filter
    try:
        createfilter_response = personalize.create_filter(
            name=genre,
            datasetGroupArn=dataset_group_arn,
            filterExpression='INCLUDE ItemID WHERE Items.GENRE IN ("'+ genre +'")'
        )
        # Add the ARN to the list
        meta_filter_arns.append(createfilter_response['filterArn'])
        print("Creating: " + createfilter_response['filterArn'])
    
    # If this fails, wait a bit
    except ClientError as error:
        # Here we only care about raising if it isnt the throttling issue
        if error.response['Error']['Code'] != 'LimitExceededException':
            print(error)
        else:    
            time.sleep(120)
            createfilter_response = personalize.create_filter(
                name=genre,
                datasetGroupArn=dataset_group_arn,
                filterExpression='INCLUDE ItemID WHERE Items.GENRE IN ("'+ genre +'")'
            )
            # Add the ARN to the list
            meta_filter_arns.append(createfilter_response['filterArn'])
            print("Creating: " + createfilter_response['filterArn'])
# ---- cell 24
# Create a dataframe for the interactions by reading in the correct source CSV
interactions_df = pd.read_csv(data_dir + '/interactions.csv', sep=',', index_col=0)

# Render some sample data
print(interactions_df.head(10))  # REKO-ADAPTED: bare expression printed
# ---- cell 26
createwatchedfilter_response = personalize.create_filter(name='watched',
    datasetGroupArn=dataset_group_arn,
    filterExpression='INCLUDE ItemID WHERE Interactions.event_type IN ("watch")'
    )

createunwatchedfilter_response = personalize.create_filter(name='unwatched',
    datasetGroupArn=dataset_group_arn,
    filterExpression='EXCLUDE ItemID WHERE Interactions.event_type IN ("watch")'
    )

# ---- cell 28
createdecadefilter_response = personalize.create_filter(name='1970s',
    datasetGroupArn=dataset_group_arn,
    filterExpression='INCLUDE ItemID WHERE Items.YEAR >= 1970 AND Items.YEAR < 1980'
    )
# ---- cell 30
interaction_filter_arns = [createwatchedfilter_response['filterArn'], createunwatchedfilter_response['filterArn']]
# ---- cell 31
decade_filter_arns = [createdecadefilter_response['filterArn']]
# ---- cell 32
store(sims_campaign_arn=sims_campaign_arn)  # REKO-ADAPTED: %store sims_campaign_arn
store(userpersonalization_campaign_arn=userpersonalization_campaign_arn)  # REKO-ADAPTED: %store
store(rerank_campaign_arn=rerank_campaign_arn)  # REKO-ADAPTED: %store
store(meta_filter_arns=meta_filter_arns)  # REKO-ADAPTED: %store
store(interaction_filter_arns=interaction_filter_arns)  # REKO-ADAPTED: %store
store(decade_filter_arns=decade_filter_arns)  # REKO-ADAPTED: %store

# ---- REKO-CHECK: the printed results make sense.
for arn in [userpersonalization_campaign_arn, sims_campaign_arn, rerank_campaign_arn]:  # REKO-CHECK
    assert personalize.describe_campaign(campaignArn=arn)["campaign"]["status"] == "ACTIVE", arn  # REKO-CHECK
assert len(genres_to_filter) == 7 and not any('(' in g for g in genres_to_filter), genres_to_filter  # REKO-CHECK
assert len(meta_filter_arns) == 7, meta_filter_arns  # REKO-CHECK: every genre filter was accepted
all_filters = meta_filter_arns + interaction_filter_arns + decade_filter_arns  # REKO-CHECK
deadline = time.time() + 60  # REKO-CHECK: the notebook does not wait; 05 uses them right away
while time.time() < deadline:  # REKO-CHECK
    statuses = [personalize.describe_filter(filterArn=a)["filter"]["status"] for a in all_filters]  # REKO-CHECK
    if all(s == "ACTIVE" for s in statuses):  # REKO-CHECK
        break  # REKO-CHECK
    time.sleep(1)  # REKO-CHECK
assert all(s == "ACTIVE" for s in statuses), statuses  # REKO-CHECK
listed = {f["filterArn"] for f in personalize.list_filters(datasetGroupArn=dataset_group_arn)["Filters"]}  # REKO-CHECK
assert set(all_filters) <= listed, (all_filters, listed)  # REKO-CHECK
print("REKO-CHECK poc_in_a_box_04: OK")
