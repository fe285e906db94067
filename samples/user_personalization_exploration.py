# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/core_use_cases/user_personalization/user-personalization-with-exploration.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own.

# REKO-ADAPTED: the offline environment the harness (crates/reko/tests/samples.rs) sets up.
import os
ML100K_DIR = os.environ["REKO_ML100K_DIR"]  # REKO-ADAPTED: MovieLens 100K is read from here, not downloaded
ENDPOINT = os.environ["REKO_ENDPOINT"]  # REKO-ADAPTED: Personalize clients talk to `reko serve`
S3_ENDPOINT = os.environ["REKO_S3_ENDPOINT"]  # REKO-ADAPTED: S3 is moto's S3 server


def write_sample_dataset(interactions_path, items_path):  # REKO-ADAPTED: stands in for the S3 download
    """MovieLens 100K written in the layout of Personalize's public sample files
    sample-dataset/interactions-sample.csv (EVENT_TYPE,IMPRESSION,ITEM_ID,TIMESTAMP,USER_ID) and
    sample-dataset/items-with-creation-timestamp-sample.csv (ITEM_ID,GENRES,creation_timestamp)."""
    import pandas as pd  # REKO-ADAPTED
    ratings = pd.read_csv(os.path.join(ML100K_DIR, "u.data"), sep="\t",  # REKO-ADAPTED
                          names=["USER_ID", "ITEM_ID", "RATING", "TIMESTAMP"])  # REKO-ADAPTED
    ratings = ratings.sort_values(["USER_ID", "TIMESTAMP", "ITEM_ID"]).reset_index(drop=True)  # REKO-ADAPTED
    # REKO-ADAPTED: an impression is the clicked item and the 4 items the same user rated next (or before).
    nxt = [ratings.groupby("USER_ID")["ITEM_ID"].shift(-k) for k in range(1, 5)]  # REKO-ADAPTED
    prv = [ratings.groupby("USER_ID")["ITEM_ID"].shift(k) for k in range(1, 5)]  # REKO-ADAPTED
    impressions = []  # REKO-ADAPTED
    for row in range(len(ratings)):  # REKO-ADAPTED
        shown = [ratings["ITEM_ID"].iat[row]] + [int(s.iat[row]) for s in nxt + prv if s.iat[row] == s.iat[row]]  # REKO-ADAPTED
        impressions.append("|".join(str(i) for i in shown[:5]))  # REKO-ADAPTED
    interactions = pd.DataFrame({"EVENT_TYPE": "click", "IMPRESSION": impressions,  # REKO-ADAPTED
                                 "ITEM_ID": ratings["ITEM_ID"], "TIMESTAMP": ratings["TIMESTAMP"],  # REKO-ADAPTED
                                 "USER_ID": ratings["USER_ID"]})  # REKO-ADAPTED
    interactions.to_csv(interactions_path, index=False)  # REKO-ADAPTED
    with open(os.path.join(ML100K_DIR, "u.genre"), encoding="latin-1") as f:  # REKO-ADAPTED
        genres = [line.rsplit("|", 1)[0] for line in f if line.strip()]  # REKO-ADAPTED
    items = pd.read_csv(os.path.join(ML100K_DIR, "u.item"), sep="|", encoding="latin-1", header=None)  # REKO-ADAPTED
    joined = ["|".join(g for g, on in zip(genres, row) if on) for row in items.iloc[:, 5:5 + len(genres)].values]  # REKO-ADAPTED
    # REKO-ADAPTED: an item's creation time is its first rating's.
    first_seen = ratings.groupby("ITEM_ID")["TIMESTAMP"].min()  # REKO-ADAPTED
    pd.DataFrame({"ITEM_ID": items[0], "GENRES": joined,  # REKO-ADAPTED
                  "creation_timestamp": items[0].map(first_seen)}).to_csv(items_path, index=False)  # REKO-ADAPTED


# ---- cell 2
accessKeyId = os.environ["REKO_ACCESS_KEY_ID"]  # REKO-ADAPTED: was ""
secretAccessKey = os.environ["REKO_SECRET_ACCESS_KEY"]  # REKO-ADAPTED: was ""
region_name = os.environ["REKO_REGION"]  # REKO-ADAPTED: was ""
# ---- cell 3
import os
import boto3
from botocore.exceptions import ClientError
import time
import numpy as np
import pandas as pd
import json
from datetime import datetime
# ---- cell 4
suffix = str(np.random.uniform())[4:9]
prefix = 'user-personalization-'
print('prefix+suffix:{}{}'.format(prefix, suffix))
s3_bucket_name = (prefix + suffix).lower()
interaction_schema_name = prefix + 'interaction-'  + suffix
item_metadata_schema_name = prefix + 'items-'  + suffix
dataset_group_name = prefix + suffix
interaction_dataset_name = prefix + 'interactions-' + suffix
item_metadata_dataset_name = prefix + 'items-' + suffix
event_tracker_name = prefix + suffix
solution_name = prefix + suffix
event_tracker_name = prefix + suffix
campaign_name = prefix + suffix
# ---- cell 6
# Public s3 bucket owned by Personalize service which used to store the example dataset.

personalize_s3_bucket = "personalize-cli-json-models"
s3_client = boto3.Session(aws_access_key_id=accessKeyId,
                           aws_secret_access_key=secretAccessKey, region_name=region_name).client('s3', endpoint_url=S3_ENDPOINT)  # REKO-ADAPTED: moto endpoint


# ---- cell 8

personalize = boto3.Session(aws_access_key_id=accessKeyId,
                           aws_secret_access_key=secretAccessKey, region_name=region_name).client('personalize', endpoint_url=ENDPOINT)  # REKO-ADAPTED: endpoint
personalize_runtime = boto3.Session(aws_access_key_id=accessKeyId,
                           aws_secret_access_key=secretAccessKey, region_name=region_name).client('personalize-runtime', endpoint_url=ENDPOINT)  # REKO-ADAPTED: endpoint
personalize_events = boto3.Session(aws_access_key_id=accessKeyId,
                           aws_secret_access_key=secretAccessKey, region_name=region_name).client('personalize-events', endpoint_url=ENDPOINT)  # REKO-ADAPTED: endpoint
# ---- cell 10
interaction_dataset_key = "sample-dataset/interactions-sample.csv"
items_dataset_key = "sample-dataset/items-with-creation-timestamp-sample.csv"
interactions_file = os.getcwd() + "/interaction_raw.csv"
items_metadata_file = os.getcwd() + "/items_raw.csv"
# REKO-ADAPTED: the two `s3_client.download_file(personalize_s3_bucket, ...)` calls (a public AWS bucket)
# replaced: MovieLens 100K is written into the same files in the sample files' layout.
write_sample_dataset(interactions_file, items_metadata_file)  # REKO-ADAPTED
# ---- cell 11
interactions_df = pd.read_csv(interactions_file)
items_df = pd.read_csv(items_metadata_file)
# ---- cell 13
print(interactions_df.head(2))  # REKO-ADAPTED: bare expression printed
# ---- cell 15
print(items_df.head(2))  # REKO-ADAPTED: bare expression printed
# ---- cell 18
current_time = int(time.time())
one_hour_ago = current_time - 8 * 24 * 60 * 60
# Get the time gap between the latest timestamp in the interaction and the current time 
interactions_df = interactions_df.astype({"TIMESTAMP": 'int64'})
latest_time_in_csv = interactions_df["TIMESTAMP"].max()
delta = one_hour_ago - latest_time_in_csv
# ---- cell 19
# shift the latest timestamp in the interactions_df to be the last hour timestamp
interactions_df.TIMESTAMP = interactions_df.TIMESTAMP + delta
interactions_df.to_csv(os.getcwd() + "/interaction.csv", index = False)

# shift the latest timestamp in the items_df to be the last hour timestamp
items_df = items_df.astype({"creation_timestamp": 'int64'})
items_df.creation_timestamp = items_df.creation_timestamp + delta
items_df.to_csv(os.getcwd() + "/items.csv", index = False)
# ---- cell 21
print(interactions_df.head(2))  # REKO-ADAPTED: bare expression printed
# ---- cell 22
print(items_df.head(2))  # REKO-ADAPTED: bare expression printed
# ---- cell 25
create_dataset_group_response = personalize.create_dataset_group(
    name = dataset_group_name
)
dataset_group_arn = create_dataset_group_response['datasetGroupArn']
# ---- cell 26

print('dataset_group_arn : {}'.format(dataset_group_arn))
# ---- cell 27
status = None
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_dataset_group_response = personalize.describe_dataset_group(
        datasetGroupArn = dataset_group_arn
    )
    status = describe_dataset_group_response["datasetGroup"]["status"]
    print("DatasetGroup: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(20)
# ---- cell 29
interaction_schema = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        { 
            "name": "EVENT_TYPE",
            "type": "string"
        },
        {
            "name": "IMPRESSION",
            "type": "string"
        },
        {
            "name": "ITEM_ID",
            "type": "string"
        },
        {
            "name": "TIMESTAMP",
            "type": "long"
        },
        {
            "name": "USER_ID",
            "type": "string"
        },
    ],
    "version": "1.0"
}
# ---- cell 30
interaction_schema_response = personalize.create_schema(
    name = interaction_schema_name,
    schema = json.dumps(interaction_schema)
)
# print(json.dumps(create_schema_response, indent=2))
interaction_schema_arn = interaction_schema_response['schemaArn']
print('interaction_schema_arn:\n', interaction_schema_arn)
# ---- cell 31
item_metadata_schema = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
    {
        "name": "ITEM_ID",
        "type": "string"
    },
    {
        "name": "GENRES",
        "type": "string",
        "categorical": True
    },
    {
        "name": "CREATION_TIMESTAMP",
        "type": "long"
    }
    ],
    "version": "1.0"
}

item_metadata_schema_response = personalize.create_schema(
    name = item_metadata_schema_name,
    schema = json.dumps(item_metadata_schema)
)

# print(json.dumps(create_schema_response, indent=2))
item_metadata_schema_arn = item_metadata_schema_response['schemaArn']
print('item_metadata_schema_arn:\n', item_metadata_schema_arn)
# ---- cell 33
interactions_dataset_response = personalize.create_dataset(
    datasetType = 'INTERACTIONS',
    datasetGroupArn = dataset_group_arn,
    schemaArn = interaction_schema_arn,
    name = interaction_dataset_name
)
interaction_dataset_arn = interactions_dataset_response['datasetArn']
#print(json.dumps(create_dataset_response, indent=2))
print('interaction_dataset_arn:\n', interaction_dataset_arn)

items_dataset_response = personalize.create_dataset(
    datasetType = 'ITEMS',
    datasetGroupArn = dataset_group_arn,
    schemaArn = item_metadata_schema_arn,
    name = item_metadata_dataset_name
)
item_metadata_dataset_arn = items_dataset_response['datasetArn']
#print(json.dumps(create_dataset_response, indent=2))
print('item_metadata_dataset_arn:\n', item_metadata_dataset_arn)
# ---- cell 35
#!aws s3 mb s3://{s3_bucket_name}
s3_bucket_name = os.environ["REKO_BUCKET"]  # REKO-ADAPTED: the harness's bucket replaces the random one
print(s3_bucket_name)  # REKO-ADAPTED: bare expression printed
# ---- cell 36
# REKO-ADAPTED: `s3_client.create_bucket(Bucket=s3_bucket_name, CreateBucketConfiguration={'LocationConstraint':
# region_name})` dropped: the harness made REKO_BUCKET (and S3 refuses that LocationConstraint in us-east-1).
# ---- cell 37
interactions_file = os.getcwd() + "/interaction.csv"
items_metadata_file = os.getcwd() + "/items.csv"
# ---- cell 38
s3_client.upload_file(Filename=interactions_file, Bucket=s3_bucket_name,
    Key="interaction.csv")
s3_client.upload_file(Filename=items_metadata_file, Bucket=s3_bucket_name,
    Key="items.csv")
# ---- cell 40
policy = {
    "Version": "2012-10-17",
    "Id": "PersonalizeS3BucketAccessPolicy",
    "Statement": [
        {
            "Sid": "PersonalizeS3BucketAccessPolicy",
            "Effect": "Allow",
            "Principal": {
                "Service": "personalize.amazonaws.com"
            },
            "Action": [
                "s3:GetObject",
                "s3:ListBucket"
            ],
            "Resource": [
                "arn:aws:s3:::{}".format(s3_bucket_name),
                "arn:aws:s3:::{}/*".format(s3_bucket_name)
            ]
        }
    ]
}

s3_client.put_bucket_policy(Bucket=s3_bucket_name, Policy=json.dumps(policy));
# ---- cell 42
# REKO-ADAPTED: no IAM: create_role / attach_role_policy skipped; Reko only records the role ARN,
# which the harness names in REKO_ROLE_ARN.
role_name = "PersonalizeS3Role-"+suffix
role_arn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED: was create_role_response["Role"]["Arn"]
# ---- cell 43
print('role_arn:', role_arn)
# ---- cell 45
time.sleep(1)  # REKO-ADAPTED: was time.sleep(20) # wait for RoleARN completion
interactions_dij_response = personalize.create_dataset_import_job(
    jobName =  prefix + 'interactions-dij-' + suffix,
    datasetArn = interaction_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(s3_bucket_name, 'interaction.csv')
    },
    roleArn = role_arn
)

interactions_dij_arn = interactions_dij_response['datasetImportJobArn']
print('interactions_dij_arn: ', interactions_dij_arn)
#print(json.dumps(interactions_dij_arn, indent=2))

items_dij_response = personalize.create_dataset_import_job(
    jobName =  prefix + 'items-dij-' + suffix,
    datasetArn = item_metadata_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(s3_bucket_name, 'items.csv')
    },
    roleArn = role_arn
)

items_dij_arn = items_dij_response['datasetImportJobArn']
print('items_dij_arn:', items_dij_arn)
# ---- cell 46
dataset_job_arns = [interactions_dij_arn, items_dij_arn]
import_statuses = {}  # REKO-CHECK: kept for the checks

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time and len(dataset_job_arns) != 0:
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
    for dij_arn in dataset_job_arns:
        describe_dataset_import_job_response = personalize.describe_dataset_import_job(
            datasetImportJobArn = dij_arn
        )
        dataset_import_job = describe_dataset_import_job_response["datasetImportJob"]
        status = None
        if "latestDatasetImportJobRun" not in dataset_import_job:
            status = dataset_import_job["status"]
            print("{} : {}".format(dij_arn, status))
        else:
            status = dataset_import_job["latestDatasetImportJobRun"]["status"]
            print("DIJ_ARN: {}, LatestDatasetImportJobRun: {}".format(dij_arn, status))
        import_statuses[dij_arn] = status  # REKO-CHECK
    
        if status == "ACTIVE" or status == "CREATE FAILED":
            dataset_job_arns.remove(dij_arn)

# ---- cell 48
recipe_arn = "arn:aws:personalize:::recipe/aws-user-personalization"
max_time = time.time() + 3*60*60 # 3 hours
create_solution_response = None
while time.time() < max_time:

    try:
        create_solution_response = personalize.create_solution(name=solution_name, 
                                    recipeArn= recipe_arn, 
                                    datasetGroupArn = dataset_group_arn)

        solution_arn = create_solution_response['solutionArn']
        print('solution_arn: ', solution_arn)
        break;
    except personalize.exceptions.ClientError as e:
        if 'EVENT_INTERACTIONS' not in str(e):
            print(json.dumps(create_solution_response, indent=2))
            print(e)
            break
# ---- cell 50
create_solution_version_response = personalize.create_solution_version(solutionArn = solution_arn)

solution_version_arn = create_solution_version_response['solutionVersionArn']
print('solution_version_arn:', solution_version_arn)
# ---- cell 51
status = None
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_solution_version_response = personalize.describe_solution_version(
        solutionVersionArn = solution_version_arn
    )
    status = describe_solution_version_response["solutionVersion"]["status"]
    print("SolutionVersion: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
first_version_status = status  # REKO-CHECK
# ---- cell 54
create_campaign_response = personalize.create_campaign(
    name = prefix + suffix,
    solutionVersionArn = solution_version_arn,
    minProvisionedTPS = 1,
    campaignConfig = {
        "itemExplorationConfig": {
            "explorationWeight": "0.9",
            "explorationItemAgeCutOff": "7"
        }
    }
)

campaign_arn = create_campaign_response['campaignArn']
print('campaign_arn:', campaign_arn)
# ---- cell 55
status = None
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_campaign_response = personalize.describe_campaign(
        campaignArn = campaign_arn
    )
    status = describe_campaign_response["campaign"]["status"]
    print("Campaign: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# ---- cell 56
describe_campaign_response = personalize.describe_campaign(campaignArn = campaign_arn)
campaign_summary = describe_campaign_response["campaign"]
print(campaign_summary)  # REKO-ADAPTED: bare expression printed
# ---- cell 58
rec_response = personalize_runtime.get_recommendations(campaignArn = campaign_arn, userId = '101')
print(rec_response['recommendationId'])
# ---- cell 59
print(rec_response['itemList'])  # REKO-ADAPTED: bare expression printed
first_recs = rec_response  # REKO-CHECK
# ---- cell 61
even_tracker_response = personalize.create_event_tracker( 
    name=event_tracker_name,
    datasetGroupArn=dataset_group_arn
)
event_tracker_arn  = even_tracker_response['eventTrackerArn']
event_tracking_id = even_tracker_response['trackingId']
#print(json.dumps(even_tracker_response,indent=2))
print('eventTrackerArn:{},\n eventTrackingId:{}'.format(event_tracker_arn, event_tracking_id))
# REKO-ADAPTED: Personalize documents that "the event tracker must be in the ACTIVE state before using the
# tracking ID", and Reko refuses PutEvents before then; a reader running cells by hand gives it the time, the
# script waits for it (up to 60 s).
for _ in range(60):  # REKO-ADAPTED
    if personalize.describe_event_tracker(eventTrackerArn=event_tracker_arn)["eventTracker"]["status"] == "ACTIVE":  # REKO-ADAPTED
        break  # REKO-ADAPTED
    time.sleep(1)  # REKO-ADAPTED
# ---- cell 64
personalize_events.put_events(
     trackingId = event_tracking_id,
     userId= '101',
     sessionId = '1',
     eventList = [{
     'sentAt': datetime.now().timestamp(),
     'eventType' : 'click',
     'itemId' : rec_response['itemList'][0]['itemId'],        
     'recommendationId': rec_response['recommendationId'],
     'impression': [item['itemId'] for item in rec_response['itemList']],
     }]
    )
# ---- cell 66
personalize_events.put_events(
     trackingId = event_tracking_id,
     userId= '101',
     sessionId = '1',
     eventList = [{
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '240',
     },
     {
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '241',
     },
     {
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '242',
     },
     {
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '243',
     },
     {
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '244',
     },
     {
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '245',
     },
     {
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '246',
     },
     {
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '247',
     },
     {
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '248',
     },
     {
         'sentAt': datetime.now().timestamp(),
         'eventType' : 'click',
         'itemId' : '249',
     }]
    )
# ---- cell 68
create_solution_version_response = personalize.create_solution_version(solutionArn = solution_arn, trainingMode = "UPDATE")

solution_version_after_update = create_solution_version_response['solutionVersionArn']
print('solution_version_after_update:', solution_version_arn)
# ---- cell 69
status = None
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_solution_version_response = personalize.describe_solution_version(
        solutionVersionArn = solution_version_after_update
    )
    status = describe_solution_version_response["solutionVersion"]["status"]
    print("SolutionVersion: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
updated_version = describe_solution_version_response["solutionVersion"]  # REKO-CHECK
# ---- cell 71
campaign_arn_response = personalize.update_campaign(campaignArn=campaign_arn, solutionVersionArn=solution_version_after_update)
print('campaign_arn_response: ', campaign_arn_response)
# ---- cell 72
# Wait for campaign update to reflect the new solution-version
solutionVersionArn = None
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_campaign_response = personalize.describe_campaign(
        campaignArn = campaign_arn
    )
    solutionVersionArn = describe_campaign_response["campaign"]["solutionVersionArn"]
    print("Campaign solution version: {}".format(solutionVersionArn))
    
    if solutionVersionArn == solution_version_after_update:
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# wait 1 minutes
time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# ---- cell 73
desc_campaign_response = personalize.describe_campaign(campaignArn = campaign_arn)['campaign']["solutionVersionArn"]
print(desc_campaign_response)  # REKO-ADAPTED: bare expression printed
# ---- cell 75
rec_response = personalize_runtime.get_recommendations(campaignArn = campaign_arn, userId = '101')
# ---- cell 76
print(rec_response['itemList'])  # REKO-ADAPTED: bare expression printed
updated_recs = rec_response  # REKO-CHECK
# ---- cell 78
desc_campaign_response = personalize.describe_campaign(campaignArn = campaign_arn)['campaign']
print(desc_campaign_response)  # REKO-ADAPTED: bare expression printed
# ---- cell 79
campaign_arn_response = personalize.update_campaign(campaignArn=campaign_arn, campaignConfig = {
        "itemExplorationConfig": {
            "explorationWeight": "0.1",
            "explorationItemAgeCutOff": "7"
        }
    })

# ---- cell 80
# Wait for campaign update to reflect the new explorationWeight
explorationWeight = None
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_campaign_response = personalize.describe_campaign(
        campaignArn = campaign_arn
    )
    explorationWeight = describe_campaign_response["campaign"]["campaignConfig"]['itemExplorationConfig']['explorationWeight']
    print("Current Campaign  explorationWeight: {}".format(explorationWeight))
    
    if explorationWeight == "0.1":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# wait 1 minutes
time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# ---- cell 82
rec_response = personalize_runtime.get_recommendations(campaignArn = campaign_arn, userId = '101')
# ---- cell 83
print(rec_response)  # REKO-ADAPTED: bare expression printed
final_campaign = personalize.describe_campaign(campaignArn=campaign_arn)["campaign"]  # REKO-CHECK: before clean-up
# ---- cell 85
personalize.delete_campaign(campaignArn=campaign_arn)
while len(personalize.list_campaigns(solutionArn=solution_arn)['campaigns']):
    time.sleep(5)

personalize.delete_solution(solutionArn=solution_arn)
while len(personalize.list_solutions(datasetGroupArn=dataset_group_arn)['solutions']):
    time.sleep(5)

for dataset in personalize.list_datasets(datasetGroupArn=dataset_group_arn)['datasets']:
    personalize.delete_dataset(datasetArn=dataset['datasetArn'])
while len(personalize.list_datasets(datasetGroupArn=dataset_group_arn)['datasets']):
    time.sleep(5)
    
personalize.delete_event_tracker(eventTrackerArn=event_tracker_arn)
# REKO-ADAPTED: the event tracker's deletion (like every deletion, in Personalize too) finishes in the
# background, and a dataset group with a tracker still being deleted is in use: retried for up to 60 s.
for attempt in range(60):  # REKO-ADAPTED
    try:  # REKO-ADAPTED
        personalize.delete_dataset_group(datasetGroupArn=dataset_group_arn)
        break  # REKO-ADAPTED
    except personalize.exceptions.ResourceInUseException as e:  # REKO-ADAPTED
        print("retrying:", e)  # REKO-ADAPTED
        time.sleep(1)  # REKO-ADAPTED

# ---- REKO-CHECK: the printed results make sense.
assert set(import_statuses.values()) == {"ACTIVE"}, import_statuses  # REKO-CHECK: both imports succeeded
assert first_version_status == "ACTIVE", first_version_status  # REKO-CHECK
assert campaign_summary["status"] == "ACTIVE", campaign_summary  # REKO-CHECK
config = campaign_summary["campaignConfig"]["itemExplorationConfig"]  # REKO-CHECK
assert config == {"explorationWeight": "0.9", "explorationItemAgeCutOff": "7"}, config  # REKO-CHECK
known = set(items_df["ITEM_ID"].astype(str))  # REKO-CHECK
for response in [first_recs, updated_recs, rec_response]:  # REKO-CHECK
    ids = [i["itemId"] for i in response["itemList"]]  # REKO-CHECK
    assert len(ids) == 25 and len(set(ids)) == 25 and set(ids) <= known, ids  # REKO-CHECK: 25 distinct items
    assert response.get("recommendationId"), response  # REKO-CHECK: events can point back at it
assert updated_version["status"] == "ACTIVE" and updated_version["trainingMode"] == "UPDATE", updated_version  # REKO-CHECK
assert final_campaign["solutionVersionArn"] == solution_version_after_update, final_campaign  # REKO-CHECK
config = final_campaign["campaignConfig"]["itemExplorationConfig"]  # REKO-CHECK
assert config["explorationWeight"] == "0.1" and config["explorationItemAgeCutOff"] == "7", config  # REKO-CHECK
deadline = time.time() + 60  # REKO-CHECK: the clean-up cell does not wait for the dataset group
while time.time() < deadline and dataset_group_arn in [  # REKO-CHECK
        g["datasetGroupArn"] for g in personalize.list_dataset_groups()["datasetGroups"]]:  # REKO-CHECK
    time.sleep(1)  # REKO-CHECK
assert dataset_group_arn not in [g["datasetGroupArn"] for g in personalize.list_dataset_groups()["datasetGroups"]]  # REKO-CHECK
print("REKO-CHECK user_personalization_exploration: OK")
