# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   getting_started/notebooks/1.Building_Your_First_Campaign.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own.

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

# ---- cell 4
# Imports
import boto3
import json
import numpy as np
import pandas as pd
import time
import os

# REKO-ADAPTED: `!conda install -y -c conda-forge unzip` dropped (nothing is downloaded or unzipped)

# ---- cell 6
# Configure the SDK to Personalize:
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# ---- cell 8
# Configure the SDK to SSM:
# REKO-ADAPTED: no SSM; the bucket the CloudFormation stack would have made (and stored in
# /cloudformation/personalize-s3-bucket) is created by the harness and named in REKO_BUCKET.
bucket = os.environ["REKO_BUCKET"]  # REKO-ADAPTED: SSM parameter replaced by an environment value
filename = "movie-lens-100k.csv"

# ---- cell 11
# REKO-ADAPTED: `!wget -N http://files.grouplens.org/datasets/movielens/ml-100k.zip` and
# `!unzip -o ml-100k.zip` dropped; u.data is read from REKO_ML100K_DIR.
data = pd.read_csv(os.path.join(ML100K_DIR, 'u.data'), sep='\t', names=['USER_ID', 'ITEM_ID', 'RATING', 'TIMESTAMP'])  # REKO-ADAPTED: path
pd.set_option('display.max_rows', 5)
print(data)  # REKO-ADAPTED: Jupyter displays the bare expression `data`; printed instead

# ---- cell 13
data = data[data['RATING'] > 3]                  # Keep only movies rated higher than 3 out of 5.
data = data[['USER_ID', 'ITEM_ID', 'TIMESTAMP']] # select columns that match the columns in the schema below
data.to_csv(filename, index=False)
boto3.Session().resource('s3', **S3_KW).Bucket(bucket).Object(filename).upload_file(filename)  # REKO-ADAPTED: moto endpoint

# ---- cell 15
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
    name = "personalize-demo-schema",
    schema = json.dumps(schema)
)

schema_arn = create_schema_response['schemaArn']
print(json.dumps(create_schema_response, indent=2))

# ---- cell 18
create_dataset_group_response = personalize.create_dataset_group(
    name = "personalize-launch-demo"
)

dataset_group_arn = create_dataset_group_response['datasetGroupArn']
print(json.dumps(create_dataset_group_response, indent=2))

# ---- cell 20
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

# ---- cell 22
dataset_type = "INTERACTIONS"
create_dataset_response = personalize.create_dataset(
    name = "personalize-launch-interactions",
    datasetType = dataset_type,
    datasetGroupArn = dataset_group_arn,
    schemaArn = schema_arn
)

dataset_arn = create_dataset_response['datasetArn']
print(json.dumps(create_dataset_response, indent=2))

# ---- cell 24
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_dataset_response = personalize.describe_dataset(
        datasetArn = dataset_arn
    )
    status = describe_dataset_response["dataset"]["status"]
    print("Dataset: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 26
# REKO-ADAPTED: no SSM; the role ARN the stack would have stored in
# /cloudformation/personalize-iam-role-arn comes from REKO_ROLE_ARN (no IAM role is created).
personalizeiamrolearn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED: SSM parameter replaced by an environment value

# ---- cell 29
create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "personalize-demo-import1",
    datasetArn = dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket, filename)
    },
    roleArn = personalizeiamrolearn
)

dataset_import_job_arn = create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_dataset_import_job_response, indent=2))

# ---- cell 31
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_dataset_import_job_response = personalize.describe_dataset_import_job(
        datasetImportJobArn = dataset_import_job_arn
    )
    status = describe_dataset_import_job_response["datasetImportJob"]['status']
    print("DatasetImportJob: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 34
list_recipes_response = personalize.list_recipes()
print(list_recipes_response)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 36
recipe_arn = "arn:aws:personalize:::recipe/aws-user-personalization" # aws-user-personalization selected for demo purposes

# ---- cell 39
create_solution_response = personalize.create_solution(
    name = "personalize-demo-soln-user-personalization",
    datasetGroupArn = dataset_group_arn,
    recipeArn = recipe_arn
)

solution_arn = create_solution_response['solutionArn']
print(json.dumps(create_solution_response, indent=2))

# ---- cell 41
create_solution_version_response = personalize.create_solution_version(
    solutionArn = solution_arn
)

solution_version_arn = create_solution_version_response['solutionVersionArn']
print(json.dumps(create_solution_version_response, indent=2))

# ---- cell 43
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

# ---- cell 45
get_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = solution_version_arn
)

print(json.dumps(get_solution_metrics_response, indent=2))

# ---- cell 49
create_campaign_response = personalize.create_campaign(
    name = "personalize-demo-camp",
    solutionVersionArn = solution_version_arn,
    minProvisionedTPS = 1,
    campaignConfig = {
        "itemExplorationConfig": {
            "explorationWeight": "0.5"
        }
    }
)

campaign_arn = create_campaign_response['campaignArn']
print(json.dumps(create_campaign_response, indent=2))

# ---- cell 51
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

# ---- cell 53
# Getting a random user:
user_id, item_id, _ = data.sample().values[0]
print("USER: {}".format(user_id))

# ---- cell 54
# First load items into memory
items = pd.read_csv(os.path.join(ML100K_DIR, 'u.item'), sep='|', usecols=[0,1], encoding='latin-1', names=['ITEM_ID', 'TITLE'], index_col='ITEM_ID')  # REKO-ADAPTED: path

def get_movie_title(movie_id):
    """
    Takes in an ID, returns a title
    """
    movie_id = int(movie_id)-1
    return items.iloc[movie_id]['TITLE']

# ---- cell 56
get_recommendations_response = personalize_runtime.get_recommendations(
    campaignArn = campaign_arn,
    userId = str(user_id),
)
# Update DF rendering
pd.set_option('display.max_rows', 30)

print("Recommendations for user: ", user_id)

item_list = get_recommendations_response['itemList']

recommendation_list = []

for item in item_list:
    title = get_movie_title(item['itemId'])
    recommendation_list.append(title)
    
recommendations_df = pd.DataFrame(recommendation_list, columns = ['OriginalRecs'])
print(recommendations_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cells 59-69
# REKO-ADAPTED: `%store campaign_arn`, `%store dataset_group_arn`, ... (IPython's store magic) persist
# the same variables into the JSON file named by REKO_STORE, which getting_started_2.py reads back.
with open(os.environ["REKO_STORE"], "w") as store:
    json.dump({
        "campaign_arn": campaign_arn,
        "dataset_group_arn": dataset_group_arn,
        "solution_version_arn": solution_version_arn,
        "solution_arn": solution_arn,
        "dataset_arn": dataset_arn,
        "schema_arn": schema_arn,
        "bucket": bucket,
        "filename": filename,
        "recommendations_df": recommendations_df.to_dict(orient="list"),
        "user_id": int(user_id),
    }, store, indent=2)

# ---- REKO-CHECK: the printed results make sense.
assert describe_dataset_group_response["datasetGroup"]["status"] == "ACTIVE"  # REKO-CHECK
assert describe_dataset_import_job_response["datasetImportJob"]["status"] == "ACTIVE"  # REKO-CHECK
assert describe_solution_version_response["solutionVersion"]["status"] == "ACTIVE"  # REKO-CHECK
assert describe_campaign_response["campaign"]["status"] == "ACTIVE"  # REKO-CHECK
assert recipe_arn in [r["recipeArn"] for r in list_recipes_response["recipes"]]  # REKO-CHECK
metrics = get_solution_metrics_response["metrics"]  # REKO-CHECK
for name in ["coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_10",  # REKO-CHECK
             "precision_at_5", "precision_at_10"]:  # REKO-CHECK
    assert name in metrics and 0.0 <= metrics[name] <= 1.0, (name, metrics)  # REKO-CHECK
assert metrics["normalized_discounted_cumulative_gain_at_10"] > 0.0, metrics  # REKO-CHECK: better than nothing
rec_ids = [item["itemId"] for item in item_list]  # REKO-CHECK
assert len(rec_ids) == 25, rec_ids  # REKO-CHECK: Personalize's default numResults
assert len(set(rec_ids)) == len(rec_ids), rec_ids  # REKO-CHECK: distinct items
known = set(data["ITEM_ID"].astype(str))  # REKO-CHECK
assert set(rec_ids) <= known, set(rec_ids) - known  # REKO-CHECK: only items from the imported data
assert all(isinstance(t, str) and t for t in recommendations_df["OriginalRecs"])  # REKO-CHECK: titles resolved
# REKO-CHECK: personalized, not one list for everybody: other users get different lists.
others = [u for u in data["USER_ID"].unique()[:20] if u != user_id][:5]  # REKO-CHECK
lists = {tuple(x["itemId"] for x in personalize_runtime.get_recommendations(  # REKO-CHECK
    campaignArn=campaign_arn, userId=str(u))["itemList"]) for u in others}  # REKO-CHECK
lists.add(tuple(rec_ids))  # REKO-CHECK
assert len(lists) > 1, "every user got the same recommendations"  # REKO-CHECK
print("REKO-CHECK getting_started_1: OK")
