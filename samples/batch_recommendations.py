# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/core_use_cases/batch_recommendations/user_personalization_batch_recommendations_example.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own.

# REKO-ADAPTED: the offline environment the harness (crates/reko/tests/samples.rs) sets up.
import os
ML100K_DIR = os.environ["REKO_ML100K_DIR"]  # REKO-ADAPTED: MovieLens 100K stands in for the Last.fm data set
CLIENT_KW = dict(  # REKO-ADAPTED: Personalize clients talk to `reko serve` with its root key
    endpoint_url=os.environ["REKO_ENDPOINT"],
    region_name=os.environ["REKO_REGION"],
    aws_access_key_id=os.environ["REKO_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["REKO_SECRET_ACCESS_KEY"],
)
S3_KW = dict(endpoint_url=os.environ["REKO_S3_ENDPOINT"])  # REKO-ADAPTED: S3 is moto's S3 server

# ---- cell 1
data_dir = "data"
# REKO-ADAPTED: `!mkdir $data_dir`, `wget .../hetrec2011-lastfm-2k.zip` and `unzip` replaced: nothing is
# downloaded. The suite has MovieLens 100K only, so its ratings and titles are written into data_dir in the
# layout of the three Last.fm files the notebook reads (tab-separated, with a header): movies play the
# artists, the tagging timestamps are in milliseconds as Last.fm's are, the rating plays the play count.
import pandas as pd  # REKO-ADAPTED
os.makedirs(data_dir, exist_ok=True)  # REKO-ADAPTED: was !mkdir $data_dir
_ml = pd.read_csv(os.path.join(ML100K_DIR, 'u.data'), sep='\t', names=['userID', 'artistID', 'weight', 'timestamp'])  # REKO-ADAPTED
_ml.assign(tagID=1, timestamp=_ml.timestamp * 1000)[['userID', 'artistID', 'tagID', 'timestamp']].to_csv(data_dir + '/user_taggedartists-timestamps.dat', sep='\t', index=False)  # REKO-ADAPTED
_ml[['userID', 'artistID', 'weight']].to_csv(data_dir + '/user_artists.dat', sep='\t', index=False)  # REKO-ADAPTED
_items = pd.read_csv(os.path.join(ML100K_DIR, 'u.item'), sep='|', encoding='latin-1', usecols=[0, 1, 4], names=['id', 'name', 'url'])  # REKO-ADAPTED
_items.assign(pictureURL='')[['id', 'name', 'url', 'pictureURL']].to_csv(data_dir + '/artists.dat', sep='\t', index=False)  # REKO-ADAPTED

# ---- cell 3
print(sorted(os.listdir(data_dir)))  # REKO-ADAPTED: was !ls $data_dir

# ---- cell 7
import time
from time import sleep
import json
from datetime import datetime

import boto3
import pandas as pd

# ---- cell 9
original_data = pd.read_csv(data_dir + '/user_taggedartists-timestamps.dat')
print(original_data.head(5))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 11
original_data = pd.read_csv(data_dir + '/user_taggedartists-timestamps.dat', delimiter='\t')
print(original_data.head(5))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 13
print(original_data.describe())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 15
original_data.info()

# ---- cell 17
arb_time_stamp = original_data.iloc[50]['timestamp']
print(arb_time_stamp)
# REKO-ADAPTED: the notebook shows this line's ValueError ("year ... is out of range": the timestamps are in
# milliseconds) on purpose; a script would stop there, so the error is caught and printed.
try:  # REKO-ADAPTED
    print(datetime.utcfromtimestamp(arb_time_stamp).strftime('%Y-%m-%d %H:%M:%S'))
except ValueError as e:  # REKO-ADAPTED
    print("ValueError:", e)  # REKO-ADAPTED

# ---- cell 19
arb_time_stamp = arb_time_stamp/1000
print(datetime.utcfromtimestamp(arb_time_stamp).strftime('%Y-%m-%d %H:%M:%S'))

# ---- cell 21
original_data.timestamp = original_data.timestamp / 1000
print(original_data.head(5))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 23
arb_time_stamp = original_data.iloc[50]['timestamp']
print(arb_time_stamp)
print(datetime.utcfromtimestamp(arb_time_stamp).strftime('%Y-%m-%d %H:%M:%S'))

# ---- cell 25
interactions_df = original_data.copy()
interactions_df = interactions_df[['userID', 'artistID', 'timestamp']]
print(interactions_df.head())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 27
print(interactions_df.dtypes)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 29
print(interactions_df.astype({'timestamp': 'int64'}).dtypes)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 31
interactions_df.rename(columns = {'userID':'USER_ID', 'artistID':'ITEM_ID', 
                              'timestamp':'TIMESTAMP'}, inplace = True) 

# ---- cell 33
interactions_filename = "interactions.csv"
interactions_df.to_csv((data_dir+"/"+interactions_filename), index=False, float_format='%.0f')

# ---- cell 35
# Configure the SDK to Personalize:
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# ---- cell 37
create_dataset_group_response = personalize.create_dataset_group(
    name = "personalize-batch-recommendations-dg"
)

dataset_group_arn = create_dataset_group_response['datasetGroupArn']
print(json.dumps(create_dataset_group_response, indent=2))

# ---- cell 39
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

# ---- cell 42
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
            "name": "TIMESTAMP",
            "type": "long"
        }
    ],
    "version": "1.0"
}

create_schema_response = personalize.create_schema(
    name = "personalize-batch-recommendations-interactions",
    schema = json.dumps(interactions_schema)
)

schema_arn = create_schema_response['schemaArn']
print(json.dumps(create_schema_response, indent=2))

# ---- cell 44
dataset_type = "INTERACTIONS"
create_dataset_response = personalize.create_dataset(
    name = "personalize-batch-recommendations-ds",
    datasetType = dataset_type,
    datasetGroupArn = dataset_group_arn,
    schemaArn = schema_arn
)

interactions_dataset_arn = create_dataset_response['datasetArn']
print(json.dumps(create_dataset_response, indent=2))

# ---- cell 46
# REKO-ADAPTED: no SageMaker notebook instance (/opt/ml/metadata/resource-metadata.json): the region
# comes from the environment.
region = os.environ["REKO_REGION"]  # REKO-ADAPTED
print(region)

# ---- cell 48
s3 = boto3.client('s3', **S3_KW)  # REKO-ADAPTED: moto endpoint
account_id = "123456789012"  # REKO-ADAPTED: no STS; was boto3.client('sts').get_caller_identity().get('Account')
bucket_name = account_id + "-personalize-batch-recommendations"
print(bucket_name)
if region != "us-east-1":
    s3.create_bucket(Bucket=bucket_name, CreateBucketConfiguration={'LocationConstraint': region})
else:
    s3.create_bucket(Bucket=bucket_name)

# ---- cell 50
interactions_file_path = data_dir + "/" + interactions_filename
boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(interactions_filename).upload_file(interactions_file_path)  # REKO-ADAPTED: moto endpoint
interactions_s3DataPath = "s3://"+bucket_name+"/"+interactions_filename

# ---- cell 52
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

# ---- cell 54
# REKO-ADAPTED: IAM role creation skipped (no IAM here: create_role, two attach_role_policy and the
# 60 s wait for them to propagate); the role ARN comes from REKO_ROLE_ARN.
role_arn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED: instead of iam.create_role(...)
print(role_arn)

# ---- cell 56
create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "personalize-batch-recommendations",
    datasetArn = interactions_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, interactions_filename)
    },
    roleArn = role_arn
)

dataset_import_job_arn = create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_dataset_import_job_response, indent=2))

# ---- cell 58
# REKO-ADAPTED: `%%time` (a Jupyter cell magic) dropped

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

# ---- cell 62
print(personalize.list_recipes())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
list_recipes_response = personalize.list_recipes()  # REKO-CHECK: kept for the checks at the end

# ---- cell 64
recipe_arn = "arn:aws:personalize:::recipe/aws-user-personalization"

# ---- cell 66
create_solution_response = personalize.create_solution(
    name = "personalize-batch-recommendations-user-personalization",
    datasetGroupArn = dataset_group_arn,
    recipeArn = recipe_arn
)

solution_arn = create_solution_response['solutionArn']
print(json.dumps(create_solution_response, indent=2))

# ---- cell 68
create_solution_version_response = personalize.create_solution_version(
    solutionArn = solution_arn
)

# ---- cell 69
solution_version_arn = create_solution_version_response['solutionVersionArn']
print(json.dumps(create_solution_version_response, indent=2))

# ---- cell 71
in_progress_solution_versions = [
    solution_version_arn,
]

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    for solution_version_arn in in_progress_solution_versions:
        version_response = personalize.describe_solution_version(
            solutionVersionArn = solution_version_arn
        )
        status = version_response["solutionVersion"]["status"]
        
        if status == "ACTIVE":
            print("Build succeeded for {}".format(solution_version_arn))
            in_progress_solution_versions.remove(solution_version_arn)
        elif status == "CREATE FAILED":
            print("Build failed for {}".format(solution_version_arn))
            in_progress_solution_versions.remove(solution_version_arn)
    
    if len(in_progress_solution_versions) <= 0:
        break
    else:
        print("At least one solution build is still in progress")
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 73
# Create a dataframe for the items by reading in the correct source CSV
items_df = pd.read_csv(data_dir + '/artists.dat', delimiter='\t', index_col=0)

# Render some sample data
print(items_df.head(5))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 75
item_id_example = 987
artist = items_df.loc[item_id_example]['name']
print(artist)

# ---- cell 77
def get_artist_by_id(artist_id, artist_df=items_df):
    """
    This takes in an artist_id from Personalize so it will be a string,
    converts it to an int, and then does a lookup in a default or specified
    dataframe.
    
    A really broad try/except clause was added in case anything goes wrong.
    
    Feel free to add more debugging or filtering here to improve results if
    you hit an error.
    """
    try:
        return artist_df.loc[int(artist_id)]['name']
    except:
        return "Error obtaining artist"

# ---- cell 79
# A known good id
print(get_artist_by_id(artist_id="987"))
# A bad type of value
print(get_artist_by_id(artist_id="987.9393939"))
# Really bad values
print(get_artist_by_id(artist_id="Steve"))

# ---- cell 83
users_df = pd.read_csv(data_dir + '/user_artists.dat', delimiter='\t', index_col=0)
# Render some sample data
print(users_df.head(5))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 84
# REKO-ADAPTED: a fixed seed for the sample below: users_df has one row per (user, item), so an unseeded
# sample(3) can draw one user twice, and the join in cell 95 then fails on the repeated column (on
# Personalize too); seed 3 draws 3 distinct users.
import numpy as np  # REKO-ADAPTED
np.random.seed(3)  # REKO-ADAPTED
# Get the user list
batch_users = users_df.sample(3).index.tolist()

# Write the file to disk
json_input_filename = "json_input.json"
with open(data_dir + "/" + json_input_filename, 'w') as json_input:
    for user_id in batch_users:
        json_input.write('{"userId": "' + str(user_id) + '"}\n')

# ---- cell 85
# Showcase the input file:
print(open(data_dir + "/" + json_input_filename).read())  # REKO-ADAPTED: was !cat $data_dir"/"$json_input_filename

# ---- cell 87
# Upload files to S3
boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(json_input_filename).upload_file(data_dir+"/"+json_input_filename)  # REKO-ADAPTED: moto endpoint
s3_input_path = "s3://" + bucket_name + "/" + json_input_filename
print(s3_input_path)

# ---- cell 89
# Define the output path
s3_output_path = "s3://" + bucket_name + "/"
print(s3_output_path)

# ---- cell 91
batchInferenceJobArn = personalize.create_batch_inference_job (
    solutionVersionArn = solution_version_arn,
    jobName = "Batch-Inference-Job",
    roleArn = role_arn,
    jobInput = 
     {"s3DataSource": {"path": s3_input_path}},
    jobOutput = 
     {"s3DataDestination":{"path": s3_output_path}}
)
batchInferenceJobArn = batchInferenceJobArn['batchInferenceJobArn']

# ---- cell 93
current_time = datetime.now()
print("Import Started on: ", current_time.strftime("%I:%M:%S %p"))

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_dataset_inference_job_response = personalize.describe_batch_inference_job(
        batchInferenceJobArn = batchInferenceJobArn
    )
    status = describe_dataset_inference_job_response["batchInferenceJob"]['status']
    print("DatasetInferenceJob: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
    
current_time = datetime.now()
print("Import Completed on: ", current_time.strftime("%I:%M:%S %p"))

# ---- cell 95
s3 = boto3.client('s3', **S3_KW)  # REKO-ADAPTED: moto endpoint
export_name = json_input_filename + ".out"
s3.download_file(bucket_name, export_name, data_dir+"/"+export_name)

# Update DF rendering
pd.set_option('display.max_rows', 30)
with open(data_dir+"/"+export_name) as json_file:
    # Get the first line and parse it
    line = json.loads(json_file.readline())
    # Do the same for the other lines
    while line:
        # extract the user ID 
        col_header = "User: " + line['input']['userId']
        # Create a list for all the artists
        recommendation_list = []
        # Add all the entries
        for item in line['output']['recommendedItems']:
            artist = get_artist_by_id(item)
            recommendation_list.append(artist)
        if 'bulk_recommendations_df' in locals():
            new_rec_DF = pd.DataFrame(recommendation_list, columns = [col_header])
            bulk_recommendations_df = bulk_recommendations_df.join(new_rec_DF)
        else:
            bulk_recommendations_df = pd.DataFrame(recommendation_list, columns=[col_header])
        try:
            line = json.loads(json_file.readline())
        except:
            line = None
print(bulk_recommendations_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 97
paginator = personalize.get_paginator('list_solutions')
for paginate_result in paginator.paginate():
    for solution in paginate_result["solutions"]:
        print(solution["solutionArn"])

# ---- cell 99
# REKO-ADAPTED: left out: its ARN is the placeholder "INSERT ARN HERE" (it fails on Personalize too):
#   personalize.delete_solution(
#       solutionArn = "INSERT ARN HERE"
#   )

# ---- cell 101
paginator = personalize.get_paginator('list_datasets')
for paginate_result in paginator.paginate():
    for datasets in paginate_result["datasets"]:
        print(datasets["datasetArn"])

# ---- cell 103
# REKO-ADAPTED: left out: its ARN is the placeholder "INSERT ARN HERE" (it fails on Personalize too):
#   personalize.delete_dataset(
#       datasetArn = "INSERT ARN HERE"
#   )

# ---- cell 105
paginator = personalize.get_paginator('list_schemas')
for paginate_result in paginator.paginate():
    for schema in paginate_result["schemas"]:
        print(schema["schemaArn"])

# ---- cell 107
# REKO-ADAPTED: left out: its ARN is the placeholder "INSERT ARN HERE" (it fails on Personalize too):
#   personalize.delete_schema(
#       schemaArn = "INSERT ARN HERE"
#   )

# ---- cell 109
paginator = personalize.get_paginator('list_dataset_groups')
for paginate_result in paginator.paginate():
    for dataset_group in paginate_result["datasetGroups"]:
        print(dataset_group["datasetGroupArn"])

# ---- cell 111
# REKO-ADAPTED: left out: its ARN is the placeholder "INSERT ARN HERE" (it fails on Personalize too):
#   personalize.delete_dataset_group(
#       datasetGroupArn = "INSERT ARN HERE"
#   )

# ---- cell 113
# REKO-ADAPTED: left out: an IAM cell (no IAM here):
#   iam = boto3.client('iam')
#   
#   paginator = iam.get_paginator('list_roles')
#   for paginate_result in paginator.paginate():
#       for roles in paginate_result["Roles"]:
#           print(roles["RoleName"])

# ---- cell 115
# REKO-ADAPTED: left out: an IAM cell (no IAM here):
#   iam.list_attached_role_policies(
#       RoleName = "INSERT ROLE NAME HERE"
#   )

# ---- cell 117
# REKO-ADAPTED: left out: an IAM cell (no IAM here):
#   iam.detach_role_policy(
#       RoleName = "INSERT ROLE NAME HERE",
#       PolicyArn = "INSERT ARN HERE"
#   )

# ---- cell 119
# REKO-ADAPTED: left out: an IAM cell (no IAM here):
#   iam.delete_role(
#       RoleName = "INSERT ROLE NAME HERE"
#   )

# ---- REKO-CHECK: the printed results make sense.
assert describe_dataset_import_job_response["datasetImportJob"]["status"] == "ACTIVE"  # REKO-CHECK
assert personalize.describe_solution_version(solutionVersionArn=solution_version_arn)["solutionVersion"]["status"] == "ACTIVE"  # REKO-CHECK
assert recipe_arn in [r["recipeArn"] for r in list_recipes_response["recipes"]]  # REKO-CHECK
assert get_artist_by_id(artist_id="987") != "Error obtaining artist"  # REKO-CHECK: the stand-in catalog resolves ids
assert describe_dataset_inference_job_response["batchInferenceJob"]["status"] == "ACTIVE"  # REKO-CHECK
assert len(set(batch_users)) == 3, batch_users  # REKO-CHECK: the seeded sample has 3 distinct users
# REKO-CHECK: the output file in moto's bucket has one line per input user, in input order, each with 25
# distinct imported items, and not one list for all three users.
with open(data_dir + "/" + export_name) as f:  # REKO-CHECK
    out_lines = [json.loads(l) for l in f if l.strip()]  # REKO-CHECK
assert [l["input"]["userId"] for l in out_lines] == [str(u) for u in batch_users], out_lines  # REKO-CHECK
known = set(interactions_df["ITEM_ID"].astype(str))  # REKO-CHECK
for l in out_lines:  # REKO-CHECK
    recs = l["output"]["recommendedItems"]  # REKO-CHECK
    assert len(recs) == 25 and len(set(recs)) == 25, recs  # REKO-CHECK: Personalize's default numResults, distinct
    assert set(recs) <= known, set(recs) - known  # REKO-CHECK: only imported items
assert len({tuple(l["output"]["recommendedItems"]) for l in out_lines}) > 1, out_lines  # REKO-CHECK: personalized
assert list(bulk_recommendations_df.columns) == ["User: " + str(u) for u in batch_users], bulk_recommendations_df.columns  # REKO-CHECK
assert bulk_recommendations_df.shape == (25, 3), bulk_recommendations_df.shape  # REKO-CHECK
assert "Error obtaining artist" not in bulk_recommendations_df.values, bulk_recommendations_df  # REKO-CHECK
# REKO-CHECK: the paginated listings printed above include what the notebook made.
assert solution_arn in [s["solutionArn"] for p in personalize.get_paginator('list_solutions').paginate() for s in p["solutions"]]  # REKO-CHECK
assert dataset_group_arn in [g["datasetGroupArn"] for p in personalize.get_paginator('list_dataset_groups').paginate() for g in p["datasetGroups"]]  # REKO-CHECK
print("REKO-CHECK batch_recommendations: OK")
