# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/core_use_cases/related_items/personalize_sims_example.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own.
# REKO-ADAPTED: the notebook uses MovieLens 1M (ml-1m/ratings.dat, movies.dat); the suite has only
# MovieLens 100K, so u.data and u.item stand in for them (same columns, other separators).

# REKO-ADAPTED: the offline environment the harness (crates/reko/tests/samples.rs) sets up.
import os
ML100K_DIR = os.environ["REKO_ML100K_DIR"]  # REKO-ADAPTED: MovieLens is read from here, not downloaded
CLIENT_KW = dict(  # REKO-ADAPTED: Personalize clients talk to `reko serve` with its root key
    endpoint_url=os.environ["REKO_ENDPOINT"],
    region_name=os.environ["REKO_REGION"],
    aws_access_key_id=os.environ["REKO_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["REKO_SECRET_ACCESS_KEY"],
)
S3_KW = dict(endpoint_url=os.environ["REKO_S3_ENDPOINT"])  # REKO-ADAPTED: S3 is moto's S3 server

# ---- cell 2
import boto3, os
import json
import numpy as np
import pandas as pd
import time
from botocore.exceptions import ClientError

# ---- cell 3
suffix = str(np.random.uniform())[4:9]

# ---- cell 4
bucket = "demo-sims-"+   suffix        # replace with the name of your S3 bucket
filename = "DEMO-sims.csv"

# ---- cell 5
# REKO-ADAPTED: `!aws s3 mb s3://{bucket}` made with boto3 against moto (no AWS CLI needed).
boto3.client("s3", **S3_KW).create_bucket(Bucket=bucket)  # REKO-ADAPTED: was `!aws s3 mb s3://{bucket}`

# ---- cell 6
personalize = boto3.client(service_name='personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client(service_name='personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# ---- cell 8
# REKO-ADAPTED: `!curl -O http://files.grouplens.org/datasets/movielens/ml-1m.zip` and
# `!unzip -o ml-1m.zip` dropped; MovieLens 100K is read from REKO_ML100K_DIR.

# ---- cell 9
data = pd.read_csv(os.path.join(ML100K_DIR, 'u.data'), sep='\t', names=['USER_ID','ITEM_ID','RATING','TIMESTAMP'])  # REKO-ADAPTED: ml-1m/ratings.dat ('::') -> ml-100k/u.data (tab)
pd.set_option('display.max_rows', 5)
print(data)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 10
# data = data[data['RATING'] > 3.6]  # Use all data to predict view recommendations
data = data[['USER_ID', 'ITEM_ID', 'TIMESTAMP']] # select columns that match the columns in the schema below
print('unique users %d; unique items %d'%(
    len(data['USER_ID'].unique()), len(data['ITEM_ID'].unique())))

# ---- cell 12
data.to_csv(filename, index=False)
boto3.Session().resource('s3', **S3_KW).Bucket(bucket).Object(filename).upload_file(filename)  # REKO-ADAPTED: moto endpoint

# ---- cell 14
schema = {
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
            "name": "TIMESTAMP",
            "type": "long"
        }
    ],
    "version": "1.0"
}

create_schema_response = personalize.create_schema(
    name = "DEMO-sims-schema-"+suffix,
    schema = json.dumps(schema)
)

schema_arn = create_schema_response['schemaArn']
print(json.dumps(create_schema_response, indent=2))

# ---- cell 17
create_dataset_group_response = personalize.create_dataset_group(
    name = "DEMO-sims-dataset-group-"+suffix
)

dataset_group_arn = create_dataset_group_response['datasetGroupArn']
print(json.dumps(create_dataset_group_response, indent=2))

# ---- cell 18
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

# ---- cell 20
dataset_type = "INTERACTIONS"
create_dataset_response = personalize.create_dataset(
    datasetType = dataset_type,
    datasetGroupArn = dataset_group_arn,
    schemaArn = schema_arn,
    name = "DEMO-sims-dataset-"+suffix
)

dataset_arn = create_dataset_response['datasetArn']
print(json.dumps(create_dataset_response, indent=2))

# ---- cell 23
s3 = boto3.client("s3", **S3_KW)  # REKO-ADAPTED: moto endpoint

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
                "arn:aws:s3:::{}".format(bucket),
                "arn:aws:s3:::{}/*".format(bucket)
            ]
        }
    ]
}

s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy));

# ---- cell 25
# REKO-ADAPTED: IAM role creation skipped (no IAM here: create_role/attach_role_policy/get_role and the
# 45 s wait for the role to propagate); the role ARN comes from REKO_ROLE_ARN.
role_arn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED: instead of iam.create_role(...)
print(role_arn)

# ---- cell 27
create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "DEMO-sims-dataset-import-job-"+suffix,
    datasetArn = dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket, filename)
    },
    roleArn = role_arn
)

dataset_import_job_arn = create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_dataset_import_job_response, indent=2))

# ---- cell 29
status = None
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_dataset_import_job_response = personalize.describe_dataset_import_job(
        datasetImportJobArn = dataset_import_job_arn
    )
    
    dataset_import_job = describe_dataset_import_job_response["datasetImportJob"]
    if "latestDatasetImportJobRun" not in dataset_import_job:
        status = dataset_import_job["status"]
        print("DatasetImportJob: {}".format(status))
    else:
        status = dataset_import_job["latestDatasetImportJobRun"]["status"]
        print("LatestDatasetImportJobRun: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 31
recipe_list = personalize.list_recipes()
for recipe in recipe_list['recipes']:
    print(recipe['recipeArn'])

# ---- cell 33
recipe_arn = "arn:aws:personalize:::recipe/aws-sims"

# ---- cell 34
create_solution_response = personalize.create_solution(
    name = "DEMO-sims-solution-"+suffix,
    datasetGroupArn = dataset_group_arn,
    recipeArn = recipe_arn,
)

solution_arn = create_solution_response['solutionArn']
print(json.dumps(create_solution_response, indent=2))

# ---- cell 35
create_solution_version_response = personalize.create_solution_version(
    solutionArn = solution_arn
)

solution_version_arn = create_solution_version_response['solutionVersionArn']
print(json.dumps(create_solution_version_response, indent=2))

# ---- cell 37
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
first_solution_version_status = status  # REKO-CHECK: kept for the checks at the end

# ---- cell 39
get_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = solution_version_arn
)

print(json.dumps(get_metrics_response, indent=2))
first_metrics = get_metrics_response["metrics"]  # REKO-CHECK: kept for the checks at the end

# ---- cell 41
create_campaign_response = personalize.create_campaign(
    name = "DEMO-sims-campaign-"+suffix,
    solutionVersionArn = solution_version_arn,
    minProvisionedTPS = 2,    
)

campaign_arn = create_campaign_response['campaignArn']
print(json.dumps(create_campaign_response, indent=2))

# ---- cell 43
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

# ---- cell 45
# REKO-ADAPTED: ml-1m/movies.dat (ITEM_ID::title::Genre1|Genre2) -> ml-100k/u.item, whose genres are 0/1
# columns named in u.genre; they are joined into the same "Genre1|Genre2" column.
genres = pd.read_csv(os.path.join(ML100K_DIR, 'u.genre'), sep='|', names=['name', 'id'])['name'].tolist()  # REKO-ADAPTED
movies = pd.read_csv(os.path.join(ML100K_DIR, 'u.item'), sep='|', encoding='latin-1', names=['ITEM_ID', 'title', 'release', 'video_release', 'url'] + genres)  # REKO-ADAPTED
movies['genre'] = movies[genres].apply(lambda row: '|'.join(g for g in genres if row[g]), axis=1)  # REKO-ADAPTED
movies = movies[['ITEM_ID', 'title', 'genre']]  # REKO-ADAPTED

# ---- cell 46
movies=movies.set_index('ITEM_ID')

# ---- cell 47
print(movies.head())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 50
rec_response = personalize_runtime.get_recommendations(
        campaignArn = campaign_arn,
        itemId = str(5)
    )
rec_items = [int(x['itemId']) for x in rec_response['itemList']]
rec_items_5 = rec_items  # REKO-CHECK: kept for the checks at the end

# ---- cell 51
print(movies.loc[rec_items[:5]])  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 52
rec_response = personalize_runtime.get_recommendations(
        campaignArn = campaign_arn,
        itemId = str(2)
    )
rec_items = [int(x['itemId']) for x in rec_response['itemList']]
rec_items_2 = rec_items  # REKO-CHECK: kept for the checks at the end

# ---- cell 53
print(movies.loc[rec_items[:5]])  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 56
create_solution_response = personalize.create_solution(
    name = "DEMO-sims-solution-hpo-"+suffix,
    datasetGroupArn = dataset_group_arn,
    recipeArn = recipe_arn,
    performHPO = True,
    solutionConfig={
        'hpoConfig': {
            'hpoResourceConfig': {
                  'maxNumberOfTrainingJobs': '40',
                  'maxParallelTrainingJobs': '10'
              }
        }
    }
)

solution_arn = create_solution_response['solutionArn']
print(json.dumps(create_solution_response, indent=2))

# ---- cell 57
create_solution_version_response = personalize.create_solution_version(
    solutionArn = solution_arn
)

solution_version_arn = create_solution_version_response['solutionVersionArn']
print(json.dumps(create_solution_version_response, indent=2))

# ---- cell 58
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

# ---- cell 59
get_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = solution_version_arn
)

print(json.dumps(get_metrics_response, indent=2))

# ---- cell 60
print(movies.head())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 61
rec_response = personalize_runtime.get_recommendations(
        campaignArn = campaign_arn,
        itemId = str(5)
    )
rec_items = [int(x['itemId']) for x in rec_response['itemList']]
print(movies.loc[rec_items[:5]])  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 62
rec_response = personalize_runtime.get_recommendations(
        campaignArn = campaign_arn,
        itemId = str(2)
    )
rec_items = [int(x['itemId']) for x in rec_response['itemList']]
print(movies.loc[rec_items[:5]])  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- REKO-CHECK: the printed results make sense.
assert describe_dataset_group_response["datasetGroup"]["status"] == "ACTIVE"  # REKO-CHECK
assert status == "ACTIVE" and first_solution_version_status == "ACTIVE"  # REKO-CHECK: both solution versions trained
assert describe_campaign_response["campaign"]["status"] == "ACTIVE"  # REKO-CHECK
assert s3.get_bucket_policy(Bucket=bucket)["Policy"]  # REKO-CHECK: moto kept the bucket policy
for m in (first_metrics, get_metrics_response["metrics"]):  # REKO-CHECK
    assert "coverage" in m and "normalized_discounted_cumulative_gain_at_10" in m, m  # REKO-CHECK
    assert 0.0 <= m["coverage"] <= 1.0 and 0.0 <= m["normalized_discounted_cumulative_gain_at_10"] <= 1.0, m  # REKO-CHECK
# REKO-CHECK: related items: 25 distinct items, never the query item itself, only known items,
# and different lists for different query items.
for query, recs in ((5, rec_items_5), (2, rec_items_2)):  # REKO-CHECK
    assert len(recs) == 25 and len(set(recs)) == 25, (query, recs)  # REKO-CHECK
    assert query not in recs, (query, recs)  # REKO-CHECK: the query item is excluded
    assert set(recs) <= set(movies.index), (query, recs)  # REKO-CHECK
assert rec_items_5 != rec_items_2  # REKO-CHECK
# REKO-CHECK: the same (unchanged) campaign answers the same after the HPO cells.
assert rec_items == rec_items_2, (rec_items, rec_items_2)  # REKO-CHECK
# REKO-CHECK: similar items share an audience: the top 10 for a movie are co-watched with it far
# more often than the median movie is.
watchers = data.groupby('ITEM_ID')['USER_ID'].apply(set)  # REKO-CHECK
for query, recs in ((5, rec_items_5), (2, rec_items_2)):  # REKO-CHECK
    co = watchers.apply(lambda users: len(users & watchers[query]))  # REKO-CHECK
    top = np.mean([co[i] for i in recs[:10]])  # REKO-CHECK
    assert top > co.drop(query).median(), (query, top, co.median())  # REKO-CHECK
# REKO-CHECK: and mostly share a genre with it (Copycat: a thriller; GoldenEye: an action film).
for query, recs in ((5, rec_items_5), (2, rec_items_2)):  # REKO-CHECK
    query_genres = set(movies.loc[query, 'genre'].split('|'))  # REKO-CHECK
    shared = [i for i in recs[:5] if query_genres & set(movies.loc[i, 'genre'].split('|'))]  # REKO-CHECK
    assert len(shared) >= 3, (query, movies.loc[recs[:5]])  # REKO-CHECK
print("REKO-CHECK related_items_sims: OK")
