# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/core_use_cases/related_items/personalize_aws_similar_items_example.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own.
# REKO-ADAPTED: the notebook reads the Amazon Prime Pantry reviews and metadata (Prime_Pantry.json.gz,
# meta_Prime_Pantry.json.gz); the suite has only MovieLens 100K, written into those two files' layout (see
# write_prime_pantry). The two products the notebook names, B00HZ6X8QU (popular) and B01GCT22E4 (few
# interactions), are Star Wars (1977) and The Amityville Horror (1979).

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


def write_prime_pantry(dest):  # REKO-ADAPTED: stands in for downloading the Prime Pantry files
    """MovieLens 100K as Prime_Pantry.json.gz (one review per rating: reviewerID, asin, overall,
    unixReviewTime, ...) and meta_Prime_Pantry.json.gz (asin, title, brand: the film's first genre, price:
    "$x.yy" from its release year, or empty without one, description: a list of HTML fragments with the title,
    genres and release date). A product's asin is "B" and its MovieLens id on 9 digits, except the two the
    notebook names. Like the real metadata file (10,812 products, 10,584 with a positive review), it lists the
    products that have reviews; here only those with a positive one, since the notebook's get_item_count fails
    for a recommended product without positive reviews."""
    import gzip, json  # REKO-ADAPTED
    import pandas as pd  # REKO-ADAPTED
    os.makedirs(dest, exist_ok=True)  # REKO-ADAPTED
    named = {50: "B00HZ6X8QU", 441: "B01GCT22E4"}  # REKO-ADAPTED
    asin = lambda i: named.get(int(i), "B%09d" % int(i))  # REKO-ADAPTED
    ratings = pd.read_csv(os.path.join(ML100K_DIR, "u.data"), sep="\t", names=["user", "item", "rating", "ts"])  # REKO-ADAPTED
    with gzip.open(os.path.join(dest, "Prime_Pantry.json.gz"), "wt") as f:  # REKO-ADAPTED
        for r in ratings.itertuples():  # REKO-ADAPTED
            f.write(json.dumps({"overall": float(r.rating), "verified": True, "reviewerID": "A%d" % r.user,  # REKO-ADAPTED
                                "asin": asin(r.item), "reviewerName": "user %d" % r.user, "reviewText": "",  # REKO-ADAPTED
                                "summary": "", "unixReviewTime": int(r.ts)}) + "\n")  # REKO-ADAPTED
    with open(os.path.join(ML100K_DIR, "u.genre"), encoding="latin-1") as f:  # REKO-ADAPTED
        genres = [line.rsplit("|", 1)[0] for line in f if line.strip()]  # REKO-ADAPTED
    items = pd.read_csv(os.path.join(ML100K_DIR, "u.item"), sep="|", encoding="latin-1", header=None)  # REKO-ADAPTED
    reviewed = set(ratings[ratings["rating"] > 3]["item"])  # REKO-ADAPTED
    with gzip.open(os.path.join(dest, "meta_Prime_Pantry.json.gz"), "wt") as f:  # REKO-ADAPTED
        for row in items.itertuples(index=False):  # REKO-ADAPTED
            if row[0] not in reviewed:  # REKO-ADAPTED
                continue  # REKO-ADAPTED
            film_genres = [g for g, on in zip(genres, row[5:5 + len(genres)]) if on]  # REKO-ADAPTED
            date = row[2] if isinstance(row[2], str) else ""  # REKO-ADAPTED
            price = "$%.2f" % (1.99 + (int(date[-4:]) - 1920) / 10) if date else ""  # REKO-ADAPTED
            f.write(json.dumps({"category": [], "tech1": "", "description": [  # REKO-ADAPTED
                "<b>%s</b>" % row[1].strip(), "<p>A %s film.</p>" % " and ".join(film_genres),  # REKO-ADAPTED
                "<p>Released %s.</p>" % date if date else ""],  # REKO-ADAPTED
                "fit": "", "title": row[1].strip(), "also_buy": [], "image": [], "tech2": "",  # REKO-ADAPTED
                "brand": film_genres[0], "feature": [], "rank": [], "also_view": [], "details": {},  # REKO-ADAPTED
                "main_cat": "Movies", "similar_item": "", "date": date, "price": price, "asin": asin(row[0])}) + "\n")  # REKO-ADAPTED

# ---- cell 1
import pandas as pd
import json
import numpy as np
from datetime import datetime
import boto3
import time
from time import sleep
import re  # REKO-ADAPTED: was `from lxml import html` (lxml is not among the suite's modules; see clean_markup)

# ---- cell 3
data_dir = 'raw_data'
# REKO-ADAPTED: `!mkdir $data_dir` and the two `wget`s replaced: MovieLens 100K from REKO_ML100K_DIR is
# written into the two files they would have downloaded.
write_prime_pantry(data_dir)  # REKO-ADAPTED

        
#wget http://deepyeti.ucsd.edu/jianmo/amazon/categoryFiles/Prime_Pantry.json.gz && \
#wget http://deepyeti.ucsd.edu/jianmo/amazon/metaFiles2/meta_Prime_Pantry.json.gz

# ---- cell 5
pantry_df = pd.read_json(data_dir + '/Prime_Pantry.json.gz', lines=True, compression='infer')
print(pantry_df.head())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 6
print(pantry_df.shape)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 9
positive_reviews_df = pantry_df[pantry_df['overall'] > 3]
print(positive_reviews_df.shape)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 11
positive_reviews_df = positive_reviews_df[['reviewerID', 'asin', 'unixReviewTime', 'overall']]
positive_reviews_df['EVENT_TYPE']='reviewed'

print(positive_reviews_df.head())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 13
time_stamp = positive_reviews_df.iloc[50]['unixReviewTime']
print(time_stamp)
print(datetime.utcfromtimestamp(time_stamp).strftime('%Y-%m-%d %H:%M:%S'))

# ---- cell 15
print(positive_reviews_df.describe(include='all'))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 17
positive_reviews_df.rename(columns = {'reviewerID':'USER_ID', 'asin':'ITEM_ID', 
                              'unixReviewTime':'TIMESTAMP', 'overall': 'EVENT_VALUE'}, inplace = True)
print(positive_reviews_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 19
interactions_filename = "interactions.csv"
positive_reviews_df.to_csv(interactions_filename, index=False, float_format='%.0f')

# ---- cell 21
pantry_meta_df = pd.read_json('raw_data/meta_Prime_Pantry.json.gz', lines=True, compression='infer')
print(pantry_meta_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 23
items_df = pantry_meta_df.copy()
items_df = items_df[['asin', 'brand', 'price', 'description']]
print(items_df.head(10))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 25
items_df = items_df.drop_duplicates(subset=['asin'], keep='last')
print(items_df.shape)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 27
# Strips and cleans a value of HTML markup and whitespace.
def clean_markup(value):
    s = str(value).strip()
    if s != '':
        s = re.sub(r'<[^>]*>', '', s)  # REKO-ADAPTED: was str(html.fromstring(s).text_content()) (lxml)
        s = ' '.join(s.split())
                
    return s.strip()

# Cleans and reformats the description column value for a dataframe row.
def clean_and_reformat_description(row):
    s = ''
    for el in row['description']:
        el = clean_markup(el)
        if el != '':
            s += ' ' + el
                
    return s.strip()

# ---- cell 28
items_df['description'] = items_df.apply(clean_and_reformat_description, axis=1)
print(items_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 30
print(items_df['price'].value_counts())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 32
def convert_price(row):
    v = str(row['price']).strip().replace('$', '')
    if v == '' or not v.lstrip('-').replace('.', '').isdigit():
        return np.nan
    return v

items_df['price'] = items_df.apply(convert_price, axis=1)
print(items_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 33
print(items_df['price'].value_counts())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 34
items_df['price'] = items_df['price'].astype(float)

# ---- cell 36
items_df.rename(columns = {'asin':'ITEM_ID', 'brand':'BRAND', 
                              'price':'PRICE', 'description': 'DESCRIPTION'}, inplace = True)
print(items_df.head(10))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 38
items_filename = "items-metadata.csv"
items_df.to_csv(items_filename, index=False, float_format='%.2f')

# ---- cell 41
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# ---- cell 42
create_dataset_group_response = personalize.create_dataset_group(
    name = "amazon-pantry-aws-similar-items"
)

dataset_group = create_dataset_group_response['datasetGroupArn']
print(json.dumps(create_dataset_group_response, indent=2))

# ---- cell 44
in_progress_dataset_group_arns = [ dataset_group ]

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    for dataset_group_arn in in_progress_dataset_group_arns:
        describe_dataset_group_response = personalize.describe_dataset_group(
            datasetGroupArn = dataset_group_arn
        )
        status = describe_dataset_group_response["datasetGroup"]["status"]
        if status == "ACTIVE":
            print("Dataset group create succeeded for {}".format(dataset_group_arn))
            in_progress_dataset_group_arns.remove(dataset_group_arn)
        elif status == "CREATE FAILED":
            print("Create failed for {}".format(dataset_group_arn))
            in_progress_dataset_group_arns.remove(dataset_group_arn)

    if len(in_progress_dataset_group_arns) <= 0:
        break
    else:
        print("At least one dataset group create is still in progress")
                
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(10)

# ---- cell 46
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
        },
        {
            "name": "EVENT_VALUE",
            "type": "float"
        },
        {
            "name": "EVENT_TYPE",
            "type": "string"
        }
    ],
    "version": "1.0"
}
            
create_schema_response = personalize.create_schema(
    name = "amazon-pantry-interactions-1",
    schema = json.dumps(interactions_schema)
)

interaction_schema_arn = create_schema_response['schemaArn']
print(json.dumps(create_schema_response, indent=2))

# ---- cell 48
dataset_type = "INTERACTIONS"
create_dataset_response = personalize.create_dataset(
    name = "amazon-pantry-ints",
    datasetType = dataset_type,
    datasetGroupArn = dataset_group,
    schemaArn = interaction_schema_arn
)

interactions_dataset = create_dataset_response['datasetArn']
print(json.dumps(create_dataset_response, indent=2))

# ---- cell 50
# Determine the current S3 region where this notebook is being hosted in SageMaker.
# REKO-ADAPTED: no SageMaker notebook instance (/opt/ml/metadata/resource-metadata.json): the region
# comes from the environment.
region = os.environ["REKO_REGION"]  # REKO-ADAPTED
print(region)

# ---- cell 51
s3 = boto3.client('s3', **S3_KW)  # REKO-ADAPTED: moto endpoint
account_id = "123456789012"  # REKO-ADAPTED: no STS; was boto3.client('sts').get_caller_identity().get('Account')
bucket_name = "amazon-pantry-personalize-example-"+account_id
print(bucket_name)
if region == "us-east-1":
    s3.create_bucket(Bucket=bucket_name)
else:
    s3.create_bucket(
        Bucket=bucket_name,
        CreateBucketConfiguration={'LocationConstraint': region}
    )

# ---- cell 53
boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(interactions_filename).upload_file(interactions_filename)  # REKO-ADAPTED: moto endpoint

# ---- cell 55
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

# ---- cell 56
# REKO-ADAPTED: IAM role creation skipped (no IAM here: create_role, two attach_role_policy and the
# 20 s wait for them to propagate); the role ARN comes from REKO_ROLE_ARN.
role_name = "PersonalizeRoleAmazonPantryAwsSimilarItems"
role_arn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED: instead of create_role_response["Role"]["Arn"]
# REKO-ADAPTED: the cell's time.sleep(20) also gave the dataset created just before the time to become ACTIVE,
# which CreateDatasetImportJob needs (Reko answers ResourceInUseException before); it becomes a wait for that.
for _ in range(600):  # REKO-ADAPTED: up to 60 s
    if personalize.describe_dataset(datasetArn=interactions_dataset)["dataset"]["status"] == "ACTIVE":  # REKO-ADAPTED
        break  # REKO-ADAPTED
    time.sleep(0.1)  # REKO-ADAPTED
print(role_arn)

# ---- cell 58
create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "amazon-pantry-interactions-import",
    datasetArn = interactions_dataset,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, interactions_filename)
    },
    roleArn = role_arn
)

dataset_import_job = create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_dataset_import_job_response, indent=2))

# ---- cell 61
item_schema = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {
            "name": "ITEM_ID",
            "type": "string"
        },
        {
            "name": "BRAND",
            "type": [ "null", "string" ],
            "categorical": True
        },{
            "name": "PRICE",
            "type": [ "null", "float" ],
        },{
            "name": "DESCRIPTION",
            "type": [ "null", "string" ],
            "textual": True
        }
    ],
    "version": "1.0"
}

create_schema_response = personalize.create_schema(
    name = "amazon-pantry-items-schema",
    schema = json.dumps(item_schema)
)

item_schema_arn = create_schema_response['schemaArn']
print(json.dumps(create_schema_response, indent=2))

# ---- cell 63
dataset_type = "ITEMS"
create_dataset_response = personalize.create_dataset(
    name = "amazon-pantry-items",
    datasetType = dataset_type,
    datasetGroupArn = dataset_group_arn,
    schemaArn = item_schema_arn
)

items_dataset_arn = create_dataset_response['datasetArn']
print(json.dumps(create_dataset_response, indent=2))

# ---- cell 65
boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(items_filename).upload_file(items_filename)  # REKO-ADAPTED: moto endpoint

# ---- cell 67
create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "amazon-pantry-items-import-job",
    datasetArn = items_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, items_filename)
    },
    roleArn = role_arn
)

dataset_import_job_items_arn = create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_dataset_import_job_response, indent=2))

# ---- cell 69
# REKO-ADAPTED: `%%time` dropped

in_progress_import_arns = [ dataset_import_job ]

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    for import_arn in in_progress_import_arns:
        describe_dataset_import_job_response = personalize.describe_dataset_import_job(
            datasetImportJobArn = import_arn
        )
        status = describe_dataset_import_job_response["datasetImportJob"]['status']
        if status == "ACTIVE":
            print("Dataset import succeeded for {}".format(import_arn))
            in_progress_import_arns.remove(import_arn)
        elif status == "CREATE FAILED":
            print("Create failed for {}".format(import_arn))
            in_progress_import_arns.remove(import_arn)

    if len(in_progress_import_arns) <= 0:
        break
    else:
        print("At least one dataset import job is still in progress")
                
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 71
# REKO-ADAPTED: `%%time` dropped

in_progress_import_arns = [ dataset_import_job_items_arn ]

max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    for import_arn in in_progress_import_arns:
        describe_dataset_import_job_response = personalize.describe_dataset_import_job(
            datasetImportJobArn = import_arn
        )
        status = describe_dataset_import_job_response["datasetImportJob"]['status']
        if status == "ACTIVE":
            print("Dataset import succeeded for {}".format(import_arn))
            in_progress_import_arns.remove(import_arn)
        elif status == "CREATE FAILED":
            print("Create failed for {}".format(import_arn))
            in_progress_import_arns.remove(import_arn)

    if len(in_progress_import_arns) <= 0:
        break
    else:
        print("At least one dataset import job is still in progress")
                
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 73
print(personalize.list_recipes())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 75
sims_recipe_arn = "arn:aws:personalize:::recipe/aws-sims"
similar_items_recipe_arn = "arn:aws:personalize:::recipe/aws-similar-items"

# ---- cell 77
sims_create_solution_response = personalize.create_solution(
    name = "amazon-pantry-sims-solution-example",
    datasetGroupArn = dataset_group_arn,
    recipeArn = sims_recipe_arn
)

sims_solution_arn = sims_create_solution_response['solutionArn']

# ---- cell 78
print(sims_solution_arn)

# ---- cell 79
sims_solution_version_response = personalize.create_solution_version(
    solutionArn = sims_solution_arn
)

# ---- cell 80
sims_solution_version_arn = sims_solution_version_response['solutionVersionArn']
print(json.dumps(sims_solution_version_response, indent=2))

# ---- cell 82
similar_items_create_solution_response = personalize.create_solution(
    name = "amazon-pantry-aws-similar-items-solution-example",
    datasetGroupArn = dataset_group_arn,
    recipeArn = similar_items_recipe_arn
)

similar_items_solution_arn = similar_items_create_solution_response['solutionArn']

# ---- cell 83
similar_items_solution_version_response = personalize.create_solution_version(
    solutionArn = similar_items_solution_arn
)

# ---- cell 84
similar_items_solution_version_arn = similar_items_solution_version_response['solutionVersionArn']
print(json.dumps(similar_items_solution_version_response, indent=2))

# ---- cell 86
# REKO-ADAPTED: `%%time` dropped

in_progress_solution_versions = [
    sims_solution_version_arn,
    similar_items_solution_version_arn
]

max_time = time.time() + 10*60*60 # 10 hours
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

# ---- cell 88
response = personalize.describe_solution_version(solutionVersionArn = sims_solution_version_arn)
training_hours_sims = response['solutionVersion']['trainingHours']

response = personalize.describe_solution_version(solutionVersionArn = similar_items_solution_version_arn)
training_hours_similar_items = response['solutionVersion']['trainingHours']
training_diff = (training_hours_similar_items - training_hours_sims) / training_hours_sims

print(f"Training hours sims: {training_hours_sims}")
print(f"Training hours similar items: {training_hours_similar_items}")

print("Difference of {:.2%}".format(training_diff))

# ---- cell 90
sims_solution = {
        "solution_arn": sims_solution_arn,
        "solution_version_arn": sims_solution_version_arn
}
similar_items_solution = {
        "solution_arn": similar_items_solution_arn,
        "solution_version_arn": similar_items_solution_version_arn
}

# ---- cell 91
def create_campaign(solution,name):
    create_campaign_response = personalize.create_campaign(
        name = "personalize-demo-" + name + "example",
        solutionVersionArn = solution['solution_version_arn'],
        minProvisionedTPS = 1
    )

    campaign_arn = create_campaign_response['campaignArn']
    print('campaign_arn:' + campaign_arn)
    return campaign_arn

def waitForCampaign(solution):
    max_time = time.time() + 3*60*60 # 3 hours
    while time.time() < max_time:
        describe_campaign_response = personalize.describe_campaign(
            campaignArn = solution['campaign_arn']
        )
        status = describe_campaign_response["campaign"]["status"]
        print("Campaign: {} {}".format(solution['campaign_arn'], status))

        if status == "ACTIVE" or status == "CREATE FAILED":
            break

        time.sleep(1)  # REKO-ADAPTED: was time.sleep(60)

# ---- cell 93
sims_solution['campaign_arn'] = create_campaign(sims_solution, 'sims')
similar_items_solution['campaign_arn'] = create_campaign(similar_items_solution, 'aws-similar-items')

# ---- cell 94
waitForCampaign(sims_solution)
waitForCampaign(similar_items_solution)

# ---- cell 97
items_interacted_df = positive_reviews_df.copy()
# Getting unique aisns counts
asin_interaction_count = items_interacted_df['ITEM_ID'].value_counts()
# Transforming panda series to df
asin_interaction_count_df = pd.DataFrame({'asin':asin_interaction_count.index, 'count':asin_interaction_count.values})
print(asin_interaction_count_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 98
print(asin_interaction_count_df.describe(include='int'))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 100
# REKO-ADAPTED: `asin_interaction_count_df.plot()` dropped (a chart; matplotlib is not among the suite's modules)

# ---- cell 102
zoom_interactions = asin_interaction_count_df.copy()
zoom_interactions = zoom_interactions.loc[(zoom_interactions["count"] > 100) & (zoom_interactions["count"] < 300)]
# REKO-ADAPTED: `zoom_interactions.plot()` dropped (a chart; matplotlib is not among the suite's modules)

# ---- cell 104
# https://www.geeksforgeeks.org/how-to-select-rows-from-a-dataframe-based-on-column-values/
def get_item_brand(item_id):
    """
    Takes in an ID, returns its brand
    """

    return items_df.query('ITEM_ID=="{}"'.format(item_id))['BRAND'].item()

def get_item_price(item_id):
    """
    Takes in an ID, returns its brand
    """

    return items_df.query('ITEM_ID=="{}"'.format(item_id))['PRICE'].item()

def get_item_description(item_id):
    """
    Takes in an ID, returns its brand
    """

    return items_df.query('ITEM_ID=="{}"'.format(item_id))['DESCRIPTION'].item()
def get_item_df(item_id):
    """
    Takes in an ID, returns a title
    """
    temp_df = items_df.query('ITEM_ID=="{}"'.format(item_id))
  
    temp_df['INTERACTIONS_COUNT'] = get_item_count(item_id)
    return temp_df
def get_item_count(item_id):
    return asin_interaction_count_df.query('asin=="{}"'.format(item_id))['count'].item()
    
def get_recs_df(item_id, campaign):
    response = personalize_runtime.get_recommendations(
        campaignArn=campaign,
        itemId=item_id,
        numResults=10
    )
    return clean_recs_list(response['itemList'])

def clean_recs_list(rec_list):
    items = []
    for each in rec_list:
        items.append([each['itemId'], get_item_brand(each['itemId']), get_item_price(each['itemId']), get_item_description(each['itemId']), get_item_count(each['itemId'])])
    return pd.DataFrame (items, columns = ['ITEM_ID', 'BRAND', 'PRICE','DESCRIPTION', 'INTERACTIONS_COUNT'])

# ---- cell 106
print(asin_interaction_count_df.sample()['asin'].item())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 107
asin = asin_interaction_count_df.sample(1)['asin'].item()
recommended_item_df = get_item_df(asin)
recommendations_sims_df = get_recs_df(asin,sims_solution['campaign_arn'])
recommendations_similar_items_df = get_recs_df(asin,similar_items_solution['campaign_arn'])
checked = {"random": (asin, recommendations_sims_df, recommendations_similar_items_df)}  # REKO-CHECK: kept for the checks

# ---- cell 109
print(recommended_item_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 110
print(recommended_item_df['DESCRIPTION'].item())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 111
print(recommendations_sims_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 113
print(recommendations_similar_items_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 115
for index, row in recommendations_similar_items_df.iterrows():
    print('----ITEM----')
    print('Recommendation number {index}, BRAND: {brand}, PRICE: {price}'.format(index=index+1, brand=row['BRAND'], price=row['PRICE']))
    print('----DESCRIPTION----')
    print(row['DESCRIPTION'])


# ---- cell 118
asin = 'B00HZ6X8QU'
recommended_item_df = get_item_df(asin)
recommendations_sims_df = get_recs_df(asin,sims_solution['campaign_arn'])
recommendations_similar_items_df = get_recs_df(asin,similar_items_solution['campaign_arn'])
checked["popular"] = (asin, recommendations_sims_df, recommendations_similar_items_df)  # REKO-CHECK: kept for the checks
print(recommended_item_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 120
print(recommended_item_df['DESCRIPTION'].item())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 122
print(recommendations_sims_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 125
print(recommendations_similar_items_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 128
# B017BGLXYC - SODA - low price - low interactions
asin = 'B01GCT22E4'
recommended_item_df = get_item_df(asin)
recommendations_sims_df = get_recs_df(asin,sims_solution['campaign_arn'])
recommendations_sims_v2_df = get_recs_df(asin,similar_items_solution['campaign_arn'])
checked["unpopular"] = (asin, recommendations_sims_df, recommendations_sims_v2_df)  # REKO-CHECK: kept for the checks
print(recommended_item_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 130
print(recommended_item_df['DESCRIPTION'].item())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 132
print(recommendations_sims_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 135
print(recommendations_similar_items_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 137
for index, row in recommendations_similar_items_df.iterrows():
    print('----ITEM----')
    print('Recommendation number {index}, BRAND: {brand}, PRICE: {price}'.format(index=index+1, brand=row['BRAND'], price=row['PRICE']))
    print('----DESCRIPTION----')
    print(row['DESCRIPTION'])


# ---- cell 140
statuses = [personalize.describe_campaign(campaignArn=s['campaign_arn'])["campaign"]["status"] for s in (sims_solution, similar_items_solution)]  # REKO-CHECK: kept for the checks
personalize.delete_campaign(campaignArn = sims_solution['campaign_arn'])
personalize.delete_campaign(campaignArn = similar_items_solution['campaign_arn'])

# ---- REKO-CHECK: the printed results make sense.
assert statuses == ["ACTIVE", "ACTIVE"], statuses  # REKO-CHECK
for arn in (sims_solution_version_arn, similar_items_solution_version_arn):  # REKO-CHECK
    assert personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]["status"] == "ACTIVE"  # REKO-CHECK
assert training_hours_sims > 0 and training_hours_similar_items > 0  # REKO-CHECK
# REKO-CHECK: related items: 10 distinct products of the catalogue, never the query product itself, for
# each query and both recipes.
for name, (query, sims_df, similar_df) in checked.items():  # REKO-CHECK
    for recs in (list(sims_df['ITEM_ID']), list(similar_df['ITEM_ID'])):  # REKO-CHECK
        assert len(recs) == 10 and len(set(recs)) == 10, (name, recs)  # REKO-CHECK
        assert query not in recs, (name, query, recs)  # REKO-CHECK
        assert set(recs) <= set(items_df['ITEM_ID']), (name, recs)  # REKO-CHECK
# REKO-CHECK: the notebook's point: for a product with few interactions (The Amityville Horror, 8 positive
# reviews) aws-similar-items finds more products like it than SIMS does, from its metadata (brand: the first
# genre, Horror; description): at least half of its 10 are horror films, more than SIMS's.
query, sims_df, similar_df = checked["unpopular"]  # REKO-CHECK
print(sims_df[['ITEM_ID', 'BRAND', 'INTERACTIONS_COUNT']], similar_df[['ITEM_ID', 'BRAND', 'INTERACTIONS_COUNT']])  # REKO-CHECK
horror = lambda df: int(df['DESCRIPTION'].str.contains('Horror').sum())  # REKO-CHECK: horror films among them
assert horror(similar_df) > horror(sims_df) and horror(similar_df) >= 5, (horror(similar_df), horror(sims_df))  # REKO-CHECK
print("REKO-CHECK related_items_similar_items: OK")
