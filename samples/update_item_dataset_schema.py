# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/core_use_cases/updating_datasets/update-item-dataset-schema-example.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own.
# REKO-ADAPTED: the notebook downloads the Retail Demo Store's users.csv, items.csv and interactions.csv; the
# suite has only MovieLens 100K, written in their layout (see write_retail_demo_store_csvs).

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


def write_retail_demo_store_csvs(dest):  # REKO-ADAPTED: stands in for downloading the Retail Demo Store CSVs
    """MovieLens 100K as the Retail Demo Store's Personalize files, in the columns this notebook reads:
    users.csv (USER_ID, AGE, GENDER), items.csv (ITEM_ID `item-<id>`, PRICE from the release year, CATEGORY_L1 /
    CATEGORY_L2 the first / last genre, PRODUCT_DESCRIPTION, GENDER, PROMOTED: the notebook drops the last four
    and says ITEM_ID, PRICE and CATEGORY_L1 are left) and interactions.csv (ITEM_ID, USER_ID, EVENT_TYPE Purchase
    for 5 stars, AddToCart for 4, View otherwise, TIMESTAMP, DISCOUNT Yes or No)."""
    import pandas as pd  # REKO-ADAPTED
    ratings = pd.read_csv(os.path.join(ML100K_DIR, "u.data"), sep="\t", names=["user", "item", "rating", "ts"])  # REKO-ADAPTED
    users = pd.read_csv(os.path.join(ML100K_DIR, "u.user"), sep="|", header=None,  # REKO-ADAPTED
                        names=["user", "age", "gender", "occupation", "zip"])  # REKO-ADAPTED
    items = pd.read_csv(os.path.join(ML100K_DIR, "u.item"), sep="|", encoding="latin-1", header=None)  # REKO-ADAPTED
    with open(os.path.join(ML100K_DIR, "u.genre"), encoding="latin-1") as f:  # REKO-ADAPTED
        genres = [line.rsplit("|", 1)[0] for line in f if line.strip()]  # REKO-ADAPTED
    item_id = lambda i: "item-%04d" % i  # REKO-ADAPTED
    pd.DataFrame({"USER_ID": users["user"], "AGE": users["age"], "GENDER": users["gender"]}).to_csv(  # REKO-ADAPTED
        os.path.join(dest, "users.csv"), index=False)  # REKO-ADAPTED
    rows = []  # REKO-ADAPTED
    for row in items.itertuples(index=False):  # REKO-ADAPTED
        film_genres = [g.lower() for g, on in zip(genres, row[5:5 + len(genres)]) if on]  # REKO-ADAPTED
        year = int(row[2][-4:]) if isinstance(row[2], str) else 1990  # REKO-ADAPTED
        rows.append({"ITEM_ID": item_id(row[0]), "PRICE": round(1.99 + (year - 1920) / 10, 2),  # REKO-ADAPTED
                     "CATEGORY_L1": film_genres[0], "CATEGORY_L2": film_genres[-1],  # REKO-ADAPTED
                     "PRODUCT_DESCRIPTION": "%s: a %s film." % (row[1].strip(), " and ".join(film_genres)),  # REKO-ADAPTED
                     "GENDER": "U", "PROMOTED": "Y" if row[0] % 7 == 0 else ""})  # REKO-ADAPTED
    pd.DataFrame(rows).to_csv(os.path.join(dest, "items.csv"), index=False)  # REKO-ADAPTED
    events = {5: "Purchase", 4: "AddToCart"}  # REKO-ADAPTED
    pd.DataFrame({"ITEM_ID": ratings["item"].map(item_id), "USER_ID": ratings["user"],  # REKO-ADAPTED
                  "EVENT_TYPE": [events.get(r, "View") for r in ratings["rating"]], "TIMESTAMP": ratings["ts"],  # REKO-ADAPTED
                  "DISCOUNT": ["Yes" if (u + i) % 3 == 0 else "No" for u, i in zip(ratings["user"], ratings["item"])]  # REKO-ADAPTED
                  }).sort_values("TIMESTAMP").to_csv(os.path.join(dest, "interactions.csv"), index=False)  # REKO-ADAPTED


def head(path, n):  # REKO-ADAPTED: `!head -n N path`
    with open(path) as f:  # REKO-ADAPTED
        for _, line in zip(range(n), f):  # REKO-ADAPTED
            print(line, end="")  # REKO-ADAPTED

# ---- cell 3
import sys
# REKO-ADAPTED: `!pip install --upgrade pip` and `--force-reinstall botocore` dropped (offline; the harness's boto3 is used)

# ---- cell 5
import boto3
import json
import pandas as pd

import time
import csv  
import os

from io import StringIO
import uuid
from botocore.exceptions import ClientError

import numpy
import botocore
from datetime import datetime

# ---- cell 7
# Setup clients
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
s3 = boto3.Session().client('s3', **S3_KW)  # REKO-ADAPTED: moto endpoint

# ---- cell 9
# Use an epoch timestamp w/ precision to the nearest millisecond to present a pseduo-randomly generated value for token. 
# Alternatively, enter your own *lowercase alphanumeric* string of 5 characters here. The 'token` is used for naming aws resources. 
token = str(round(time.time()*1000))[-5:]
print(f'The value of your token is:"{token}".')

# Bucket name *must* contain the substring 'Personalize' or 'personalize'. 
#  This is to ensure compliance with the execution role of this Sagemaker Notebook instance.
bucket_name = 'personalize-dataset-schema-update-example-' + token

# If creating bucket outside of us-east-1, specify the region code within CreateBucketConfiguration.LocationConstraint attribute.
# Reference: https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/s3/client/create_bucket.html
bucket = s3.create_bucket(
    Bucket=bucket_name
)

# The Bucket Policy we need to attach to the bucket in order to allow Amazon Personalize to access it.
bucket_policy = {
    'Version': '2012-10-17',
    'Id': 'PersonalizeS3BucketAccessPolicy',
    'Statement': [
        {
            'Sid': 'PersonalizeS3BucketAccessPolicy',
            'Effect': 'Allow',
            'Principal': {
                'Service': 'personalize.amazonaws.com'
            },
            'Action': [
                's3:GetObject',
                's3:ListBucket',
                's3:PutObject'
            ],
            'Resource': [
                f'arn:aws:s3:::{bucket_name}',
                f'arn:aws:s3:::{bucket_name}/*'
            ]
        }
    ]
}

# Convert the policy to a JSON string and attach it to the bucket
bucket_policy = json.dumps(bucket_policy)
s3.put_bucket_policy(Bucket=bucket_name, Policy=bucket_policy)


# prints out the bucket
print('Bucket: {}'.format(bucket['Location']))

# ---- cell 12
# REKO-ADAPTED: IAM role and policy creation skipped (no IAM here); the role ARN comes from REKO_ROLE_ARN:
#   # Set up IAM for Personalize
#   
#   iam = boto3.client('iam')
#   
#   # role_name must begin with the substring 'PersonalizeRole' to ensure compliance with the Execution Role of this Sagemaker Notebook instance.
#   role_name = 'PersonalizeRole-'+token
#   
#   print("Creating IAM Role...")
#   role_arn = iam.create_role(
#       RoleName=role_name,
#       # Allow Amazon Personalize to assume this role
#       AssumeRolePolicyDocument=json.dumps({
#       "Version": "2012-10-17",
#       "Statement": [
#           {
#               "Effect": "Allow",
#               "Principal": {
#                   "Service": "personalize.amazonaws.com"
#               },
#               "Action": "sts:AssumeRole"
#           }
#       ]
#   }))
#   role_arn = role_arn['Role']['Arn']
#   
#   print("Created IAM Role. IAM Role ARN: " + role_arn)
#   
#   
#   # Create the IAM policy for Personalize
#   personalize_policy_doc = {
#       'Version': '2012-10-17',
#       'Id': 'PersonalizeS3BucketAccessPolicy-'+token,
#       'Statement': [
#           {
#               'Sid': 'PersonalizeS3BucketAccessPolicy',
#               'Action': [
#                   's3:GetObject',
#                   's3:ListBucket',
#                   's3:PutObject'
#               ],
#               'Resource': [
#                   f'arn:aws:s3:::{bucket_name}',
#                   f'arn:aws:s3:::{bucket_name}/*'
#               ],
#               'Effect': 'Allow'
#           }
#       ]
#   }
#   personalize_policy_doc = json.dumps(personalize_policy_doc)
#   
#   # role_name must begin with the substring 'PersonalizePolicy' to ensure compliance with the Execution Role of this Sagemaker Notebook instance.
#   iam_policy_name = 'PersonalizePolicy-'+token
#   
#   print("Creating IAM Policy...")
#   policy_response = iam.create_policy(
#       PolicyName=iam_policy_name,
#       PolicyDocument=personalize_policy_doc,
#       Description='Policy to allow Personalize access to our S3 bucket'
#   )
#   
#   # get arn of the policy
#   policy_arn = policy_response['Policy']['Arn']
#   policy_version = policy_response['Policy']['DefaultVersionId']
#   print("Created IAM Policy. Policy ARN: " + policy_arn)
#   
#   # Attach the policy to the role
#   iam.attach_role_policy(
#       RoleName=role_name,
#       PolicyArn=policy_arn
#   )
#   print("Attached policy to Role")
role_name = 'PersonalizeRole-'+token  # REKO-ADAPTED: kept from the skipped cell
role_arn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED: instead of iam.create_role(...)['Role']['Arn']
print("Created IAM Role. IAM Role ARN: " + role_arn)  # REKO-ADAPTED: kept from the skipped cell

# ---- cell 16
users_filename, items_filename, interactions_filename = "users.csv", "items.csv", "interactions.csv"

# copy the datasets from the public s3 bucket to our private s3 bucket
# REKO-ADAPTED: the three `!wget https://code.retaildemostore.retail.aws.dev/csvs/{file}` replaced: MovieLens 100K is written in their layout.
write_retail_demo_store_csvs(".")  # REKO-ADAPTED
for file in [users_filename, items_filename, interactions_filename]:
    boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(file).upload_file(file)  # REKO-ADAPTED: moto endpoint
    print(f'Finishing copying {file} to {bucket_name}')

# ---- cell 18
# Users Dataset
get_users_csv_response = s3.get_object(Bucket=bucket_name, Key=users_filename)
users_csv_content = get_users_csv_response['Body'].read().decode('utf-8')

# Create a pandas DataFrame from the CSV content
users_df = pd.read_csv(StringIO(users_csv_content))
print('\nUsers:-----------')
print(users_df.head())  # Inspect the first few rows of the DataFrame


# Items Dataset
get_items_csv_response = s3.get_object(Bucket=bucket_name, Key=items_filename)
items_csv_content = get_items_csv_response['Body'].read().decode('utf-8')

# Create a pandas DataFrame from the CSV content
items_basic_df = pd.read_csv(StringIO(items_csv_content))
print('\nOriginal Items:-----------')
print(items_basic_df.head())  # Inspect the first few rows of the DataFrame


# Interactions Dataset
get_interactions_csv_response = s3.get_object(Bucket=bucket_name, Key=interactions_filename)
interactions_csv_content = get_interactions_csv_response['Body'].read().decode('utf-8')

# Create a pandas DataFrame from the CSV content
interactions_df = pd.read_csv(StringIO(interactions_csv_content))

interactions_df['USER_ID'] = interactions_df.USER_ID.astype(str)
interactions_df['TIMESTAMP'] = interactions_df.TIMESTAMP.astype(int)
print('\nInteractions:-----------')
print(interactions_df.head())  # Inspect the first few rows of the DataFrame

# ---- cell 21

items_basic_filename = 'items_basic.csv'

# Remove the specified columns
columns_to_remove = ["PRODUCT_DESCRIPTION", "GENDER", "CATEGORY_L2", "PROMOTED"]
items_basic_df = items_basic_df.drop(columns=columns_to_remove)

# Save the modified DataFrame to a new CSV file
items_basic_df.to_csv(items_basic_filename, index=False)

# Upload the modified CSV file to an S3 bucket
s3.upload_file(items_basic_filename, bucket_name, items_basic_filename)

print(f"File '{items_basic_filename}' has been uploaded to S3 bucket '{bucket_name}' with key '{items_basic_filename}'.")

print('\n Basic Items dataset preview:-----------')
print(items_basic_df.head())  # Inspect the first few rows of the DataFrame

# ---- cell 28
users_schema = {
    "type": "record",
    "name": "Users",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {
            "name": "USER_ID",
            "type": "string"
        },
        {
            "name": "AGE",
            "type": "int"
        },
        {
            "name": "GENDER",
            "type": "string",
            "categorical": True,
        }
    ],
    "version": "1.0"
}

try:
    users_schema_name = 'users-schema-'+token
    create_schema_response = personalize.create_schema(
        name = users_schema_name,
        domain = "ECOMMERCE",
        schema = json.dumps(users_schema)
    )
    print(json.dumps(create_schema_response, indent=2))
    users_schema_arn = create_schema_response['schemaArn']
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this schema, seemingly')
    paginator = personalize.get_paginator('list_schemas')
    for paginate_result in paginator.paginate():
        for schema in paginate_result['schemas']:
            if schema['name'] == users_schema_name:
                users_schema_arn = schema['schemaArn']
                print(f"Using existing schema: {users_schema_arn}")
                break

# ---- cell 30
# In this chapter, we are going to train our solution on only the three folloing columns: ITEM_ID, PRICE, CATEGORY_L1.
# A later portion of this notebook will go over how to update the schema to include additional columns 
# such as `CATEGORY_L2`, `PRODUCT_DESCRIPTION`, and `GENDER`. 

items_schema = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {
            "name": "ITEM_ID",
            "type": "string"
        },
        {
            "name": "PRICE",
            "type": "float"
        },
        {
            "name": "CATEGORY_L1",
            "type": "string",
            "categorical": True,
        },
    ],
    "version": "1.0"
}

try:
    items_schema_name = 'items-schema-'+token
    create_schema_response = personalize.create_schema(
        name = items_schema_name,
        domain = 'ECOMMERCE',
        schema = json.dumps(items_schema)
    )
    items_schema_arn = create_schema_response['schemaArn']
    print(json.dumps(create_schema_response, indent=2))
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this schema, seemingly')
    paginator = personalize.get_paginator('list_schemas')
    for paginate_result in paginator.paginate():
        for schema in paginate_result['schemas']:
            if schema['name'] == items_schema_name:
                items_schema_arn = schema['schemaArn']
                print(f"Using existing schema: {items_schema_arn}")
                break

# ---- cell 32
interactions_schema = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {
            "name": "ITEM_ID",
            "type": "string"
        },
        {
            "name": "USER_ID",
            "type": "string"
        },
        {
            "name": "EVENT_TYPE",  # "View", "Purchase", etc.
            "type": "string"
        },
        {
            "name": "TIMESTAMP",
            "type": "long"
        },
        {
            "name": "DISCOUNT",  # This is the contextual metadata - "Yes" or "No".
            "type": "string"
        },
    ],
    "version": "1.0"
}

try:
    interactions_schema_name = 'interactions-schema-'+token
    create_schema_response = personalize.create_schema(
        name = interactions_schema_name,
        domain = "ECOMMERCE",
        schema = json.dumps(interactions_schema)
    )
    print(json.dumps(create_schema_response, indent=2))
    interactions_schema_arn = create_schema_response['schemaArn']
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this schema, seemingly')
    paginator = personalize.get_paginator('list_schemas')
    for paginate_result in paginator.paginate():
        for schema in paginate_result['schemas']:
            if schema['name'] == interactions_schema_name:
                interactions_schema_arn = schema['schemaArn']
                print(f"Using existing schema: {interactions_schema_arn}")
                break

# ---- cell 35
try:
    dataset_group_name = 'retaildemostore-products-DSG-'+token
    create_dataset_group_response = personalize.create_dataset_group(
        name = dataset_group_name,
        domain = 'ECOMMERCE'
    )
    dataset_group_arn = create_dataset_group_response['datasetGroupArn']
    print(json.dumps(create_dataset_group_response, indent=2))
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this dataset group, seemingly')
    paginator = personalize.get_paginator('list_dataset_groups')
    for paginate_result in paginator.paginate():
        for dataset_group in paginate_result['datasetGroups']:
            if dataset_group['name'] == dataset_group_name:
                dataset_group_arn = dataset_group['datasetGroupArn']
                break
                
print(f'DatasetGroupArn = {dataset_group_arn}')

# ---- cell 37
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
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(15)

# ---- cell 40
try:
    dataset_type = "USERS"
    users_dataset_name = "retaildemostore-products-users-ds-"+token
    create_dataset_response = personalize.create_dataset(
        name = users_dataset_name,
        datasetType = dataset_type,
        datasetGroupArn = dataset_group_arn,
        schemaArn = users_schema_arn
    )

    users_dataset_arn = create_dataset_response['datasetArn']
    print(json.dumps(create_dataset_response, indent=2))
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this dataset, seemingly')
    paginator = personalize.get_paginator('list_datasets')
    for paginate_result in paginator.paginate(datasetGroupArn = dataset_group_arn):
        for dataset in paginate_result['datasets']:
            if dataset['name'] == users_dataset_name:
                users_dataset_arn = dataset['datasetArn']
                break
                
print(f'Users dataset ARN = {users_dataset_arn}')

# ---- cell 42
try:
    dataset_type = "ITEMS"
    items_dataset_name = "retaildemostore-products-items-ds-"+token
    create_dataset_response = personalize.create_dataset(
        name = items_dataset_name,
        datasetType = dataset_type,
        datasetGroupArn = dataset_group_arn,
        schemaArn = items_schema_arn
    )

    items_dataset_arn = create_dataset_response['datasetArn']
    print(json.dumps(create_dataset_response, indent=2))
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this dataset, seemingly')
    paginator = personalize.get_paginator('list_datasets')
    for paginate_result in paginator.paginate(datasetGroupArn = dataset_group_arn):
        for dataset in paginate_result['datasets']:
            if dataset['name'] == items_dataset_name:
                items_dataset_arn = dataset['datasetArn']
                break
                
print(f'Items dataset ARN = {items_dataset_arn}')

# ---- cell 44
try:
    dataset_type = "INTERACTIONS"
    interactions_dataset_name = "retaildemostore-products-interactions-ds-"+token
    create_dataset_response = personalize.create_dataset(
        name = interactions_dataset_name,
        datasetType = dataset_type,
        datasetGroupArn = dataset_group_arn,
        schemaArn = interactions_schema_arn
    )

    interactions_dataset_arn = create_dataset_response['datasetArn']
    print(json.dumps(create_dataset_response, indent=2))
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this dataset, seemingly')
    paginator = personalize.get_paginator('list_datasets')
    for paginate_result in paginator.paginate(datasetGroupArn = dataset_group_arn):
        for dataset in paginate_result['datasets']:
            if dataset['name'] == interactions_dataset_name:
                interactions_dataset_arn = dataset['datasetArn']
                break
                
print(f'Interactions dataset ARN = {interactions_dataset_arn}')

# ---- cell 46
# REKO-ADAPTED: `%%time` dropped

dataset_arns = [ items_dataset_arn, users_dataset_arn, interactions_dataset_arn ]

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    for dataset_arn in reversed(dataset_arns):
        response = personalize.describe_dataset(
            datasetArn = dataset_arn
        )
        status = response["dataset"]["status"]

        if status == "ACTIVE":
            print(f'Dataset {dataset_arn} successfully completed')
            dataset_arns.remove(dataset_arn)
        elif status == "CREATE FAILED":
            print(f'Dataset {dataset_arn} failed')
            if response['dataset'].get('failureReason'):
                print('   Reason: ' + response['dataset']['failureReason'])
            dataset_arns.remove(dataset_arn)

    if len(dataset_arns) > 0:
        print('At least one dataset is still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(15)
    else:
        print("All datasets have completed")
        break

# ---- cell 50
import_job_suffix = str(uuid.uuid4())[:8]

users_create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "import-job-users-" + import_job_suffix,
    datasetArn = users_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, users_filename)
    },
    roleArn = role_arn
)

users_dataset_import_job_arn = users_create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(users_create_dataset_import_job_response, indent=2))

# ---- cell 52

items_create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "import-job-items-" + import_job_suffix,
    datasetArn = items_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, items_basic_filename)
    },
    roleArn = role_arn
)

items_dataset_import_job_arn = items_create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(items_create_dataset_import_job_response, indent=2))

# ---- cell 54
interactions_create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "import-job-interactions-" + import_job_suffix,
    datasetArn = interactions_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, interactions_filename)
    },
    roleArn = role_arn
)

interactions_dataset_import_job_arn = interactions_create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(interactions_create_dataset_import_job_response, indent=2))

# ---- cell 57
# REKO-ADAPTED: `%%time` dropped

import_job_arns = [ users_dataset_import_job_arn, items_dataset_import_job_arn, interactions_dataset_import_job_arn ]

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    for job_arn in reversed(import_job_arns):
        import_job_response = personalize.describe_dataset_import_job(
            datasetImportJobArn = job_arn
        )
        status = import_job_response["datasetImportJob"]['status']

        if status == "ACTIVE":
            print(f'Import job {job_arn} successfully completed')
            import_job_arns.remove(job_arn)
        elif status == "CREATE FAILED":
            print(f'Import job {job_arn} failed')
            if import_job_response["datasetImportJob"].get('failureReason'):
                print('   Reason: ' + import_job_response["datasetImportJob"]['failureReason'])
            import_job_arns.remove(job_arn)

    if len(import_job_arns) > 0:
        print('At least one dataset import job still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
    else:
        print("All import jobs have ended")
        break

# ---- cell 62
# This is a User Segmentation Recipe
item_attribute_affinity_recipe_arn = 'arn:aws:personalize:::recipe/aws-item-attribute-affinity'

# ---- cell 65
solution_version_arn = None
solution_arn = None
solution_name = "my-original-solution-"+token


try:
    create_solution_response = personalize.create_solution(
        name = solution_name,
        datasetGroupArn = dataset_group_arn,
        recipeArn = item_attribute_affinity_recipe_arn
    )

    solution_arn = create_solution_response['solutionArn']
    print(json.dumps(create_solution_response, indent=2))
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this solution, seemingly')
    paginator = personalize.get_paginator('list_solutions')
    for paginate_result in paginator.paginate(datasetGroupArn = dataset_group_arn):
        for solution in paginate_result['solutions']:
            if solution['name'] == solution_name:
                solution_arn = solution['solutionArn']
                print(f'Item Attribute Affinity solution ARN = {solution_arn}')
                
                response = personalize.list_solution_versions(
                    solutionArn = solution_arn,
                    maxResults = 100
                )
                if len(response['solutionVersions']) > 0:
                    solution_version_arn = response['solutionVersions'][-1]['solutionVersionArn']
                    print(f'Will use most recent solution version for this solution: {solution_version_arn}')
                    
                break

# ---- cell 67
if not solution_version_arn:
    create_solution_version_response = personalize.create_solution_version(
        solutionArn = solution_arn
    )

    solution_version_arn = create_solution_version_response['solutionVersionArn']
    print(json.dumps(create_solution_version_response, indent=2))
else:
    print(f'Solution version {solution_version_arn} already exists; not creating')

# ---- cell 69
confirm_schema = personalize.describe_schema(schemaArn=items_schema_arn)

print(json.dumps(confirm_schema['schema'], indent=2, default=str))

# ---- cell 72
# REKO-ADAPTED: `%%time` dropped

print(solution_version_arn)  # REKO-ADAPTED: bare expression printed

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    soln_ver_response = personalize.describe_solution_version(
        solutionVersionArn = solution_version_arn
    )
    status = soln_ver_response["solutionVersion"]["status"]

    if status == "ACTIVE":
        print(f'Solution version {solution_version_arn} successfully completed')
        print(json.dumps(soln_ver_response, indent=2, default=str))
        print("Solution version has completed")
        break
    elif status == "CREATE FAILED":
        print(f'Solution version {solution_version_arn} failed')
        if soln_ver_response["solutionVersion"].get('failureReason'):
            print('   Reason: ' + soln_ver_response["solutionVersion"]['failureReason'])
        break
    else:
        print('Solution version is still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 76
# TODO: Fill in the size of the input and output variables
x = 5
y = 10

# ---- cell 79
categories = items_basic_df['CATEGORY_L1'].unique()
print("Available categories:")
print(categories)

# Randomly select x categories
sample_categories = numpy.random.choice(categories, x, False)
print("Randomly selected categories:")
print(sample_categories)

# Generate the input file
job_input_filename = 'job_input.json'
with open(job_input_filename, 'w') as json_input:
    for category in sample_categories:
        # Write line that specifies the query for users with an affinity for the CATEGORY_L1 field
        json_input.write(f'{{"itemAttributes": "ITEMS.CATEGORY_L1 = \\"{category}\\""}}\n')

# Confirm the file matches the required format:
# One very important characteristic of the job input file is that the itemAttributes query expression 
# for each segment must be fully defined in a single line.
print("\nPreviewing input file... ")
head(job_input_filename, 5)  # REKO-ADAPTED: was `!head -n 5 $job_input_filename`
print('\n')


# Upload job input file to S3
s3_input_key = "batch-job-inputs/item-attribute-affinity-job/" + job_input_filename
s3.upload_file(job_input_filename, bucket_name, s3_input_key)

if s3_input_key in [object['Key'] for object in s3.list_objects(Bucket=bucket_name)['Contents']]:
    print('File was uploaded successfully!')
else:
    print('File was not uploaded!')


# We need to define an input location in our s3 bucket where the segmention job gets its input, 
# and an output location where the segmentation job writes its output.
s3_input_path = "s3://" + bucket_name + "/" + s3_input_key
s3_output_path = "s3://" + bucket_name + "/batch-job-outputs/item-attribute-affinity-job/"

# ---- cell 81
# Create and start a Batch Segment Job using our latest Solution Version
response = personalize.create_batch_segment_job (
    solutionVersionArn = solution_version_arn,
    jobName = "retaildemostore-item-attribute-affinity-job-" + token,
    roleArn = role_arn,
    jobInput = {"s3DataSource": {"path": s3_input_path}},
    jobOutput = {"s3DataDestination":{"path": s3_output_path}},
    numResults = y
)
item_attribute_affinity_job_arn = response['batchSegmentJobArn']
print(json.dumps(response, indent=2, default=str))

# ---- cell 83
# REKO-ADAPTED: `%%time` dropped
current_time = datetime.now()
print("\nImport Started on: ", current_time.strftime("%I:%M:%S %p"))

max_time = time.time() + 3*60*60 # 3 hours

while time.time() < max_time:
    response = personalize.describe_batch_segment_job(
        batchSegmentJobArn = item_attribute_affinity_job_arn
    )
    status = response["batchSegmentJob"]['status']
    print("DatasetSegmentJob: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
current_time = datetime.now()
print("Import Completed on: ", current_time.strftime("%I:%M:%S %p"))

job_output_file = job_input_filename + ".out"
export_name = 'batch-job-outputs/item-attribute-affinity-job/' + job_output_file
s3.download_file(bucket_name, export_name, job_output_file)

head(job_output_file, 5)  # REKO-ADAPTED: was `!head -n 5 $job_output_file`

# ---- cell 90
# Note: All new fields must support 'null' data. See more here: https://docs.aws.amazon.com/personalize/latest/dg/updating-dataset-schema.html.

updated_items_schema = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {
            "name": "ITEM_ID",
            "type": "string"
        },
        {
            "name": "PRICE",
            "type": "float"
        },
        {
            "name": "CATEGORY_L1",
            "type": "string",
            "categorical": True,
        },
        {
            "name": "CATEGORY_L2",
            "type": ["string", "null"],
            "categorical": True,
        },
        {
            "name": "PRODUCT_DESCRIPTION",
            "type": ["string", "null"],
            "textual": True
        },
        {
            "name": "GENDER",
            "type": ["string", "null"],
            "categorical": True,
        },
        {
            "name": "PROMOTED",
            "type": ["string", "null"],
        },
    ],
    "version": "1.1"
}

try:
    updated_items_schema_name = 'import-job-updated-items-schema-'+token
    create_schema_response = personalize.create_schema(
        name = updated_items_schema_name,
        domain = 'ECOMMERCE',
        schema = json.dumps(updated_items_schema)
    )
    updated_items_schema_arn = create_schema_response['schemaArn']
    print(json.dumps(create_schema_response, indent=2))
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this schema, seemingly')
    paginator = personalize.get_paginator('list_schemas')
    for paginate_result in paginator.paginate():
        for schema in paginate_result['schemas']:
            if schema['name'] == updated_items_schema_name:
                updated_items_schema_arn = schema['schemaArn']
                print(f"Using existing schema: {updated_items_schema_arn}")
                break

# ---- cell 92
# https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/personalize/client/update_dataset.html
updated_items_dataset_arn = personalize.update_dataset(
    datasetArn = items_dataset_arn, # Pass the arn of the dataset you want to update
    schemaArn = updated_items_schema_arn # Pass the new schema arn
)

updated_items_dataset_arn = updated_items_dataset_arn['datasetArn']
print(f'ARN of the updated dataset: {updated_items_dataset_arn}')


# Wait for the dataset to be updated. It can take a minute.
current_time = datetime.now()
print("\nImport Started on: ", current_time.strftime("%I:%M:%S %p"))

max_time = time.time() + 1*60*60 # 1 hour

while time.time() < max_time:
    dataset_response = personalize.describe_dataset(datasetArn = updated_items_dataset_arn)
    status = dataset_response['dataset']['status']
    print("DatasetSegmentJob: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        print("Updated dataset:\n")
        # TODO: View the describe_dataset response. It should have information about the update.
        print(json.dumps(dataset_response, indent=2, default=str))
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(15)
current_time = datetime.now()
print("\nImport Completed on: ", current_time.strftime("%I:%M:%S %p"))

# ---- cell 94
# https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/personalize/client/create_dataset_import_job.html
updated_items_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "updated-items-dataset-import-job-"+token,
    datasetArn = updated_items_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, items_filename) # Pass in the new dataset. See note below
    },
    roleArn = role_arn,
    importMode = "FULL"
)
# Note: notice how we are passing the updated items dataset (the dataset that contains the additional columns)
# Thus, Personalize will now use all of the columns in the dataset for training. 

updated_items_dataset_import_job_arn = updated_items_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(updated_items_dataset_import_job_response, indent=2))


# Wait for the data to finish importing. It can take up to 10 minutes.
max_time = time.time() + 1*60*60 # 1 hours

while time.time() < max_time:
    import_job_response = personalize.describe_dataset_import_job(
        datasetImportJobArn = updated_items_dataset_import_job_arn
    )
    status = import_job_response["datasetImportJob"]['status']

    if status == "ACTIVE":
        print(f'Import job {updated_items_dataset_import_job_arn} successfully completed')
        break
    elif status == "CREATE FAILED":
        print(f'Import job {updated_items_dataset_import_job_arn} failed')
        if import_job_response["datasetImportJob"].get('failureReason'):
            print('   Reason: ' + import_job_response["datasetImportJob"]['failureReason'])
    else: # status == CREATE PENDING or CREATE IN_PROGRESS
        print('Dataset import job:' + status)
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# After importing the data, the new columns are available for filtering.

# ---- cell 96

## Create solution

updated_solution_version_arn = None
updated_solution_arn = None
updated_solution_name = "my-updated-solution-"+token


try:
    # https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/personalize/client/create_solution.html
    create_solution_response = personalize.create_solution(
        name = updated_solution_name,
        datasetGroupArn = dataset_group_arn,
        recipeArn = item_attribute_affinity_recipe_arn
    )

    updated_solution_arn = create_solution_response['solutionArn']
    print(json.dumps(create_solution_response, indent=2))
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You already created this solution, seemingly')
    paginator = personalize.get_paginator('list_solutions')
    for paginate_result in paginator.paginate(datasetGroupArn = dataset_group_arn):
        for solution in paginate_result['solutions']:
            if solution['name'] == updated_solution_name:
                updated_solution_arn = solution['solutionArn']
                print(f'Item Attribute Affinity solution ARN = {updated_solution_arn}')
                
                response = personalize.list_solution_versions(
                    solutionArn = updated_solution_arn,
                    maxResults = 100
                )
                if len(response['solutionVersions']) > 0:
                    updated_solution_version_arn = response['solutionVersions'][-1]['solutionVersionArn']
                    print(f'Will use most recent solution version for this solution: {updated_solution_version_arn}')
                break

# ---- cell 98
if not updated_solution_version_arn:
    create_solution_version_response = personalize.create_solution_version(
        solutionArn = updated_solution_arn
    )

    updated_solution_version_arn = create_solution_version_response['solutionVersionArn']
    print(json.dumps(create_solution_version_response, indent=2))
else:
    print(f'Solution version {updated_solution_version_arn} already exists; not creating')

# ---- cell 100
# REKO-ADAPTED: `%%time` dropped

while time.time() < max_time:
    updated_soln_ver_response = personalize.describe_solution_version(
        solutionVersionArn = updated_solution_version_arn
    )
    status = updated_soln_ver_response["solutionVersion"]["status"]

    if status == "ACTIVE":
        print(f'Solution version {updated_solution_version_arn} successfully completed')
        break
    elif status == "CREATE FAILED":
        print(f'Solution version {updated_solution_version_arn} failed')
        if updated_soln_ver_response["solutionVersion"].get('failureReason'):
            print('   Reason: ' + updated_soln_ver_response["solutionVersion"]['failureReason'])
        break
    else:
        print('At least one solution version is still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 102
### Step 1) Submit batch segmentation job. 

# Review the sample input file from earlier. We will use this same file to perform a batch inference job using our new solution version.

# Create a copy of the sample input file for the new solution's batch inference job & rename it
job_input_filename_updated = 'job_input_updated.json'
import shutil  # REKO-ADAPTED
shutil.copy(job_input_filename, job_input_filename_updated)  # REKO-ADAPTED: was `!cp $job_input_filename $job_input_filename_updated`

# Preview input file
print("\nPreviewing input file item-attribute-affinity solution... ")
head(job_input_filename_updated, 5)  # REKO-ADAPTED: was `!head -n 5 $job_input_filename_updated`
print('\n')


# Create and start a Batch Segmentation Job using our latest Solution Version

s3_input_key_updated = "batch-job-inputs/item-attribute-affinity-job/" + job_input_filename_updated

s3.upload_file(job_input_filename_updated, bucket_name, s3_input_key_updated)

s3_input_path_updated = "s3://" + bucket_name + "/" + s3_input_key_updated

response = personalize.create_batch_segment_job (
    solutionVersionArn = updated_solution_version_arn,
    jobName = "retaildemostore-updated-item-attribute-affinity-job-" + token,
    roleArn = role_arn,
    jobInput = {"s3DataSource": {"path": s3_input_path_updated}},
    jobOutput = {"s3DataDestination":{"path": s3_output_path}},
    numResults = y
)
job_updated_arn = response['batchSegmentJobArn']
print(json.dumps(response, indent=2, default=str))

# ---- cell 103
# REKO-ADAPTED: `%%time` dropped

# Wait for the batch jobs to complete. This can take around 10 minutes.

current_time = datetime.now()
print("Import Started on: ", current_time.strftime("%I:%M:%S %p"))

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    resp = personalize.describe_batch_segment_job(batchSegmentJobArn = job_updated_arn)
    status = resp["batchSegmentJob"]['status']
    print("DatasetSegmentJob {arn}: {status}".format(arn=job_updated_arn, status=status))

    if status == "ACTIVE" or status == "CREATE FAILED":
        current_time = datetime.now()
        print("Job has ended on: ", current_time.strftime("%I:%M:%S %p"))
        break
    else:
        print('Job still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 104
# Download the output files of the segmenation jobs from S3:

job_output_file_updated = job_input_filename_updated + ".out"
export_name_updated = 'batch-job-outputs/item-attribute-affinity-job/' + job_output_file_updated
s3.download_file(bucket_name, export_name_updated, job_output_file_updated)

# ---- cell 106
print('Inspecting outputs of original-schema & new-schema solution versions:')
print('Original schema output:')
head(job_output_file, 5)  # REKO-ADAPTED: was `!head -n 5 $job_output_file`

print('\nNew schema output:')
head(job_output_file_updated, 5)  # REKO-ADAPTED: was `!head -n 5 $job_output_file_updated`

# ---- cell 109
# Get metrics for the solution version that used the original schema
get_orig_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = solution_version_arn
)
print("Metrics of the solution version with the original schema & dataset:")
print(json.dumps(get_orig_solution_metrics_response['metrics'], indent=2))

# Get metrics for the solution version that used the updated schema & dataset
get_updated_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = updated_solution_version_arn
)
print("\n\nMetrics of the solution version with the updated schema & dataset:")
print(json.dumps(get_updated_solution_metrics_response['metrics'], indent=2))

# ---- cell 114
# List objects in the bucket and delete them
objects = s3.list_objects_v2(Bucket=bucket_name)

if 'Contents' in objects:
    for obj in objects['Contents']:
        print(f'Deleting {obj["Key"]}...')
        s3.delete_object(Bucket=bucket_name, Key=obj['Key'])

# Delete the bucket
s3.delete_bucket(Bucket=bucket_name)

# ---- cell 116
# REKO-ADAPTED: left out: an IAM cell (no IAM here):
#   iam.detach_role_policy(RoleName=role_name, PolicyArn=policy_arn)
#   
#   print("Deleting: " + role_name)
#   iam.delete_role(RoleName=role_name)
#   
#   print("Deleting: " + policy_arn)
#   iam.delete_policy(PolicyArn=policy_arn)
#   
#   # Check if the IAM role and policy were deleted
#   if role_name in [role['RoleName'] for role in iam.list_roles()['Roles']]:
#       print('Role was not deleted!')
#   
#   if policy_arn in [policy['Arn'] for policy in iam.list_policies()['Policies']]:
#       print('Policy was not deleted!')
#   
#   print('Bucket and IAM role and policy deleted successfully!')

# ---- cell 118
# REKO-ADAPTED: left out: the clean-up helper `delete_dataset_groups.py` is downloaded from another repository (aws-samples/retail-demo-store) at run time; offline, its cells are not run:
#   # Download the helper script from the github repo.
#   !curl -O https://raw.githubusercontent.com/aws-samples/retail-demo-store/b80137c6edb2c975c50221fcaba46b6abadd7b99/src/aws-lambda/personalize-pre-create-resources/delete_dataset_groups.py
#   
#   # Import the module
#   import delete_dataset_groups

# ---- cell 120
# REKO-ADAPTED: left out: the clean-up helper `delete_dataset_groups.py` is downloaded from another repository (aws-samples/retail-demo-store) at run time; offline, its cells are not run:
#   import logging
#   
#   handler = logging.StreamHandler(sys.stdout)
#   handler.setLevel(logging.INFO)
#   
#   delete_dataset_groups.logger.setLevel(logging.INFO)
#   delete_dataset_groups.logger.addHandler(handler)

# ---- cell 122
# REKO-ADAPTED: left out: the clean-up helper `delete_dataset_groups.py` is downloaded from another repository (aws-samples/retail-demo-store) at run time; offline, its cells are not run:
#   # REKO-ADAPTED: `%%time` dropped
#   
#   print(f'Active dataset groups that need to be deleted: {dataset_group_name}\n')
#   
#   delete_dataset_groups.delete_dataset_groups(
#       dataset_group_names = [ dataset_group_name ],
#       wait_for_resources = True
#   )

# ---- cell 123
# Delete the original item schema
# The external helper script doesnt delete obsolete schemas, so we must do this ourselves
response = personalize.delete_schema(schemaArn = items_schema_arn)

# ---- cell 125
segment_outputs = {name: [json.loads(line) for line in open(path) if line.strip()]  # REKO-CHECK: kept for the checks
                   for name, path in (("original", job_output_file), ("updated", job_output_file_updated))}  # REKO-CHECK
job_queries = [json.loads(line)["itemAttributes"] for line in open(job_input_filename) if line.strip()]  # REKO-CHECK
# REKO-ADAPTED: `!rm delete_dataset_groups.py` left out (never downloaded, see cell 118); the other `!rm`s become os.remove.
for local_file in [job_input_filename, job_output_file, job_input_filename_updated, job_output_file_updated,  # REKO-ADAPTED
                   items_basic_filename]:  # REKO-ADAPTED
    os.remove(local_file)  # REKO-ADAPTED

# ---- REKO-CHECK: the printed results make sense.
# REKO-CHECK: cell 92 printed the dataset with its update; the dataset now has the new schema, and kept its status.
assert dataset_response["dataset"]["latestDatasetUpdate"]["schemaArn"] == updated_items_schema_arn, dataset_response  # REKO-CHECK
final_dataset = personalize.describe_dataset(datasetArn=items_dataset_arn)["dataset"]  # REKO-CHECK
assert final_dataset["status"] == "ACTIVE" and final_dataset["schemaArn"] == updated_items_schema_arn, final_dataset  # REKO-CHECK
assert final_dataset["latestDatasetUpdate"]["status"] == "ACTIVE", final_dataset  # REKO-CHECK
assert import_job_response["datasetImportJob"]["status"] == "ACTIVE", import_job_response  # REKO-CHECK: items.csv, new columns
# REKO-CHECK: the items dataset holds the new columns' values (a BULK export to the harness's bucket).
export_prefix = "s3://" + os.environ["REKO_BUCKET"] + "/items-export-" + token + "/"  # REKO-CHECK
export_arn = personalize.create_dataset_export_job(jobName="items-export-" + token, datasetArn=items_dataset_arn,  # REKO-CHECK
    roleArn=role_arn, ingestionMode="BULK", jobOutput={"s3DataDestination": {"path": export_prefix}})["datasetExportJobArn"]  # REKO-CHECK
while personalize.describe_dataset_export_job(datasetExportJobArn=export_arn)["datasetExportJob"]["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS"):  # REKO-CHECK
    time.sleep(1)  # REKO-CHECK
assert personalize.describe_dataset_export_job(datasetExportJobArn=export_arn)["datasetExportJob"]["status"] == "ACTIVE"  # REKO-CHECK
export_s3 = boto3.client("s3", **S3_KW)  # REKO-CHECK
exported = pd.read_csv(StringIO(export_s3.get_object(Bucket=os.environ["REKO_BUCKET"], Key="items-export-" + token + "/items-export-" + token + ".csv")["Body"].read().decode("utf-8")), dtype=str)  # REKO-CHECK
assert list(exported.columns) == [f["name"] for f in updated_items_schema["fields"]], list(exported.columns)  # REKO-CHECK
assert len(exported) == len(items_basic_df), (len(exported), len(items_basic_df))  # REKO-CHECK: the FULL import replaced the rows
assert exported["CATEGORY_L2"].notna().all() and exported["PRODUCT_DESCRIPTION"].notna().all(), exported.head()  # REKO-CHECK
promoted = set(pd.read_csv(items_filename, dtype=str).query("PROMOTED == 'Y'")["ITEM_ID"])  # REKO-CHECK: items.csv as imported
assert set(exported[exported["PROMOTED"] == "Y"]["ITEM_ID"]) == promoted and promoted, promoted  # REKO-CHECK
# REKO-CHECK: both versions trained; both segment jobs ACTIVE, one line per query, in order, up to y distinct known users.
assert soln_ver_response["solutionVersion"]["status"] == "ACTIVE"  # REKO-CHECK
assert updated_soln_ver_response["solutionVersion"]["status"] == "ACTIVE"  # REKO-CHECK
known_users = set(users_df["USER_ID"].astype(str))  # REKO-CHECK
for arn in (item_attribute_affinity_job_arn, job_updated_arn):  # REKO-CHECK
    assert personalize.describe_batch_segment_job(batchSegmentJobArn=arn)["batchSegmentJob"]["status"] == "ACTIVE"  # REKO-CHECK
assert len(job_queries) == x, job_queries  # REKO-CHECK
for name, lines in segment_outputs.items():  # REKO-CHECK
    assert [line["input"]["itemAttributes"] for line in lines] == job_queries, (name, lines)  # REKO-CHECK
    for line in lines:  # REKO-CHECK
        users = line["output"]["usersList"]  # REKO-CHECK
        assert 0 < len(users) <= y and len(set(users)) == len(users) and set(users) <= known_users, (name, line)  # REKO-CHECK
# REKO-CHECK: both versions have metrics; the original items schema was deleted in cell 123 (no dataset uses it).
assert get_orig_solution_metrics_response["metrics"] and get_updated_solution_metrics_response["metrics"]  # REKO-CHECK
try:  # REKO-CHECK
    personalize.describe_schema(schemaArn=items_schema_arn)  # REKO-CHECK
    raise AssertionError("the original items schema still exists")  # REKO-CHECK
except personalize.exceptions.ResourceNotFoundException:  # REKO-CHECK
    pass  # REKO-CHECK
print("REKO-CHECK update_item_dataset_schema: OK")
