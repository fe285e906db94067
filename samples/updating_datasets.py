# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/core_use_cases/updating_datasets/update-datasets-user-personalization-example.ipynb
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
    """MovieLens 100K as the Retail Demo Store's Personalize files: users.csv (USER_ID, AGE, GENDER), items.csv
    (ITEM_ID `item-<id>`, PRICE from the release year, CATEGORY_L1 / CATEGORY_L2 the first / last genre,
    PRODUCT_NAME the title, PRODUCT_DESCRIPTION, GENDER, PROMOTED) and interactions.csv (ITEM_ID, USER_ID,
    EVENT_TYPE Purchase for 5 stars, AddToCart for 4, View otherwise, TIMESTAMP, DISCOUNT Yes or No)."""
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
                     "PRODUCT_NAME": row[1].strip(), "PRODUCT_DESCRIPTION": "A %s film." % " and ".join(film_genres),  # REKO-ADAPTED
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

import uuid
from botocore.exceptions import ClientError
import numpy
from io import StringIO
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
bucket_name = 'personalize-update-items-dataset-example-' + token

# Creates a bucket in us-east-1
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
# REKO-ADAPTED: the three `!wget .../csvs/{file}` replaced: MovieLens 100K is written in their layout.
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
items_df = pd.read_csv(StringIO(items_csv_content))
print('\nItems:-----------')
print(items_df.head())  # Inspect the first few rows of the DataFrame


# Interactions Dataset
get_interactions_csv_response = s3.get_object(Bucket=bucket_name, Key=interactions_filename)
interactions_csv_content = get_interactions_csv_response['Body'].read().decode('utf-8')

# Create a pandas DataFrame from the CSV content
interactions_df = pd.read_csv(StringIO(interactions_csv_content))

interactions_df['USER_ID'] = interactions_df.USER_ID.astype(str)
interactions_df['TIMESTAMP'] = interactions_df.TIMESTAMP.astype(int)
print('\nInteractions:-----------')
print(interactions_df.head())  # Inspect the first few rows of the DataFrame

# ---- cell 22
# Trim Items Dataset:

items_trimmed_filename = 'items_trimmed.csv'

# Obtain the unique ITEM_ID values
unique_item_ids = items_df['ITEM_ID'].unique()
print(f"Number of unique ITEM_ID values: {len(unique_item_ids)}.\n")

num_of_ItemIDs_to_remove = int(0.5 * len(unique_item_ids))
print(f"Number of ITEM_ID values to remove: {num_of_ItemIDs_to_remove}.\n")

# Randomly select 50% of the unique "ITEM_ID" values (these represent new ITEM_IDs during the dataset update portion of the notebook)
selected_item_ids = numpy.random.choice(unique_item_ids, num_of_ItemIDs_to_remove, replace=False)
print(f"Removing the following ITEM_ID values... : {unique_item_ids}.\n")


# Create a new DataFrame with rows where "ITEM_ID" is not in the selected_item_ids
items_trimmed_df = items_df[~items_df["ITEM_ID"].isin(selected_item_ids)]

# Write the updated data to items_trimmed_filename
print(f"Copying trimmed Items records to {items_trimmed_filename}...\n")
items_trimmed_df.to_csv(items_trimmed_filename, index=False)

# Upload the modified CSV file to an S3 bucket
s3.upload_file(items_trimmed_filename, bucket_name, items_trimmed_filename)

print(f"File '{items_trimmed_filename}' has been uploaded to S3 bucket '{bucket_name}' with key '{items_trimmed_filename}'.")

print('\n Trimmed Items dataset preview:-----------')
print(items_trimmed_df.head())  # Inspect the first few rows of the DataFrame

# Validate: Number of unique ITEM_ID values in the trimmed csv should be half of what it was before
print(f"\nNumber of unique ITEM_ID values in '{items_trimmed_filename}': {len(items_trimmed_df['ITEM_ID'].unique())}")


# ---- cell 24
# Trim Interactions dataset:

interactions_trimmed_filename = 'interactions_trimmed.csv'

# Create a new DataFrame without rows where "ITEM_ID" is in selected_item_ids
interactions_trimmed_df = interactions_df[~interactions_df['ITEM_ID'].isin(selected_item_ids)]

# Write the trimmed interactions data to a new CSV file
interactions_trimmed_df.to_csv(interactions_trimmed_filename, index=False)

print(f"Removed rows with 'ITEM_ID' matching selected_item_ids and wrote the filtered data to {interactions_trimmed_filename}.\n")

# Upload the modified CSV file to an S3 bucket
s3.upload_file(interactions_trimmed_filename, bucket_name, interactions_trimmed_filename)

print(f"File '{interactions_trimmed_filename}' has been uploaded to S3 bucket '{bucket_name}' with key '{interactions_trimmed_filename}'.")

# Validate: Compare the number of rows in interactions.csv & interactions_trimmed.csv. 
# The latter should have fewer rows (approximately half) than the original interactions csv.
print(f"\nNumber of rows in {interactions_filename}: {len(interactions_df)} ")
print(f"Number of rows in {interactions_trimmed_filename}: {len(interactions_trimmed_df)} ")

print('\n Trimmed Interactions dataset preview:-----------')
print(interactions_trimmed_df.head())  # Inspect the first few rows of the DataFrame



# ---- cell 30
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
    users_schema_name = 'retaildemostore-products-users-schema-'+token
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

# ---- cell 32
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
    items_schema_name = 'retaildemostore-products-items-schema-'+token
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

# ---- cell 34
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
    interactions_schema_name = 'retaildemostore-products-interactions-schema-'+token
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

# ---- cell 37
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

# ---- cell 39
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
# ---- cell 42
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

# ---- cell 44
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

# ---- cell 46
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

# ---- cell 48
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

# ---- cell 52
import_job_suffix = str(uuid.uuid4())[:8]

users_create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "retaildemostore-products-users-" + import_job_suffix,
    datasetArn = users_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, users_filename)
    },
    roleArn = role_arn
)

users_dataset_import_job_arn = users_create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(users_create_dataset_import_job_response, indent=2))

# ---- cell 54

items_create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "retaildemostore-products-items-" + import_job_suffix,
    datasetArn = items_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, items_trimmed_filename)
    },
    roleArn = role_arn
)

items_dataset_import_job_arn = items_create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(items_create_dataset_import_job_response, indent=2))

# ---- cell 56
interactions_create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "retaildemostore-products-interactions-" + import_job_suffix,
    datasetArn = interactions_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, interactions_trimmed_filename)
    },
    roleArn = role_arn
)

interactions_dataset_import_job_arn = interactions_create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(interactions_create_dataset_import_job_response, indent=2))

# ---- cell 59
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

# ---- cell 64
# Item Recommendation Recipe:
user_personalization_recipe_arn = 'arn:aws:personalize:::recipe/aws-user-personalization'

# ---- cell 67
user_personalization_solution_name = "retaildemostore-user-personalization-solution-"+token
user_personalization_solution_arn = None
user_personalization_solution_version_arn = None

try:
    create_solution_response = personalize.create_solution(
        name = user_personalization_solution_name,
        datasetGroupArn = dataset_group_arn,
        recipeArn = user_personalization_recipe_arn
    )

    user_personalization_solution_arn = create_solution_response['solutionArn']
    print(json.dumps(create_solution_response, indent=2))
except personalize.exceptions.ResourceAlreadyExistsException:
    print('You aready created this solution, seemingly')
    paginator = personalize.get_paginator('list_solutions')
    for paginate_result in paginator.paginate(datasetGroupArn = dataset_group_arn):
        for solution in paginate_result['solutions']:
            if solution['name'] == user_personalization_solution_name:
                user_personalization_solution_arn = solution['solutionArn']
                print(f'Ranking solution ARN = {user_personalization_solution_arn}')
                
                response = personalize.list_solution_versions(
                    solutionArn = user_personalization_solution_arn,
                    maxResults = 100
                )
                if len(response['solutionVersions']) > 0:
                    user_personalization_solution_version_arn = response['solutionVersions'][-1]['solutionVersionArn']
                    print(f'Will use most recent solution version for this solution: {user_personalization_solution_version_arn}')
                    
                break

# ---- cell 69
if not user_personalization_solution_version_arn:
    create_solution_version_response = personalize.create_solution_version(
        solutionArn = user_personalization_solution_arn
    )

    user_personalization_solution_version_arn = create_solution_version_response['solutionVersionArn']
    print(json.dumps(create_solution_version_response, indent=2))
else:
    print(f'Solution version {user_personalization_solution_version_arn} already exists; not creating')

# ---- cell 72
# REKO-ADAPTED: `%%time` dropped

print(user_personalization_solution_version_arn)  # REKO-ADAPTED: bare expression printed

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    soln_ver_response = personalize.describe_solution_version(
        solutionVersionArn = user_personalization_solution_version_arn
    )
    status = soln_ver_response["solutionVersion"]["status"]

    if status == "ACTIVE":
        print(f'Solution version {user_personalization_solution_version_arn} successfully completed')
        print(json.dumps(soln_ver_response, indent=2, default=str))
        print("Solution version has completed")
        break
    elif status == "CREATE FAILED":
        print(f'Solution version {user_personalization_solution_version_arn} failed')
        if soln_ver_response["solutionVersion"].get('failureReason'):
            print('   Reason: ' + soln_ver_response["solutionVersion"]['failureReason'])
        break
    else:
        print('Solution version is still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# ---- cell 76
orig_job_input_filename = "orig_job_input.json"
au_job_input_filename = "au_job_input.json"
fr_job_input_filename = "fr_job_input.json"

# ---- cell 78
# TODO: Fill in the size of the input and output variables
x = 5
y = 10

# ---- cell 81
# - Randomly select x users
users = users_df['USER_ID'].unique()
sample_users = numpy.random.choice(users, x, False)

print("Randomly selected users :")
print(sample_users)

# - Generate the input file
with open(orig_job_input_filename, 'w') as json_input:
    for user_id in sample_users:
        # Write line that specifies the specific user
        json_input.write(f'{{"userId": "{user_id}"}}\n')

# Confirm the file matches the required format:
print("\nPreviewing input file... ")
head(orig_job_input_filename, 5)  # REKO-ADAPTED: was `!head -n 5 $orig_job_input_filename`
print('\n')

# Upload job input file to S3
s3_input_key_orig = "batch-job-input/" + orig_job_input_filename

s3.upload_file(orig_job_input_filename, bucket_name, s3_input_key_orig)
if s3_input_key_orig in [object['Key'] for object in s3.list_objects(Bucket=bucket_name)['Contents']]:
    print('File was uploaded successfully!')
else:
    print('File was not uploaded!')


# ---- cell 83
# Create and submit a Batch Segment Job using our latest Solution Version
# https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/personalize/client/create_batch_inference_job.html

# We need to define an input location in our s3 bucket where the segmention job gets its input, 
# and an output location where the segmentation job writes its output.
s3_input_path_orig = "s3://" + bucket_name + "/" + s3_input_key_orig
s3_output_path_orig = "s3://" + bucket_name + "/batch-job-outputs/original/"

response = personalize.create_batch_inference_job (
    solutionVersionArn = user_personalization_solution_version_arn,
    jobName = "retaildemostore-user-personalization-job-orig-" + token,
    roleArn = role_arn,
    jobInput = {"s3DataSource": {"path": s3_input_path_orig }},
    jobOutput = {"s3DataDestination":{"path": s3_output_path_orig }},
    numResults = y
)
user_personalization_job_arn = response['batchInferenceJobArn']
print(json.dumps(response, indent=2, default=str))

# ---- cell 85
get_original_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = user_personalization_solution_version_arn
)

print(json.dumps(get_original_solution_metrics_response['metrics'], indent=2))

# ---- cell 87
# REKO-ADAPTED: `%%time` dropped
current_time = datetime.now()
print("\nInference Job Started on: ", current_time.strftime("%I:%M:%S %p"))

max_time = time.time() + 3*60*60 # 3 hours

while time.time() < max_time:
    response = personalize.describe_batch_inference_job(
        batchInferenceJobArn = user_personalization_job_arn
    )
    status = response["batchInferenceJob"]['status']
    print("DatasetInferenceJob: {}".format(status))
    
    if status == "ACTIVE" or status == "CREATE FAILED":
        break
        
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
current_time = datetime.now()
print("Inference Job Completed on: ", current_time.strftime("%I:%M:%S %p"))

# - Download the Inference job output from S3
job_output_file_orig = orig_job_input_filename + ".out"
export_name_orig = 'batch-job-outputs/original/' + job_output_file_orig
s3.download_file(bucket_name, export_name_orig, job_output_file_orig)

# - Inspect the Inference Job
head(job_output_file_orig, 5)  # REKO-ADAPTED: was `!head -n 5 $job_output_file_orig`
# ---- cell 94
# Helper function: Adds the prefix "new_" to new ITEM_ID values.
# A new ITEM_ID is an ITEM_ID value that was removed from the original dataset.
# Recall how we kept these in the selected_item_ids list.
def add_prefix(item_id):
    if item_id in selected_item_ids:
        return 'new_' + item_id
    else:
        return item_id

    
# Modify & Inspect Items Datasets
items_df['ITEM_ID'] = items_df['ITEM_ID'].apply(add_prefix) # Apply the function to the 'ITEM_ID' column
items_df.to_csv('items.csv', index=False) # Save dataframe as csv
print("Previewing the updated Items dataset:")
print(items_df.head(10)) # Inspect the updated dataset. Notice how some of the ITEM_ID values begin with "new_". 
# These are the new ITEM_ID values that we will import into Amazon Personalize when we update the datasets in the next step.


# Modify & Inspect Interactions Datasets
interactions_df['ITEM_ID'] = interactions_df['ITEM_ID'].apply(add_prefix)
interactions_df.to_csv('interactions.csv', index=False)
print("\n\nPreviewing the updated Interactions dataset:")
print(interactions_df[['ITEM_ID', 'USER_ID', 'EVENT_TYPE','TIMESTAMP']].head(10)) # Display only the most important rows for visual purposes
# !head -n 10 $interactions_filename # If you want to view the file itself

# Upload items.csv & interactions.csv to S3
s3.upload_file(items_filename, bucket_name, items_filename)
s3.upload_file(interactions_filename, bucket_name, interactions_filename)


# ---- cell 97
# Step 2: Update the new Items and Interactions Satasets

# You can use the CreateDatasetImportJob API call to import the data.
# https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/personalize/client/create_dataset_import_job.html

# Import the complete items dataset
updated_items_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "updated_items_dataset_import_job"+token,
    datasetArn = items_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, items_filename) # Pass in the new dataset. See note below
    },
    roleArn = role_arn,
    importMode = "FULL" # importMode='FULL' is used here because we are re-importing the entire dataset. Though if we had imported *just* the new data, we could have set ImportMode to 'INCREMENTAL'.
)
# Note: notice how we are passing the orginal items dataset (the dataset that contains all the items)

updated_items_dataset_import_job_arn = updated_items_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(updated_items_dataset_import_job_response, indent=2))


# Import the complete interactions dataset
updated_interactions_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "updated_interactions_dataset_import_job"+token,
    datasetArn = interactions_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, interactions_filename) # Pass in the csv that contains all of the interactions.
    },
    roleArn = role_arn,
    importMode = "FULL"
)

updated_interactions_dataset_import_job_arn = updated_items_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(updated_interactions_dataset_import_job_response, indent=2))


import_job_arns = [updated_items_dataset_import_job_arn, updated_interactions_dataset_import_job_arn]

# Wait for the data to finish importing. It can take up to 10 minutes.
max_time = time.time() + 1*60*60 # 1 hours

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
    if len(import_job_arns) > 0: # CREATE PENDING or CREATE IN_PROGRESS
        print('At least one dataset import job still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
    else:
        print("All import jobs have ended")
        break


# ---- cell 99
s3_input_key_au = "batch-job-input/" + au_job_input_filename
s3_input_path_au = "s3://" + bucket_name + "/" + s3_input_key_au
s3_output_path_au = "s3://" + bucket_name + "/batch-job-outputs/auto-update/"

# Upload a copy of the input file to s3.
import shutil  # REKO-ADAPTED
shutil.copy(orig_job_input_filename, au_job_input_filename)  # REKO-ADAPTED: was `!cp {orig_job_input_filename} {au_job_input_filename}`

s3.upload_file(au_job_input_filename, bucket_name, s3_input_key_au)
if s3_input_key_au in [object['Key'] for object in s3.list_objects(Bucket=bucket_name)['Contents']]:
    print('File was uploaded successfully!')
else:
    print('File was not uploaded!')

response = personalize.create_batch_inference_job(
    solutionVersionArn = user_personalization_solution_version_arn,
    jobName = "retaildemostore-user-personalization-job-au-" + token,
    roleArn = role_arn,
    jobInput = {"s3DataSource": {"path": s3_input_path_au}},
    jobOutput = {"s3DataDestination":{"path": s3_output_path_au}},
    numResults = y
)
user_personalization_autoupdate_job_arn = response['batchInferenceJobArn']
print(json.dumps(response, indent=2, default=str))

# ---- cell 100
# REKO-ADAPTED: `%%time` dropped
current_time = datetime.now()
print("Inference Job Started on: ", current_time.strftime("%I:%M:%S %p"))

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    resp = personalize.describe_batch_inference_job(batchInferenceJobArn = user_personalization_autoupdate_job_arn)
    status = resp["batchInferenceJob"]['status']
    print("DatasetInferenceJob {arn}: {status}".format(arn=user_personalization_autoupdate_job_arn, status=status))

    if status == "ACTIVE" or status == "CREATE FAILED":
        print("Inference job has ended")
        break
    else:
        print('Job still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
current_time = datetime.now()
print("Inference Job Completed on: ", current_time.strftime("%I:%M:%S %p"))


# ---- cell 102
# Get the output and inspect of the inference job

# - Download the Inference job output from S3
job_output_file_au = au_job_input_filename + ".out"
export_name_au = 'batch-job-outputs/auto-update/' + job_output_file_au
# print(batch_job_output_file_au)
# print(export_name_au)

s3.download_file(bucket_name, export_name_au, job_output_file_au)

# - Inspect the Inference Job
print("Previewing output of the inference job that was run on the original solution version")
head(job_output_file_orig, 5)  # REKO-ADAPTED: was `!head -n 5 $job_output_file_orig`
# - Inspect the Inference Job
print("\n\nPreviewing output of the inference job that was run on the auto-updated solution version")
head(job_output_file_au, 5)  # REKO-ADAPTED: was `!head -n 5 $job_output_file_au`
# ---- cell 105
# Display the metrics of the original/pre-updated solution version:
print("Metrics of the original solution version:")
print(json.dumps(get_original_solution_metrics_response['metrics'], indent=2))

# Get metrics for auto-updated solution version
get_autoupdated_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = user_personalization_solution_version_arn
)
print("\n\nMetrics of the auto-updated solution version:")
print(json.dumps(get_autoupdated_solution_metrics_response['metrics'], indent=2))

# ---- cell 107
# Step 5: Fully train a new solution version
retrained_user_personalization_solution_version_arn = None

if not retrained_user_personalization_solution_version_arn:
    create_solution_version_response = personalize.create_solution_version(
        solutionArn = user_personalization_solution_arn,
        trainingMode='FULL'
    )

    retrained_user_personalization_solution_version_arn = create_solution_version_response['solutionVersionArn']
    print(json.dumps(create_solution_version_response, indent=2))
else:
    print(f'Solution version {retrained_user_personalization_solution_version_arn} already exists; not creating')


# ---- cell 109
# REKO-ADAPTED: `%%time` dropped

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    updated_soln_ver_response = personalize.describe_solution_version(
        solutionVersionArn = retrained_user_personalization_solution_version_arn
    )
    status = updated_soln_ver_response["solutionVersion"]["status"]

    if status == "ACTIVE":
        print(f'Solution version {retrained_user_personalization_solution_version_arn} successfully completed')
        break
    elif status == "CREATE FAILED":
        print(f'Solution version {retrained_user_personalization_solution_version_arn} failed')
        if updated_soln_ver_response["solutionVersion"].get('failureReason'):
            print('   Reason: ' + updated_soln_ver_response["solutionVersion"]['failureReason'])
        break
    else:
        print('At least one solution version is still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# ---- cell 111
### Step 6) Submit batch segmentation job. 

s3_input_key_fr = "batch-job-input/" + fr_job_input_filename
s3_input_path_fr = "s3://" + bucket_name + "/" + s3_input_key_fr
s3_output_path_fr = "s3://" + bucket_name + "/batch-job-outputs/fully-retrained/"

# Upload a copy of the input file to s3.
shutil.copy(orig_job_input_filename, fr_job_input_filename)  # REKO-ADAPTED: was `!cp {orig_job_input_filename} {fr_job_input_filename}`
s3.upload_file(fr_job_input_filename, bucket_name, s3_input_key_fr)
if s3_input_key_fr in [object['Key'] for object in s3.list_objects(Bucket=bucket_name)['Contents']]:
    print('File was uploaded successfully!')
else:
    print('File was not uploaded!')
    
# Preview input file We will use the same input for batch inference job using our new solution version.
print("\nPreviewing input file... ")
head(fr_job_input_filename, 5)  # REKO-ADAPTED: was `!head -n 5 $fr_job_input_filename`
print('\n')

# Create and start a Batch Segmentation Job using our latest Solution Version
s3_input_key_fr = "batch-job-input/" + fr_job_input_filename
s3_output_path_fr = "s3://" + bucket_name + "/batch-job-outputs/fully-retrained/" # Define output location

# https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/personalize/client/create_batch_inference_job.html
response = personalize.create_batch_inference_job (
    solutionVersionArn = retrained_user_personalization_solution_version_arn,
    jobName = "retaildemostore-user-personalization-job-fr-" + token,
    roleArn = role_arn,
    jobInput = {"s3DataSource": {"path": s3_input_path_fr }},
    jobOutput = {"s3DataDestination": {"path": s3_output_path_fr }},
    numResults = y
)

user_personalization_retrained_job_arn = response['batchInferenceJobArn']
print(json.dumps(response, indent=2, default=str))

# ---- cell 113
# REKO-ADAPTED: `%%time` dropped
current_time = datetime.now()
print("Inference Job Started on: ", current_time.strftime("%I:%M:%S %p"))

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    
    resp = personalize.describe_batch_inference_job(batchInferenceJobArn = user_personalization_retrained_job_arn)
    status = resp["batchInferenceJob"]['status']
    print("DatasetInferenceJob {arn}: {status}".format(arn=user_personalization_retrained_job_arn, status=status))

    if status == "ACTIVE" or status == "CREATE FAILED":
        current_time = datetime.now()
        print("Inference Job Completed on: ", current_time.strftime("%I:%M:%S %p"))
        break
    else:
        print('At least one batch inference job still in progress')
        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)
# ---- cell 115
# - Download the Inference job output from S3
job_output_file_fr = fr_job_input_filename + ".out"
export_name_fr = 'batch-job-outputs/fully-retrained/' + job_output_file_fr
s3.download_file(bucket_name, export_name_fr, job_output_file_fr)

# - Inspect the Inference Job
print("Previewing output of the inference job that was run on the fully-trained solution version:")
head(job_output_file_fr, 5)  # REKO-ADAPTED: was `!head -n 5 $job_output_file_fr`
# - Inspect the Inference Job
print("\n\nPreviewing output of the inference job that was run on the auto-updated solution version:")
head(job_output_file_au, 5)  # REKO-ADAPTED: was `!head -n 5 $job_output_file_au`
# ---- cell 118
print("Metrics of the auto-updated solution version:")
print(json.dumps(get_autoupdated_solution_metrics_response['metrics'], indent=2))

# Get metrics for fully retrained solution version that used the updated datasets
get_retrained_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = retrained_user_personalization_solution_version_arn
)
print("\n\nMetrics of the solution version with the updated datasets:")
print(json.dumps(get_retrained_solution_metrics_response['metrics'], indent=2))


# ---- cell 122
# - Inspect the outputs of the Inference Jobs

print("Previewing output of the inference job that was run on the original solution version:")
head(job_output_file_orig, 10)  # REKO-ADAPTED: was `!head -n 10 $job_output_file_orig`
print("\n\nPreviewing output of the inference job that was run on the auto-updated solution version:")
head(job_output_file_au, 10)  # REKO-ADAPTED: was `!head -n 10 $job_output_file_au`
print("\n\nPreviewing output of the inference job that was run on the fully-trained solution version:")
head(job_output_file_fr, 10)  # REKO-ADAPTED: was `!head -n 10 $job_output_file_fr`
# ---- cell 124
print("Metrics of the original solution version:")
print(json.dumps(get_original_solution_metrics_response['metrics'], indent=2))

print("\n\nMetrics of the auto-updated solution version:")
print(json.dumps(get_autoupdated_solution_metrics_response['metrics'], indent=2))

print("\n\nMetrics of the fully-retrained solution version:")
print(json.dumps(get_retrained_solution_metrics_response['metrics'], indent=2))


# ---- cell 129
# List objects in the bucket and delete them
objects = s3.list_objects_v2(Bucket=bucket_name)

if 'Contents' in objects:
    for obj in objects['Contents']:
        print(f'Deleting {obj["Key"]}...')
        s3.delete_object(Bucket=bucket_name, Key=obj['Key'])

# Delete the bucket
s3.delete_bucket(Bucket=bucket_name)


# ---- cell 131
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

# ---- cell 133
# REKO-ADAPTED: left out: the clean-up helper `delete_dataset_groups.py` is downloaded from another repository (aws-samples/retail-demo-store) at run time; offline, its cells are not run:
#   # Download the helper script from the github repo.
#   !curl -O https://raw.githubusercontent.com/aws-samples/retail-demo-store/b80137c6edb2c975c50221fcaba46b6abadd7b99/src/aws-lambda/personalize-pre-create-resources/delete_dataset_groups.py
#   
#   # Import the module
#   import delete_dataset_groups

# ---- cell 135
# REKO-ADAPTED: left out: the clean-up helper `delete_dataset_groups.py` is downloaded from another repository (aws-samples/retail-demo-store) at run time; offline, its cells are not run:
#   import logging
#   
#   handler = logging.StreamHandler(sys.stdout)
#   handler.setLevel(logging.INFO)
#   
#   delete_dataset_groups.logger.setLevel(logging.INFO)
#   delete_dataset_groups.logger.addHandler(handler)

# ---- cell 137
# REKO-ADAPTED: left out: the clean-up helper `delete_dataset_groups.py` is downloaded from another repository (aws-samples/retail-demo-store) at run time; offline, its cells are not run:
#   # REKO-ADAPTED: `%%time` dropped
#   
#   print(f'Active dataset groups that need to be deleted: {dataset_group_name}\n')
#   
#   delete_dataset_groups.delete_dataset_groups(
#       dataset_group_names = [ dataset_group_name ], 
#       wait_for_resources = True
#   )

# ---- cell 139
batch_outputs = {name: [json.loads(line) for line in open(path) if line.strip()]  # REKO-CHECK: kept for the checks
                 for name, path in (("original", job_output_file_orig), ("auto-update", job_output_file_au), ("retrained", job_output_file_fr))}  # REKO-CHECK
# REKO-ADAPTED: `!rm delete_dataset_groups.py` left out (never downloaded, see cell 133); the other `!rm`s become os.remove.
for local_file in [orig_job_input_filename, job_output_file_orig, au_job_input_filename, job_output_file_au,  # REKO-ADAPTED
                   fr_job_input_filename, job_output_file_fr, items_filename, interactions_filename,  # REKO-ADAPTED
                   items_trimmed_filename, interactions_trimmed_filename]:  # REKO-ADAPTED
    os.remove(local_file)  # REKO-ADAPTED

# ---- REKO-CHECK: the printed results make sense.
assert soln_ver_response["solutionVersion"]["status"] == "ACTIVE"  # REKO-CHECK
assert updated_soln_ver_response["solutionVersion"]["status"] == "ACTIVE"  # REKO-CHECK
for arn in (user_personalization_job_arn, user_personalization_autoupdate_job_arn, user_personalization_retrained_job_arn):  # REKO-CHECK
    assert personalize.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]["status"] == "ACTIVE"  # REKO-CHECK
new_ids = {"new_" + i for i in selected_item_ids}  # REKO-CHECK: the items held back, imported at the update
all_ids = set(items_df["ITEM_ID"])  # REKO-CHECK: the updated catalogue
# REKO-CHECK: each job answers each of the x sampled users, in input order, with y distinct items of the catalogue.
for name, lines in batch_outputs.items():  # REKO-CHECK
    assert [line["input"]["userId"] for line in lines] == [str(u) for u in sample_users], (name, lines)  # REKO-CHECK
    for line in lines:  # REKO-CHECK
        recs = line["output"]["recommendedItems"]  # REKO-CHECK
        assert len(recs) == y and len(set(recs)) == y and set(recs) <= all_ids | set(selected_item_ids), (name, line)  # REKO-CHECK
recommended = {name: {i for line in lines for i in line["output"]["recommendedItems"]} for name, lines in batch_outputs.items()}  # REKO-CHECK
print({name: len(items & new_ids) for name, items in recommended.items()})  # REKO-CHECK
# REKO-CHECK: the original version knew none of the new items; the version retrained on the updated datasets
# recommends some (half the catalogue, with their interactions, is new).
assert not recommended["original"] & new_ids, recommended["original"] & new_ids  # REKO-CHECK
assert recommended["retrained"] & new_ids, recommended["retrained"]  # REKO-CHECK
# REKO-CHECK: the auto-updated version is the original one: its metrics are the same (as the notebook says).
assert get_autoupdated_solution_metrics_response["metrics"] == get_original_solution_metrics_response["metrics"]  # REKO-CHECK
print("REKO-CHECK updating_datasets: OK")
