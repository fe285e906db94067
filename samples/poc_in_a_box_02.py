# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/workshops/POC_in_a_box/completed/02_Validating_and_Importing_Item_Metadata.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own. Runs after poc_in_a_box_01.py.

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

# ---- cell 2
import json  # REKO-ADAPTED: for %store -r
with open(STORE) as saved:  # REKO-ADAPTED: `%store -r` reads back what poc_in_a_box_01.py stored
    globals().update(json.load(saved))  # REKO-ADAPTED: %store -r
# ---- cell 4
import time
from time import sleep
import json
from datetime import datetime
import boto3
import pandas as pd
# ---- cell 6
original_data = pd.read_csv(dataset_dir + '/movies.csv')
print(original_data.head(5))  # REKO-ADAPTED: bare expression printed
# ---- cell 7
print(original_data.describe())  # REKO-ADAPTED: bare expression printed
# ---- cell 9
original_data.info()
# ---- cell 11
original_data['year'] =original_data['title'].str.extract('.*\((.*)\).*',expand = False)
print(original_data.head(5))  # REKO-ADAPTED: bare expression printed
# ---- cell 13
itemmetadata_df = original_data.copy()
itemmetadata_df = itemmetadata_df[['movieId', 'genres', 'year']]
print(itemmetadata_df.head())  # REKO-ADAPTED: bare expression printed
# ---- cell 15
print(itemmetadata_df.dtypes)  # REKO-ADAPTED: bare expression printed
# ---- cell 17
itemmetadata_df.rename(columns = {'genres':'GENRE', 'movieId':'ITEM_ID', 'year':'YEAR'}, inplace = True) 
# ---- cell 19
itemmetadata_filename = "item-meta.csv"
itemmetadata_df.to_csv((data_dir+"/"+itemmetadata_filename), index=False, float_format='%.0f')
# ---- cell 20
# Configure the SDK to Personalize:
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
# ---- cell 22
itemmetadata_schema = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {
            "name": "ITEM_ID",
            "type": "string"
        },
        {
            "name": "GENRE",
            "type": "string",
            "categorical": True
        },{
            "name": "YEAR",
            "type": "int",
        },
        
    ],
    "version": "1.0"
}

create_schema_response = personalize.create_schema(
    name = "personalize-poc-movielens-item",
    schema = json.dumps(itemmetadata_schema)
)

itemmetadataschema_arn = create_schema_response['schemaArn']
print(json.dumps(create_schema_response, indent=2))
# ---- cell 24
dataset_type = "ITEMS"
create_dataset_response = personalize.create_dataset(
    name = "personalize-poc-movielens-items",
    datasetType = dataset_type,
    datasetGroupArn = dataset_group_arn,
    schemaArn = itemmetadataschema_arn
)

items_dataset_arn = create_dataset_response['datasetArn']
print(json.dumps(create_dataset_response, indent=2))
# ---- cell 26
itemmetadata_file_path = data_dir + "/" + itemmetadata_filename
boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(itemmetadata_filename).upload_file(itemmetadata_file_path)  # REKO-ADAPTED: moto endpoint
interactions_s3DataPath = "s3://"+bucket_name+"/"+itemmetadata_filename
# ---- cell 28
create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "personalize-poc-item-import1",
    datasetArn = items_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, itemmetadata_filename)
    },
    roleArn = role_arn
)

dataset_import_job_arn = create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_dataset_import_job_response, indent=2))
# ---- cell 30
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
# ---- cell 32
store(items_dataset_arn=items_dataset_arn)  # REKO-ADAPTED: %store items_dataset_arn
store(itemmetadataschema_arn=itemmetadataschema_arn)  # REKO-ADAPTED: %store itemmetadataschema_arn

# ---- REKO-CHECK: the printed results make sense.
job = describe_dataset_import_job_response["datasetImportJob"]  # REKO-CHECK
assert job["status"] == "ACTIVE", job  # REKO-CHECK
assert job["datasetArn"] == items_dataset_arn  # REKO-CHECK
assert len(itemmetadata_df) == 1682, len(itemmetadata_df)  # REKO-CHECK: every ML-100K movie
assert itemmetadata_df["YEAR"].notna().mean() > 0.99, itemmetadata_df["YEAR"].isna().sum()  # REKO-CHECK: years parsed
datasets = personalize.list_datasets(datasetGroupArn=dataset_group_arn)["datasets"]  # REKO-CHECK
assert {d["datasetArn"] for d in datasets} == {interactions_dataset_arn, items_dataset_arn}, datasets  # REKO-CHECK
print("REKO-CHECK poc_in_a_box_02: OK")
