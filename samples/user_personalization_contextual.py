# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/core_use_cases/user_personalization/user-personalization-with-contextual-recommendations.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own.
# REKO-ADAPTED: the notebook downloads the Skytrax airline reviews (airline.csv); the suite has only MovieLens
# 100K, written into that file's layout (see write_airline_csv).

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
CABINS = {5: "First Class", 4: "Business Class", 3: "Premium Economy", 2: "Economy", 1: "Economy"}  # REKO-ADAPTED


def write_airline_csv(path):  # REKO-ADAPTED: stands in for downloading airline.csv
    """MovieLens 100K as the Skytrax reviews: one review per rating, airline_name the film's title, author
    "User <id>" (the notebook removes the space), date the rating's day (YYYY-MM-DD, UTC), overall_rating the
    rating on the reviews' 1-10 scale (x 2), author_country the user's occupation, and cabin_flown the rating's
    context: First Class for 5 stars, Business Class for 4, Premium Economy for 3, Economy for 1-2 (so the
    context tells what a user thinks of the films watched in it, as a cabin tells the flight's experience)."""
    import datetime  # REKO-ADAPTED
    import pandas as pd  # REKO-ADAPTED
    ratings = pd.read_csv(os.path.join(ML100K_DIR, "u.data"), sep="\t", names=["user", "item", "rating", "ts"])  # REKO-ADAPTED
    items = pd.read_csv(os.path.join(ML100K_DIR, "u.item"), sep="|", encoding="latin-1", header=None)  # REKO-ADAPTED
    users = pd.read_csv(os.path.join(ML100K_DIR, "u.user"), sep="|", header=None,  # REKO-ADAPTED
                        names=["user", "age", "gender", "occupation", "zip"])  # REKO-ADAPTED
    ratings = ratings.merge(items[[0, 1]].rename(columns={0: "item", 1: "title"}), on="item")  # REKO-ADAPTED
    ratings = ratings.merge(users[["user", "occupation"]], on="user").sort_values("ts")  # REKO-ADAPTED
    pd.DataFrame({  # REKO-ADAPTED
        "airline_name": ratings["title"].str.strip(),  # REKO-ADAPTED
        "link": "", "title": "", "author": "User " + ratings["user"].astype(str),  # REKO-ADAPTED
        "author_country": ratings["occupation"].str.capitalize(),  # REKO-ADAPTED
        "date": [datetime.datetime.utcfromtimestamp(t).strftime("%Y-%m-%d") for t in ratings["ts"]],  # REKO-ADAPTED
        "content": "", "aircraft": "", "type_traveller": "",  # REKO-ADAPTED
        "cabin_flown": ratings["rating"].map(CABINS),  # REKO-ADAPTED
        "route": "", "overall_rating": ratings["rating"] * 2,  # REKO-ADAPTED
        "recommended": (ratings["rating"] >= 4).astype(int),  # REKO-ADAPTED
    }).to_csv(path, index=False)  # REKO-ADAPTED

# ---- cell 2
import pandas as pd, numpy as np
import io
# REKO-ADAPTED: `import scipy.sparse as ss` dropped (unused; scipy is not among the suite's modules)
import json
import time
import datetime
import os
# REKO-ADAPTED: `import sagemaker.amazon.common as smac` dropped (unused; no SageMaker SDK here)
import boto3
import uuid
from botocore.exceptions import ClientError

# ---- cell 4
data_dir = "airlines_data"
os.makedirs(data_dir, exist_ok=True)  # REKO-ADAPTED: `!mkdir $data_dir`
# REKO-ADAPTED: `!cd $data_dir && wget .../airline.csv` replaced: MovieLens 100K from REKO_ML100K_DIR is written
# into the file it would have downloaded.
write_airline_csv(data_dir + '/airline.csv')  # REKO-ADAPTED


# ---- cell 5
airline_df = pd.read_csv(data_dir + '/airline.csv')
print(airline_df.head())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 7
a_interactions_df = airline_df.copy()
a_users_df = airline_df.copy()

# ---- cell 9
# Keeping only 5 columns
a_interactions_df = a_interactions_df[['airline_name', 'author', 'date', 'cabin_flown', 'overall_rating']]
# Creating an additional column for Event Type
a_interactions_df['EVENT_TYPE']='RATING'
# Making sure the author name is unique without spaces
a_interactions_df['author'] = a_interactions_df['author'].str.replace(" ","")
# Rename the columns to a more Amazon Personalize standar notation
a_interactions_df.rename(columns = {'airline_name':'ITEM_ID', 'author':'USER_ID',
                              'date':'TIMESTAMP', 'cabin_flown': 'CABIN_TYPE', 'overall_rating': 'EVENT_VALUE'}, inplace = True) 
print(a_interactions_df.head())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 11
print(a_interactions_df.CABIN_TYPE.unique())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 13
# Get a random value from the timestamp column
arb_time_stamp = a_interactions_df.iloc[50]['TIMESTAMP']
# Transform this string to date time
date_time_obj = datetime.datetime.strptime(arb_time_stamp, '%Y-%m-%d')
print('Date:', date_time_obj.date())
# Get the date of this object
d = date_time_obj.date()
# Transform the date object to Unix time
unixtime = time.mktime(d.timetuple())
print('Unix Time: ', unixtime)

# ---- cell 15
# Define a function
def convert_to_unix(string_date):
    date_time_obj = datetime.datetime.strptime(string_date, '%Y-%m-%d')
    d = date_time_obj.date()
    return time.mktime(d.timetuple())

# Apply this function across the Timestamp column
a_interactions_df['TIMESTAMP'] = a_interactions_df['TIMESTAMP'].apply(convert_to_unix)
print(a_interactions_df.head(5))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 17
print(a_interactions_df.describe())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 19
print(a_interactions_df.isnull().values.any())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 21
a_interactions_df = a_interactions_df.dropna()
print(a_interactions_df.isnull().values.any())  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 23
interactions_filename = "a_interactions.csv"
a_interactions_df.to_csv((data_dir + "/"+interactions_filename), index=False, float_format='%.0f')

# ---- cell 25
# Copy the complete airlines data set
a_users_df = airline_df.copy()
# Select only interested columns
a_users_df = a_users_df[['author', 'author_country']]
# Clean up the authors string
a_users_df['author'] = a_users_df['author'].str.replace(" ","")
# Rename the columns
a_users_df.rename(columns = { 'author':'USER_ID', 'author_country':'NATIONALITY'}, inplace = True) 
# Drop any null values
a_users_df = a_users_df.dropna()
# Save your file locally
users_filename = "a_users.csv"
a_users_df.to_csv((data_dir +"/"+users_filename), index=False)

# ---- cell 27
# REKO-ADAPTED: no SageMaker notebook instance (/opt/ml/metadata/resource-metadata.json): the region
# comes from the environment.
region = os.environ["REKO_REGION"]  # REKO-ADAPTED
print(region)

# ---- cell 29
s3 = boto3.client('s3', **S3_KW)  # REKO-ADAPTED: moto endpoint
account_id = "123456789012"  # REKO-ADAPTED: no STS; was boto3.client('sts').get_caller_identity().get('Account')
suffix = str(np.random.uniform())[4:9]
bucket_name = "personalize-user-personalization-example" + suffix
print(bucket_name)
if region != "us-east-1":
    s3.create_bucket(Bucket=bucket_name, CreateBucketConfiguration={'LocationConstraint': region})
else:
    s3.create_bucket(Bucket=bucket_name)

# ---- cell 31
interactions_filename = data_dir + '/a_interactions.csv'
boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(interactions_filename).upload_file(interactions_filename)  # REKO-ADAPTED: moto endpoint

# ---- cell 32
user_metadata_file = data_dir + '/a_users.csv'
boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(user_metadata_file).upload_file(user_metadata_file)  # REKO-ADAPTED: moto endpoint

# ---- cell 34
personalize = boto3.client(service_name='personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client(service_name='personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_events = boto3.client(service_name='personalize-events', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# ---- cell 36
dataset_group_name = "airlines-dataset-group-" + suffix

create_dataset_group_response = personalize.create_dataset_group(
    name = dataset_group_name
)

dataset_group_arn = create_dataset_group_response['datasetGroupArn']
print(json.dumps(create_dataset_group_response, indent=2))

# ---- cell 38
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

# ---- cell 41
schema_name="airlines-interaction-schema-"+suffix

# ---- cell 42
schema = {
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
            "name": "TIMESTAMP",
            "type": "long"
        },
        {
            "name":"CABIN_TYPE",
            "type": "string",
            "categorical": True
        },
        {
          "name": "EVENT_TYPE",
          "type": "string"
        },
        {
          "name": "EVENT_VALUE",
          "type": "float"
        }
    ],
    "version": "1.0"
}

create_schema_response = personalize.create_schema(
    name = schema_name,
    schema = json.dumps(schema)
)

schema_arn = create_schema_response['schemaArn']
print(json.dumps(create_schema_response, indent=2))

# ---- cell 43
dataset_type = "INTERACTIONS"
create_dataset_response = personalize.create_dataset(
    datasetType = dataset_type,
    datasetGroupArn = dataset_group_arn,
    schemaArn = schema_arn,
    name = "airlines-dataset-interactions-" + suffix
)

interactions_dataset_arn = create_dataset_response['datasetArn']
print(json.dumps(create_dataset_response, indent=2))

# ---- cell 45
metadata_schema_name="airlines-users-schema-"+suffix

# ---- cell 46
metadata_schema = {
    "type": "record",
    "name": "Users",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {
            "name": "USER_ID",
            "type": "string"
        },
        {
            "name": "NATIONALITY",
            "type": "string",
            "categorical": True
        }
    ],
    "version": "1.0"
}

create_metadata_schema_response = personalize.create_schema(
    name = metadata_schema_name,
    schema = json.dumps(metadata_schema)
)

metadata_schema_arn = create_metadata_schema_response['schemaArn']
print(json.dumps(create_metadata_schema_response, indent=2))


# ---- cell 47
dataset_type = "USERS"
create_metadata_dataset_response = personalize.create_dataset(
    datasetType = dataset_type,
    datasetGroupArn = dataset_group_arn,
    schemaArn = metadata_schema_arn,
    name = "airlines-metadata-dataset-users-" + suffix
)

metadata_dataset_arn = create_metadata_dataset_response['datasetArn']
print(json.dumps(create_metadata_dataset_response, indent=2))

# ---- cell 50
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
                "arn:aws:s3:::{}".format(bucket_name),
                "arn:aws:s3:::{}/*".format(bucket_name)
            ]
        }
    ]
}

s3.put_bucket_policy(Bucket=bucket_name, Policy=json.dumps(policy));

# ---- cell 52
# REKO-ADAPTED: IAM role creation skipped (no IAM here: create_role, attach_role_policy and the 45 s wait
# for the role); the role ARN comes from REKO_ROLE_ARN.
role_name = "PersonalizeS3Role-"+suffix
role_arn = os.environ["REKO_ROLE_ARN"]  # REKO-ADAPTED: instead of create_role_response["Role"]["Arn"]
# REKO-ADAPTED: the cell's time.sleep(45) also gave the datasets created just before the time to become ACTIVE,
# which CreateDatasetImportJob needs (Reko answers ResourceInUseException before); it becomes a wait for that.
for _ in range(600):  # REKO-ADAPTED: up to 60 s
    if all(personalize.describe_dataset(datasetArn=arn)["dataset"]["status"] == "ACTIVE" for arn in (interactions_dataset_arn, metadata_dataset_arn)):  # REKO-ADAPTED
        break  # REKO-ADAPTED
    time.sleep(0.1)  # REKO-ADAPTED
print(role_arn)

# ---- cell 55
create_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "airlines-dataset-import-job-"+suffix,
    datasetArn = interactions_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, interactions_filename)
    },
    roleArn = role_arn
)

dataset_import_job_arn = create_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_dataset_import_job_response, indent=2))

# ---- cell 57
create_metadata_dataset_import_job_response = personalize.create_dataset_import_job(
    jobName = "airlines-users-metadata-dataset-import-job-"+suffix,
    datasetArn = metadata_dataset_arn,
    dataSource = {
        "dataLocation": "s3://{}/{}".format(bucket_name, user_metadata_file)
    },
    roleArn = role_arn
)

metadata_dataset_import_job_arn = create_metadata_dataset_import_job_response['datasetImportJobArn']
print(json.dumps(create_metadata_dataset_import_job_response, indent=2))

# ---- cell 60
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

# ---- cell 61
status = None
max_time = time.time() + 3*60*60 # 3 hours
while time.time() < max_time:
    describe_dataset_import_job_response = personalize.describe_dataset_import_job(
        datasetImportJobArn = metadata_dataset_import_job_arn
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

# ---- cell 65
recipe_list = personalize.list_recipes()
for recipe in recipe_list['recipes']:
    print(recipe['recipeArn'])

# ---- cell 67
recipe_arn = "arn:aws:personalize:::recipe/aws-user-personalization"

# ---- cell 69
create_solution_response = personalize.create_solution(
    name = "airlines-user-personalization-solution-HPO-"+suffix,
    datasetGroupArn = dataset_group_arn,
    recipeArn = recipe_arn,
    performHPO=True
)

solution_arn = create_solution_response['solutionArn']
print(json.dumps(create_solution_response, indent=2))

# ---- cell 71
create_solution_version_response = personalize.create_solution_version(
    solutionArn = solution_arn
)

solution_version_arn = create_solution_version_response['solutionVersionArn']
print(json.dumps(create_solution_version_response, indent=2))

# ---- cell 72
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

# ---- cell 74
get_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = solution_version_arn
)

print(json.dumps(get_solution_metrics_response, indent=2))


# ---- cell 78
create_campaign_response = personalize.create_campaign(
    name = "airlines-metadata-campaign-"+suffix,
    solutionVersionArn = solution_version_arn,
    minProvisionedTPS = 2,    
)

campaign_arn = create_campaign_response['campaignArn']
print(json.dumps(create_campaign_response, indent=2))

# ---- cell 79
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

# ---- cell 81
users_df = pd.read_csv(data_dir + '/a_users.csv')
# Render some sample data
print(users_df.sample(5))  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 83
# Update DF rendering
pd.set_option('display.max_rows', 30)

def get_new_recommendations_df_users(recommendations_df, user_id):
    
#   Context Recommendations
    context_options = ['None','Economy', 'Business Class','Premium Economy', 'First Class']
    
    for context in context_options:
        # Get the recommendations
        if context=='none':
            get_recommendations_response = personalize_runtime.get_recommendations(
                campaignArn = campaign_arn,
                userId = str(user_id),
            )
        else:
            get_recommendations_response = personalize_runtime.get_recommendations(
                campaignArn = campaign_arn,
                userId = str(user_id),
                context = {
                  'CABIN_TYPE': context
                }
            )
        # Build a new dataframe of recommendations
        item_list = get_recommendations_response['itemList']
        recommendation_list = []
        for item in item_list:
            recommendation_list.append(item['itemId'])
    #     print(recommendation_list)
        new_rec_DF = pd.DataFrame(recommendation_list, columns = [context])
        # Add this dataframe to the old one
        recommendations_df = pd.concat([recommendations_df, new_rec_DF], axis=1)
    return recommendations_df

# ---- cell 84
context_frames = []  # REKO-CHECK: the lists of cells 84, 85 and 92, kept for the checks
recommendations_df_users = pd.DataFrame()
users = users_df.sample()
print(users)
users= users['USER_ID'].tolist()
for user in users:
    recommendations_df_users = get_new_recommendations_df_users(recommendations_df_users, user)

print(recommendations_df_users)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
context_frames.append((users[0], recommendations_df_users))  # REKO-CHECK: kept for the checks
# ---- cell 85
recommendations_df_users = pd.DataFrame()
users = users_df.sample()
print(users)
users= users['USER_ID'].tolist()
for user in users:
    recommendations_df_users = get_new_recommendations_df_users(recommendations_df_users, user)

print(recommendations_df_users)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
context_frames.append((users[0], recommendations_df_users))  # REKO-CHECK: kept for the checks
# ---- cell 87
response = personalize.create_event_tracker(
    name='AirlinesEventsTracker',
    datasetGroupArn=dataset_group_arn
)
print(response['eventTrackerArn'])
print(response['trackingId'])
TRACKING_ID = response['trackingId']
event_tracker_arn = response['eventTrackerArn']

# ---- cell 89
session_dict = {}

def send_user_rating(USER_ID, ITEM_ID):
    """
    Simulates a click as an envent
    to send an event to Amazon Personalize's Event Tracker
    """
    # Configure Session
    try:
        session_ID = session_dict[str(USER_ID)]
    except:
        session_dict[str(USER_ID)] = str(uuid.uuid1())
        session_ID = session_dict[str(USER_ID)]
        
    # Configure Properties:
    event = {
        "itemId": str(ITEM_ID),
        "eventValue": 10,
        "cabinType": "Economy"
    }
    event_json = json.dumps(event)
        
    # Make Call
    personalize_events.put_events(
        trackingId = TRACKING_ID,
        userId= str(USER_ID),
        sessionId = session_ID,
        eventList = [{
            'sentAt': int(time.time()),
            'eventType': 'RATING',
            'properties': event_json
            }]
    )

def get_new_recommendations_df_users_real_time(recommendations_df, user_id, item_id):
    # Interact with the airline
    # Sending a rating of 10 in Economy class for the airline with that user
    send_user_rating(USER_ID=user_id, ITEM_ID=item_id)
    
    
    #   Context Recommendations
    get_recommendations_response = personalize_runtime.get_recommendations(
        campaignArn = campaign_arn,
        userId = str(user_id),
        context = {
          'CABIN_TYPE': 'Economy'
        }
    )
    # Build a new dataframe of recommendations
    item_list = get_recommendations_response['itemList']
    recommendation_list = []
    for item in item_list:
        recommendation_list.append(item['itemId'])
    new_rec_DF = pd.DataFrame(recommendation_list, columns = [item_id+'|Economy'])
    recommendations_df = pd.concat([recommendations_df, new_rec_DF], axis=1)
    return recommendations_df


# ---- cell 92
recommendations_df_users = pd.DataFrame()
users = users_df.sample()
print(users)
users= users['USER_ID'].tolist()
for user in users:
    recommendations_df_users = get_new_recommendations_df_users(recommendations_df_users, user)
user_id = users[0]
print(recommendations_df_users)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
context_frames.append((users[0], recommendations_df_users))  # REKO-CHECK: kept for the checks
# ---- cell 93
print(user_id)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 95
# Next generate 3 random Airlines
airlines = a_interactions_df.sample(3)['ITEM_ID'].tolist()
print(airlines)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead
# ---- cell 96
user_recommendations_df = pd.DataFrame()
# Note this will take about 15 seconds to complete due to the sleeps
for airline in airlines:
    user_recommendations_df = get_new_recommendations_df_users_real_time(user_recommendations_df, user_id, airline)
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(5)
print(user_id)
print(user_recommendations_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- REKO-CHECK: the printed results make sense.
assert describe_dataset_import_job_response["datasetImportJob"]["status"] == "ACTIVE"  # REKO-CHECK: both imports
assert describe_solution_version_response["solutionVersion"]["status"] == "ACTIVE"  # REKO-CHECK
assert describe_campaign_response["campaign"]["status"] == "ACTIVE"  # REKO-CHECK
metrics = get_solution_metrics_response["metrics"]  # REKO-CHECK
assert 0.0 <= metrics["coverage"] <= 1.0 and 0.0 <= metrics["normalized_discounted_cumulative_gain_at_10"] <= 1.0, metrics  # REKO-CHECK
known = set(a_interactions_df["ITEM_ID"])  # REKO-CHECK
# REKO-CHECK: each list is 25 distinct known airlines (films); the contexts change the lists.
assert len(context_frames) == 3  # REKO-CHECK
for user, frame in context_frames:  # REKO-CHECK
    assert list(frame.columns) == ['None', 'Economy', 'Business Class', 'Premium Economy', 'First Class'], frame.columns  # REKO-CHECK
    for column in frame.columns:  # REKO-CHECK
        recs = list(frame[column])  # REKO-CHECK
        assert len(recs) == 25 and len(set(recs)) == 25 and set(recs) <= known, (user, column, recs)  # REKO-CHECK
    assert list(frame['First Class']) != list(frame['Economy']), (user, frame)  # REKO-CHECK
# REKO-CHECK: and as the stand-in data means them: a cabin is the rating a user gave the films seen in it, so
# First Class recommends better-rated films than Economy, for each user.
mean_rating = a_interactions_df.groupby("ITEM_ID")["EVENT_VALUE"].mean()  # REKO-CHECK
for user, frame in context_frames:  # REKO-CHECK
    by_context = {c: round(float(mean_rating[list(frame[c])].mean()), 2) for c in frame.columns}  # REKO-CHECK
    print(user, by_context)  # REKO-CHECK
    assert by_context['First Class'] > by_context['Economy'], (user, by_context)  # REKO-CHECK
# REKO-CHECK: the lists after each real-time event: 25 distinct known airlines each.
assert len(user_recommendations_df.columns) == 3  # REKO-CHECK
for column in user_recommendations_df.columns:  # REKO-CHECK
    recs = list(user_recommendations_df[column])  # REKO-CHECK
    assert len(recs) == 25 and len(set(recs)) == 25 and set(recs) <= known, (column, recs)  # REKO-CHECK
print("REKO-CHECK user_personalization_contextual: OK")

