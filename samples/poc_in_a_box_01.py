# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/workshops/POC_in_a_box/completed/01_Validating_and_Importing_User_Item_Interaction_Data.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own. poc_in_a_box_02.py .. 05.py follow it.

# REKO-ADAPTED: the offline environment the harness (crates/reko/tests/samples.rs) sets up.
import os
ML100K_DIR = os.environ["REKO_ML100K_DIR"]  # REKO-ADAPTED: MovieLens 100K is read from here, not downloaded
CLIENT_KW = dict(  # REKO-ADAPTED: Personalize clients talk to `reko serve` with its root key
    endpoint_url=os.environ["REKO_ENDPOINT"],
    region_name=os.environ["REKO_REGION"],
    aws_access_key_id=os.environ["REKO_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["REKO_SECRET_ACCESS_KEY"],
)
S3_KW = dict(endpoint_url=os.environ["REKO_S3_ENDPOINT"])  # REKO-ADAPTED: S3 is moto's S3 server


def write_ml_latest_small(dest):  # REKO-ADAPTED: stands in for downloading ml-latest-small.zip
    """MovieLens 100K written in ml-latest-small's layout: ratings.csv (userId,movieId,rating,timestamp)
    and movies.csv (movieId,title,genres, genres `|`-joined, ml-latest-small's names)."""
    import pandas as pd  # REKO-ADAPTED
    os.makedirs(dest, exist_ok=True)  # REKO-ADAPTED
    ratings = pd.read_csv(os.path.join(ML100K_DIR, "u.data"), sep="\t",  # REKO-ADAPTED
                          names=["userId", "movieId", "rating", "timestamp"])  # REKO-ADAPTED
    ratings.sort_values(["userId", "movieId"]).to_csv(os.path.join(dest, "ratings.csv"), index=False)  # REKO-ADAPTED
    with open(os.path.join(ML100K_DIR, "u.genre"), encoding="latin-1") as f:  # REKO-ADAPTED
        genres = [line.rsplit("|", 1)[0] for line in f if line.strip()]  # REKO-ADAPTED
    # REKO-ADAPTED: ml-latest-small spells these "Children" and "(no genres listed)".
    genres = [{"Children's": "Children", "unknown": None}.get(g, g) for g in genres]  # REKO-ADAPTED
    items = pd.read_csv(os.path.join(ML100K_DIR, "u.item"), sep="|", encoding="latin-1", header=None)  # REKO-ADAPTED
    flags = items.iloc[:, 5:5 + len(genres)].values  # REKO-ADAPTED
    joined = ["|".join(g for g, on in zip(genres, row) if on and g) or "(no genres listed)" for row in flags]  # REKO-ADAPTED
    movies = pd.DataFrame({"movieId": items[0], "title": items[1].str.strip(), "genres": joined})  # REKO-ADAPTED
    movies.to_csv(os.path.join(dest, "movies.csv"), index=False)  # REKO-ADAPTED


# ---- cell 1
USE_FULL_MOVIELENS = False
# ---- cell 3
data_dir = "poc_data"
os.makedirs(data_dir, exist_ok=True)  # REKO-ADAPTED: `!mkdir $data_dir`

if not USE_FULL_MOVIELENS:
    # REKO-ADAPTED: `!cd $data_dir && wget .../ml-latest-small.zip` and `unzip` replaced: MovieLens 100K
    # from REKO_ML100K_DIR is written into the files ml-latest-small.zip would have unpacked.
    write_ml_latest_small(data_dir + "/ml-latest-small/")  # REKO-ADAPTED
    dataset_dir = data_dir + "/ml-latest-small/"
else:
    # REKO-ADAPTED: `!cd $data_dir && wget .../ml-25m.zip` and `unzip` (never taken: USE_FULL_MOVIELENS is False)
    dataset_dir = data_dir + "/ml-25m/"
# ---- cell 5
print(sorted(os.listdir(dataset_dir)))  # REKO-ADAPTED: `!ls $dataset_dir`
# ---- cell 7
# REKO-ADAPTED: `!pygmentize $dataset_dir/README.txt` dropped (no README is written)
# ---- cell 10
import time
from time import sleep
import json
from datetime import datetime
import boto3
import pandas as pd
# ---- cell 12
original_data = pd.read_csv(dataset_dir + '/ratings.csv')
print(original_data.head(5))  # REKO-ADAPTED: bare expression printed
# ---- cell 13
print(original_data.shape)  # REKO-ADAPTED: bare expression printed
# ---- cell 14
print(original_data.describe())  # REKO-ADAPTED: bare expression printed
# ---- cell 16
original_data.info()
# ---- cell 17
print(original_data.isnull().any())  # REKO-ADAPTED: bare expression printed
# ---- cell 20
arb_time_stamp = original_data.iloc[50]['timestamp']
print(arb_time_stamp)
print(datetime.utcfromtimestamp(arb_time_stamp).strftime('%Y-%m-%d %H:%M:%S'))
# ---- cell 23
watched_df = original_data.copy()
watched_df = watched_df[watched_df['rating'] > 3]
watched_df = watched_df[['userId', 'movieId', 'timestamp']]
watched_df['EVENT_TYPE']='watch'
print(watched_df.head())  # REKO-ADAPTED: bare expression printed
# ---- cell 24
clicked_df = original_data.copy()
clicked_df = clicked_df[clicked_df['rating'] > 1]
clicked_df = clicked_df[['userId', 'movieId', 'timestamp']]
clicked_df['EVENT_TYPE']='click'
print(clicked_df.head())  # REKO-ADAPTED: bare expression printed
# ---- cell 25
interactions_df = clicked_df.copy()
interactions_df = pd.concat([interactions_df, watched_df])  # REKO-ADAPTED: DataFrame.append was removed in pandas 2
interactions_df.sort_values("timestamp", axis = 0, ascending = True, 
                 inplace = True, na_position ='last') 
# ---- cell 26
interactions_df.info()
# ---- cell 28
print(interactions_df.describe())  # REKO-ADAPTED: bare expression printed
# ---- cell 30
print(interactions_df.dtypes)  # REKO-ADAPTED: bare expression printed
# ---- cell 32
interactions_df.rename(columns = {'userId':'USER_ID', 'movieId':'ITEM_ID', 
                              'timestamp':'TIMESTAMP'}, inplace = True) 
# ---- cell 34
interactions_filename = "interactions.csv"
interactions_df.to_csv((data_dir+"/"+interactions_filename), index=False, float_format='%.0f')
# ---- cell 36
# Configure the SDK to Personalize:
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
# ---- cell 38
create_dataset_group_response = personalize.create_dataset_group(
    name = "personalize-poc-movielens"
)

dataset_group_arn = create_dataset_group_response['datasetGroupArn']
print(json.dumps(create_dataset_group_response, indent=2))
# ---- cell 40
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_dataset_group_response = personalize.describe_dataset_group(
        datasetGroupArn = dataset_group_arn
    )
    status = describe_dataset_group_response["datasetGroup"]["status"]
    print("DatasetGroup: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# ---- cell 43
interactions_schema = schema = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {
            "name": "USER_ID",
            "type": "string"
        },
        {
            "name": "ITEM_ID",
            "type": "string"
        },
        {
            "name": "EVENT_TYPE",
            "type": "string"
        },
        {
            "name": "TIMESTAMP",
            "type": "long"
        }
    ],
    "version": "1.0"
}

create_schema_response = personalize.create_schema(
    name = "personalize-poc-movielens-interactions",
    schema = json.dumps(interactions_schema)
)

interaction_schema_arn = create_schema_response['schemaArn']
print(json.dumps(create_schema_response, indent=2))
# ---- cell 45
dataset_type = "INTERACTIONS"
create_dataset_response = personalize.create_dataset(
    name = "personalize-poc-movielens-ints",
    datasetType = dataset_type,
    datasetGroupArn = dataset_group_arn,
    schemaArn = interaction_schema_arn
)

interactions_dataset_arn = create_dataset_response['datasetArn']
print(json.dumps(create_dataset_response, indent=2))
# ---- cell 47
# REKO-ADAPTED: no SageMaker notebook instance: /opt/ml/metadata/resource-metadata.json replaced by REKO_REGION
region = os.environ["REKO_REGION"]  # REKO-ADAPTED
print(region)
# ---- cell 49
s3 = boto3.client('s3', **S3_KW)  # REKO-ADAPTED: moto endpoint
account_id = "123456789012"  # REKO-ADAPTED: no STS; was boto3.client('sts').get_caller_identity().get('Account')
bucket_name = os.environ["REKO_BUCKET"]  # REKO-ADAPTED: was account_id + "-" + region + "-" + "personalizepocvod"
print(bucket_name)
# REKO-ADAPTED: `s3.create_bucket(...)` dropped: the harness has created REKO_BUCKET already
# ---- cell 51
interactions_file_path = data_dir + "/" + interactions_filename
boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(interactions_filename).upload_file(interactions_file_path)  # REKO-ADAPTED: moto endpoint
interactions_s3DataPath = "s3://"+bucket_name+"/"+interactions_filename
# ---- cell 53
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
                "s3:*Object",
                "s3:ListBucket"
            ],
            "Resource": [
                "arn:aws:s3:::{}".format(bucket_name),
                "arn:aws:s3:::{}/*".format(bucket_name)
            ]
        }
    ]
}

s3.put_bucket_policy(Bucket=bucket_name, Policy=json.dumps(policy))
# ---- cell 55
# REKO-ADAPTED: no IAM: create_role / attach_role_policy / time.sleep(60) skipped; Reko only records the
# role ARN, which the harness names in REKO_ROLE_ARN.
role_name = "PersonalizeRolePOC"
role_arn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED: was create_role_response["Role"]["Arn"]
print(role_arn)
# ---- cell 57
create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "personalize-poc-import1",
    datasetArn = interactions_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, interactions_filename)
    },
    roleArn = role_arn
)

dataset_import_job_arn = create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_dataset_import_job_response, indent=2))
# ---- cell 59
# REKO-ADAPTED: `%%time` dropped

max_time = time.time() + 6*60*60 # 6 hours
while time.time() < max_time:
    describe_dataset_import_job_response = personalize.describe_dataset_import_job(
        datasetImportJobArn = dataset_import_job_arn
    )
    status = describe_dataset_import_job_response["datasetImportJob"]['status']
    print("DatasetImportJob: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# ---- cell 61
# REKO-ADAPTED: `%store USE_FULL_MOVIELENS`, `%store dataset_dir`, ... persist into the JSON file REKO_STORE.
with open(os.environ["REKO_STORE"], "w") as store:  # REKO-ADAPTED: %store
    json.dump({  # REKO-ADAPTED: %store
        "USE_FULL_MOVIELENS": USE_FULL_MOVIELENS,  # REKO-ADAPTED: %store
        "dataset_dir": dataset_dir,  # REKO-ADAPTED: %store
        "interactions_dataset_arn": interactions_dataset_arn,  # REKO-ADAPTED: %store
        "dataset_group_arn": dataset_group_arn,  # REKO-ADAPTED: %store
        "bucket_name": bucket_name,  # REKO-ADAPTED: %store
        "role_arn": role_arn,  # REKO-ADAPTED: %store
        "role_name": role_name,  # REKO-ADAPTED: %store
        "data_dir": data_dir,  # REKO-ADAPTED: %store
        "region": region,  # REKO-ADAPTED: %store
        "interaction_schema_arn": interaction_schema_arn,  # REKO-ADAPTED: %store
    }, store, indent=2)  # REKO-ADAPTED: %store

# ---- REKO-CHECK: the printed results make sense.
assert describe_dataset_group_response["datasetGroup"]["status"] == "ACTIVE"  # REKO-CHECK
assert describe_dataset_import_job_response["datasetImportJob"]["status"] == "ACTIVE"  # REKO-CHECK
assert original_data.shape == (100000, 4), original_data.shape  # REKO-CHECK: all of ML-100K
assert len(interactions_df) == len(watched_df) + len(clicked_df), len(interactions_df)  # REKO-CHECK
assert set(interactions_df["EVENT_TYPE"]) == {"click", "watch"}  # REKO-CHECK
dataset = personalize.describe_dataset(datasetArn=interactions_dataset_arn)["dataset"]  # REKO-CHECK
assert dataset["datasetType"].upper() == "INTERACTIONS" and dataset["schemaArn"] == interaction_schema_arn  # REKO-CHECK
assert dataset["datasetGroupArn"] == dataset_group_arn  # REKO-CHECK
print("REKO-CHECK poc_in_a_box_01: OK")
