# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   getting_started/notebooks/3.Best_Practices-Clientside.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own.
# REKO-ADAPTED: the notebook makes its customer key with `boto3.client('kms').create_key(...)`. Reko encrypts a
# dataset group with customer keys declared in its server configuration (`[[kms_keys]]`, docs/security.md), not
# with AWS KMS: the harness starts this case's server with such a key, whose ARN the script reads from
# REKO_KMS_KEY_ARN instead of creating one.

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

# ---- cell 1
import boto3

import json
import numpy as np
import pandas as pd
import time

personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
iam = boto3.client("iam")
s3 = boto3.client("s3", **S3_KW)  # REKO-ADAPTED: moto endpoint

# ---- cell 3
# REKO-ADAPTED: the bucket the getting-started CloudFormation stack would have made is created by the harness
# and named in REKO_BUCKET (the notebook asks to replace "personalize-demo" with it).
bucket = os.environ["REKO_BUCKET"]       # REKO-ADAPTED: was "personalize-demo" (replace with the name of your S3 bucket)
filename = "movie-lens-100k.csv"  # replace with a name that you want to save the dataset under

# ---- cell 6
# REKO-ADAPTED: `!wget -N http://files.grouplens.org/datasets/movielens/ml-100k.zip` and
# `!unzip -o ml-100k.zip` dropped; u.data is read from REKO_ML100K_DIR.
data = pd.read_csv(os.path.join(ML100K_DIR, 'u.data'), sep='\t', names=['USER_ID', 'ITEM_ID', 'RATING', 'TIMESTAMP'])  # REKO-ADAPTED: path
pd.set_option('display.max_rows', 5)
print(data)  # REKO-ADAPTED: Jupyter displays the bare expression `data`; printed instead

# ---- cell 10
# REKO-ADAPTED: this cell holds a fragment of the CloudFormation template (YAML, not Python: run in Jupyter
# it raises a SyntaxError); the notebook shows it for an update of the stack. Kept as comments:
#   # Amazon S3 - S3 Bucket Policy
#   # ---
#   # This policy allows Personalize to perform any actions on the 
#   # S3 bucket created by this template
#   PersonalizeBucketPolicy:
#     Type: AWS::S3::BucketPolicy
#     Properties:
#       Bucket: !Ref S3Bucket
#       PolicyDocument:
#         Version: '2012-10-17'
#         Id: 'PersonalizeS3BucketAccessPolicy'
#         Statement:
#             -
#                 Sid: 'PersonalizeS3AccessPolicy'
#                 Principal:
#                   Service: personalize.amazonaws.com
#                 Effect: Allow
#                 Action:
#                     - 's3:GetObject'
#                     - 's3:PutObject'
#                     - 's3:ListBucket'
#                 Resource:
#                 - !Sub arn:aws:s3:::${S3Bucket}
#                 - !Sub arn:aws:s3:::${S3Bucket}/*
#             -
#                 Sid: 'PersonalizeS3SSLOnlyPolicy'
#                 Principal: "*"
#                 Effect: Deny
#                 Action: "*"
#                 Resource:
#                     - !Sub arn:aws:s3:::${S3Bucket}
#                     - !Sub arn:aws:s3:::${S3Bucket}/*
#                 Condition:
#                     Bool:
#                         'aws:SecureTransport': 'false'

# ---- cell 14
bucket_owner_id = boto3.client('s3', **S3_KW).get_bucket_acl(Bucket=bucket)['Owner']['ID']  # REKO-ADAPTED: moto endpoint
print("This bucket belongs to: {} ".format(bucket_owner_id))

# ---- cell 17
# REKO-ADAPTED: another fragment of the CloudFormation template (YAML), kept as comments:
#   # Amazon S3 Bucket
#   # ---
#   S3Bucket:
#     Type: AWS::S3::Bucket
#     Properties
#       BucketName: !Ref BucketName
#       # Enabling Versioning
#       # ---
#       VersioningConfiguration:
#         Status: Enabled
#       # Tagging Ressources to leverage SSM's Application Manager.
#       # ---
#       Tags:
#         - Key: AppManagerCFNStackKey
#           Value: !Ref 'AWS::StackId'

# ---- cell 19
data = data[data['RATING'] > 3.6]                # keep only movies rated 3.6 and above
data = data[['USER_ID', 'ITEM_ID', 'TIMESTAMP']] # select columns that match the columns in the schema below
data.to_csv(filename, index=False)

boto3.Session().resource('s3', **S3_KW).Bucket(bucket).Object(filename).upload_file(filename)  # REKO-ADAPTED: moto endpoint

# ---- cell 21
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
    name = "DEMO-schema",
    schema = json.dumps(schema)
)

schema_arn = create_schema_response['schemaArn']
print(json.dumps(create_schema_response, indent=2))

# ---- cell 23
kmsKeyArn = os.environ["REKO_KMS_KEY_ARN"]  # REKO-ADAPTED: a key of the server's [[kms_keys]]; was boto3.client('kms').create_key(Description="personalize-data")['KeyMetadata']['Arn']
print(kmsKeyArn)
key_accessor_policy_name = "AccessPersonalizeDatasetPolicy"
key_accessor_policy = {
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "kms:Encrypt",
      "kms:Decrypt"
    ],
    "Resource": [ kmsKeyArn ]
  }
}
# REKO-ADAPTED: IAM policy and role creation skipped (no IAM here: iam.create_policy with the policy above,
# iam.create_role with the trust policy below, iam.attach_role_policy); the role ARN comes from REKO_ROLE_ARN.
#   key_access_policy = iam.create_policy(
#       PolicyName = key_accessor_policy_name,
#       PolicyDocument = json.dumps(key_accessor_policy)
#   )

key_access_role_name = "AccessPersonalizeDatasetRole"
assume_role_policy_document = {
    "Version": "2012-10-17",
    "Statement": [
        {
          "Effect": "Allow",
          "Principal": {
            "Service": "personalize.amazonaws.com"
          },
          "Action": "sts:AssumeRole"
        }
    ]
}

#   create_role_response = iam.create_role(
#       RoleName = key_access_role_name,
#       AssumeRolePolicyDocument = json.dumps(assume_role_policy_document)
#   )
#   iam.attach_role_policy(
#       RoleName = create_role_response["Role"]["RoleName"],
#       PolicyArn = key_access_policy["Policy"]["Arn"]
#   )

keyAccessRoleArn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED: was create_role_response["Role"]["Arn"]
print(keyAccessRoleArn)

# ---- cell 26
create_dataset_group_response = personalize.create_dataset_group(
    name = "DEMO-dataset-group",
    roleArn = keyAccessRoleArn,
    kmsKeyArn = kmsKeyArn
)

dataset_group_arn = create_dataset_group_response['datasetGroupArn']
print(json.dumps(create_dataset_group_response, indent=2))

# ---- cell 28
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

# ---- cell 30
dataset_type = "INTERACTIONS"
create_dataset_response = personalize.create_dataset(
    name = "DEMO-dataset",
    datasetType = dataset_type,
    datasetGroupArn = dataset_group_arn,
    schemaArn = schema_arn
)

dataset_arn = create_dataset_response['datasetArn']
print(json.dumps(create_dataset_response, indent=2))

# ---- cell 33
# REKO-ADAPTED: the notebook never defines `role_arn` (a NameError on Personalize too; notebook 1 reads it from
# the stack's SSM parameter): the stack's role, from REKO_ROLE_ARN.
role_arn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED
# REKO-ADAPTED: CreateDatasetImportJob needs the dataset ACTIVE (Reko answers ResourceInUseException before,
# naming its status); notebook 1 waits for it, this one does not: a wait (up to 60 s) for describe_dataset.
for _ in range(600):  # REKO-ADAPTED: up to 60 s
    if personalize.describe_dataset(datasetArn=dataset_arn)["dataset"]["status"] == "ACTIVE":  # REKO-ADAPTED
        break  # REKO-ADAPTED
    time.sleep(0.1)  # REKO-ADAPTED
create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "DEMO-dataset-import-job",
    datasetArn = dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket, filename)
    },
    roleArn = role_arn
)

dataset_import_job_arn = create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_dataset_import_job_response, indent=2))

# ---- cell 35
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

# ---- cell 37
list_recipes_response = personalize.list_recipes()
# REKO-ADAPTED: the legacy HRNN recipes are no longer available in Amazon Personalize ("Legacy HRNN recipes are
# no longer available", its Developer Guide), which recommends aws-user-personalization instead; Reko does not
# train them either (NotImplementedException).
recipe_arn = "arn:aws:personalize:::recipe/aws-user-personalization" # REKO-ADAPTED: was aws-hrnn ("aws-hrnn selected for demo purposes")
print(list_recipes_response)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 40
create_solution_response = personalize.create_solution(
    name = "DEMO-solution",
    datasetGroupArn = dataset_group_arn,
    recipeArn = recipe_arn
)

solution_arn = create_solution_response['solutionArn']
print(json.dumps(create_solution_response, indent=2))

# ---- cell 42
create_solution_version_response = personalize.create_solution_version(
    solutionArn = solution_arn
)

solution_version_arn = create_solution_version_response['solutionVersionArn']
print(json.dumps(create_solution_version_response, indent=2))

# ---- cell 44
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

# ---- cell 46
get_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = solution_version_arn
)

print(json.dumps(get_solution_metrics_response, indent=2))

# ---- cell 49
create_campaign_response = personalize.create_campaign(
    name = "DEMO-campaign",
    solutionVersionArn = solution_version_arn,
    minProvisionedTPS = 1
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

# ---- cell 54
# REKO-ADAPTED: path; `header=None` added: u.item has no header line, and without it the first film (Toy Story,
# ITEM_ID 1) becomes the header, so the title lookups below fail with an IndexError whenever item 1 is drawn
# or recommended (on Personalize too).
items = pd.read_csv(os.path.join(ML100K_DIR, 'u.item'), sep='|', usecols=[0,1], encoding='latin-1', header=None)  # REKO-ADAPTED: path, header=None
items.columns = ['ITEM_ID', 'TITLE']

user_id, item_id, _ = data.sample().values[0]
item_title = items.loc[items['ITEM_ID'] == item_id].values[0][-1]
print("USER: {}".format(user_id))
print("ITEM: {}".format(item_title))

print(items)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 56
get_recommendations_response = personalize_runtime.get_recommendations(
    campaignArn = campaign_arn,
    userId = str(user_id),
    itemId = str(item_id)
)

item_list = get_recommendations_response['itemList']
title_list = [items.loc[items['ITEM_ID'] == int(item['itemId'])].values[0][-1] for item in item_list]  # REKO-ADAPTED: np.int (removed in NumPy 1.24) -> int

print("Recommendations: {}".format(json.dumps(title_list, indent=2)))

# ---- REKO-CHECK: the printed results make sense.
group = describe_dataset_group_response["datasetGroup"]  # REKO-CHECK
assert group["status"] == "ACTIVE", group  # REKO-CHECK
# REKO-CHECK: the group is encrypted with the customer key and records the role, as CreateDatasetGroup was asked.
assert group.get("kmsKeyArn") == kmsKeyArn and group.get("roleArn") == keyAccessRoleArn, group  # REKO-CHECK
listed = personalize.list_dataset_groups()["datasetGroups"]  # REKO-CHECK
assert [g["datasetGroupArn"] for g in listed] == [dataset_group_arn], listed  # REKO-CHECK
assert isinstance(bucket_owner_id, str) and bucket_owner_id, bucket_owner_id  # REKO-CHECK: moto answered the ACL
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
assert len(rec_ids) == 25 and len(set(rec_ids)) == 25, rec_ids  # REKO-CHECK: 25 distinct items (the default)
known = set(data["ITEM_ID"].astype(str))  # REKO-CHECK
assert set(rec_ids) <= known, set(rec_ids) - known  # REKO-CHECK: only items from the imported data
assert len(title_list) == 25 and all(isinstance(t, str) and t for t in title_list), title_list  # REKO-CHECK
assert isinstance(item_title, str) and item_title, item_title  # REKO-CHECK
# REKO-CHECK: personalized, not one list for everybody: other users get different lists.
others = [u for u in data["USER_ID"].unique()[:20] if u != user_id][:5]  # REKO-CHECK
lists = {tuple(x["itemId"] for x in personalize_runtime.get_recommendations(  # REKO-CHECK
    campaignArn=campaign_arn, userId=str(u))["itemList"]) for u in others}  # REKO-CHECK
lists.add(tuple(rec_ids))  # REKO-CHECK
assert len(lists) > 1, "every user got the same recommendations"  # REKO-CHECK
print("REKO-CHECK getting_started_3: OK")
