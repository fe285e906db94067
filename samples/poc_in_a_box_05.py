# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/workshops/POC_in_a_box/completed/05_Interacting_with_Campaigns_and_Filters.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own. Runs after poc_in_a_box_04.py.

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

# ---- cell 1
import time
from time import sleep
import json
from datetime import datetime
import uuid
import random

import boto3
import pandas as pd
# ---- cell 2
with open(STORE) as saved:  # REKO-ADAPTED: `%store -r` reads back what poc_in_a_box_01..04.py stored
    globals().update(json.load(saved))  # REKO-ADAPTED: %store -r
# ---- cell 3
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# Establish a connection to Personalize's event streaming
personalize_events = boto3.client(service_name='personalize-events', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
# ---- cell 5
# Create a dataframe for the items by reading in the correct source CSV
items_df = pd.read_csv(dataset_dir + '/movies.csv', sep=',', usecols=[0,1], encoding='latin-1', dtype={'movieId': "object", 'title': "str"},index_col=0)
# REKO-ADAPTED: pandas >= 2 applies dtype to the index column too (a str index); the notebook's lookups
# (`items_df.loc[589]`, `movie_df.loc[int(movie_id)]`) need the int index older pandas gave it.
items_df.index = items_df.index.astype(int)  # REKO-ADAPTED

# Render some sample data
print(items_df.head(5))  # REKO-ADAPTED: bare expression printed
# ---- cell 7
movie_id_example = 589
title = items_df.loc[movie_id_example]['title']
print(title)
# ---- cell 9
def get_movie_by_id(movie_id, movie_df=items_df):
    """
    This takes in an artist_id from Personalize so it will be a string,
    converts it to an int, and then does a lookup in a default or specified
    dataframe.
    
    A really broad try/except clause was added in case anything goes wrong.
    
    Feel free to add more debugging or filtering here to improve results if
    you hit an error.
    """
    try:
        return movie_df.loc[int(movie_id)]['title']
    except:
        return "Error obtaining title"
# ---- cell 11
# A known good id (The Princess Bride)
print(get_movie_by_id(movie_id="1197"))
# A bad type of value
print(get_movie_by_id(movie_id="987.9393939"))
# Really bad values
print(get_movie_by_id(movie_id="Steve"))
# ---- cell 15
get_recommendations_response = personalize_runtime.get_recommendations(
    campaignArn = sims_campaign_arn,
    itemId = str(589),
)
# ---- cell 16
item_list = get_recommendations_response['itemList']
for item in item_list:
    print(get_movie_by_id(movie_id=item['itemId']))
sims_589 = [item['itemId'] for item in item_list]  # REKO-CHECK: kept for the checks
# ---- cell 18
# Update DF rendering
pd.set_option('display.max_rows', 30)

def get_new_recommendations_df(recommendations_df, movie_ID):
    # Get the movie name
    movie_name = get_movie_by_id(movie_ID)
    # Get the recommendations
    get_recommendations_response = personalize_runtime.get_recommendations(
        campaignArn = sims_campaign_arn,
        itemId = str(movie_ID),
    )
    # Build a new dataframe of recommendations
    item_list = get_recommendations_response['itemList']
    recommendation_list = []
    for item in item_list:
        movie = get_movie_by_id(item['itemId'])
        recommendation_list.append(movie)
    new_rec_DF = pd.DataFrame(recommendation_list, columns = [movie_name])
    # Add this dataframe to the old one
    recommendations_df = pd.concat([recommendations_df, new_rec_DF], axis=1)
    return recommendations_df
# ---- cell 20
samples = items_df.sample(5)
print(samples)  # REKO-ADAPTED: bare expression printed
# ---- cell 21
sims_recommendations_df = pd.DataFrame()
movies = samples.index.tolist()

for movie in movies:
    sims_recommendations_df = get_new_recommendations_df(sims_recommendations_df, movie)

print(sims_recommendations_df)  # REKO-ADAPTED: bare expression printed
# ---- cell 24
if not USE_FULL_MOVIELENS:
    users = random.sample(range(1, 600), 3)
else:
    users = random.sample(range(1, 162000), 3)
print(users)  # REKO-ADAPTED: bare expression printed
# ---- cell 26
# Update DF rendering
pd.set_option('display.max_rows', 30)

def get_new_recommendations_df_users(recommendations_df, user_id):
    # Get the movie name
    #movie_name = get_movie_by_id(artist_ID)
    # Get the recommendations
    get_recommendations_response = personalize_runtime.get_recommendations(
        campaignArn = userpersonalization_campaign_arn,
        userId = str(user_id),
    )
    # Build a new dataframe of recommendations
    item_list = get_recommendations_response['itemList']
    recommendation_list = []
    for item in item_list:
        movie = get_movie_by_id(item['itemId'])
        recommendation_list.append(movie)
    #print(recommendation_list)
    new_rec_DF = pd.DataFrame(recommendation_list, columns = [user_id])
    # Add this dataframe to the old one
    recommendations_df = pd.concat([recommendations_df, new_rec_DF], axis=1)
    return recommendations_df
# ---- cell 27
recommendations_df_users = pd.DataFrame()
#users = users_df.sample(3).index.tolist()

for user in users:
    recommendations_df_users = get_new_recommendations_df_users(recommendations_df_users, user)

print(recommendations_df_users)  # REKO-ADAPTED: bare expression printed
# ---- cell 30
def get_new_recommendations_df_by_filter(recommendations_df, user_id, filter_arn):
    # Get the movie name
    #movie_name = get_movie_by_id(artist_ID)
    # Get the recommendations
    get_recommendations_response = personalize_runtime.get_recommendations(
        campaignArn = userpersonalization_campaign_arn,
        userId = str(user_id),
        filterArn = filter_arn
    )
    # Build a new dataframe of recommendations
    item_list = get_recommendations_response['itemList']
    recommendation_list = []
    for item in item_list:
        movie = get_movie_by_id(item['itemId'])
        recommendation_list.append(movie)
    #print(recommendation_list)
    filter_name = filter_arn.split('/')[1]
    new_rec_DF = pd.DataFrame(recommendation_list, columns = [filter_name])
    # Add this dataframe to the old one
    recommendations_df = pd.concat([recommendations_df, new_rec_DF], axis=1)
    return recommendations_df
# ---- cell 32
recommendations_df_shelves = pd.DataFrame()
for filter_arn in meta_filter_arns:
    recommendations_df_shelves = get_new_recommendations_df_by_filter(recommendations_df_shelves, user, filter_arn)
for filter_arn in decade_filter_arns:
    recommendations_df_shelves = get_new_recommendations_df_by_filter(recommendations_df_shelves, user, filter_arn)

print(recommendations_df_shelves)  # REKO-ADAPTED: bare expression printed
# ---- cell 34
response = personalize.create_event_tracker(
    name='MovieTracker',
    datasetGroupArn=dataset_group_arn
)
print(response['eventTrackerArn'])
print(response['trackingId'])
TRACKING_ID = response['trackingId']
event_tracker_arn = response['eventTrackerArn']
# REKO-ADAPTED: Personalize documents that "the event tracker must be in the ACTIVE state before using the
# tracking ID", and Reko refuses PutEvents before then; a reader running cells by hand gives it the time, the
# script waits for it (up to 60 s).
for _ in range(60):  # REKO-ADAPTED
    if personalize.describe_event_tracker(eventTrackerArn=event_tracker_arn)["eventTracker"]["status"] == "ACTIVE":  # REKO-ADAPTED
        break  # REKO-ADAPTED
    time.sleep(1)  # REKO-ADAPTED
# ---- cell 36
session_dict = {}

def send_movie_click(USER_ID, ITEM_ID, EVENT_TYPE):
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
    }
    event_json = json.dumps(event)
        
    # Make Call
    
    personalize_events.put_events(
    trackingId = TRACKING_ID,
    userId= str(USER_ID),
    sessionId = session_ID,
    eventList = [{
        'sentAt': int(time.time()),
        'eventType': str(EVENT_TYPE),
        'properties': event_json
        }]
    )

def get_new_recommendations_df_users_real_time(recommendations_df, user_id, item_id, event_type):
    # Get the artist name (header of column)
    movie_name = get_movie_by_id(item_id)
    # Interact with different movies
    print('sending event ' + event_type + ' for ' + get_movie_by_id(item_id))
    send_movie_click(USER_ID=user_id, ITEM_ID=item_id, EVENT_TYPE=event_type)
    # Get the recommendations (note you should have a base recommendation DF created before)
    get_recommendations_response = personalize_runtime.get_recommendations(
        campaignArn = userpersonalization_campaign_arn,
        userId = str(user_id),
    )
    # Build a new dataframe of recommendations
    item_list = get_recommendations_response['itemList']
    recommendation_list = []
    for item in item_list:
        artist = get_movie_by_id(item['itemId'])
        recommendation_list.append(artist)
    new_rec_DF = pd.DataFrame(recommendation_list, columns = [movie_name])
    # Add this dataframe to the old one
    #recommendations_df = recommendations_df.join(new_rec_DF)
    recommendations_df = pd.concat([recommendations_df, new_rec_DF], axis=1)
    return recommendations_df
# ---- cell 38
# First pick a user
user_id = user

# Get recommendations for the user
get_recommendations_response = personalize_runtime.get_recommendations(
        campaignArn = userpersonalization_campaign_arn,
        userId = str(user_id),
    )

# Build a new dataframe for the recommendations
item_list = get_recommendations_response['itemList']
recommendation_list = []
for item in item_list:
    artist = get_movie_by_id(item['itemId'])
    recommendation_list.append(artist)
user_recommendations_df = pd.DataFrame(recommendation_list, columns = [user_id])
print(user_recommendations_df)  # REKO-ADAPTED: bare expression printed
# ---- cell 40
# Next generate 3 random movies
movies = items_df.sample(3).index.tolist()
# ---- cell 41
# Note this will take about 15 seconds to complete due to the sleeps
for movie in movies:
    user_recommendations_df = get_new_recommendations_df_users_real_time(user_recommendations_df, user_id, movie,'click')
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(5)
# ---- cell 43
print(user_recommendations_df)  # REKO-ADAPTED: bare expression printed
# ---- cell 46
recommendations_df_events = pd.DataFrame()
for filter_arn in interaction_filter_arns:
    recommendations_df_events = get_new_recommendations_df_by_filter(recommendations_df_events, user, filter_arn)
    
print(recommendations_df_events)  # REKO-ADAPTED: bare expression printed
# ---- cell 48
 # Get the recommendations
top_unwatched_recommendations_response = personalize_runtime.get_recommendations(
    campaignArn = userpersonalization_campaign_arn,
    userId = str(user_id),
    filterArn = filter_arn,
    numResults=4)
item_list = top_unwatched_recommendations_response['itemList']
for item in item_list:
    print('sending event watch for ' + get_movie_by_id(item['itemId']))
    send_movie_click(USER_ID=user_id, ITEM_ID=item['itemId'], EVENT_TYPE='watch')
    time.sleep(1)  # REKO-ADAPTED: was time.sleep(10)
# ---- cell 50
recommendations_df_events = pd.DataFrame()
for filter_arn in interaction_filter_arns:
    recommendations_df_events = get_new_recommendations_df_by_filter(recommendations_df_events, user, filter_arn)
    
print(recommendations_df_events)  # REKO-ADAPTED: bare expression printed
# ---- cell 52
rerank_user = user
rerank_items = items_df.sample(25).index.tolist()
# ---- cell 54
rerank_list = []
for item in rerank_items:
    movie = get_movie_by_id(item)
    rerank_list.append(movie)
rerank_df = pd.DataFrame(rerank_list, columns = ['Un-Ranked'])
print(rerank_df)  # REKO-ADAPTED: bare expression printed
# ---- cell 56
# Convert user to string:
user_id = str(rerank_user)
rerank_item_list = []
for item in rerank_items:
    rerank_item_list.append(str(item))
    
# Get recommended reranking
get_recommendations_response_rerank = personalize_runtime.get_personalized_ranking(
        campaignArn = rerank_campaign_arn,
        userId = user_id,
        inputList = rerank_item_list
)
# ---- cell 58
ranked_list = []
item_list = get_recommendations_response_rerank['personalizedRanking']
for item in item_list:
    movie = get_movie_by_id(item['itemId'])
    ranked_list.append(movie)
ranked_df = pd.DataFrame(ranked_list, columns = ['Re-Ranked'])
rerank_df = pd.concat([rerank_df, ranked_df], axis=1)
print(rerank_df)  # REKO-ADAPTED: bare expression printed
# ---- cell 62
# We will use the same users from before
users
# Write the file to disk
json_input_filename = "json_input.json"
with open(data_dir + "/" + json_input_filename, 'w') as json_input:
    for user_id in users:
        json_input.write('{"userId": "' + str(user_id) + '"}\n')
# ---- cell 63
# Showcase the input file:
print(open(data_dir + "/" + json_input_filename).read())  # REKO-ADAPTED: `!cat $data_dir"/"$json_input_filename`
# ---- cell 65
# Upload files to S3
boto3.Session().resource('s3', **S3_KW).Bucket(bucket_name).Object(json_input_filename).upload_file(data_dir+"/"+json_input_filename)  # REKO-ADAPTED: moto endpoint
s3_input_path = "s3://" + bucket_name + "/" + json_input_filename
print(s3_input_path)
# ---- cell 67
# Define the output path
s3_output_path = "s3://" + bucket_name + "/"
print(s3_output_path)
# ---- cell 69
batchInferenceJobArn = personalize.create_batch_inference_job (
    solutionVersionArn = userpersonalization_solution_version_arn,
    jobName = "VOD-POC-Batch-Inference-Job-UserPersonalization_" + str(round(time.time()*1000)),
    roleArn = role_arn,
    jobInput = 
     {"s3DataSource": {"path": s3_input_path}},
    jobOutput = 
     {"s3DataDestination":{"path": s3_output_path}}
)
batchInferenceJobArn = batchInferenceJobArn['batchInferenceJobArn']
# ---- cell 71
current_time = datetime.now()
print("Import Started on: ", current_time.strftime("%I:%M:%S %p"))

max_time = time.time() + 6*60*60 # 6 hours
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
# ---- cell 72
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
            movie = get_movie_by_id(item)
            recommendation_list.append(movie)
        if 'bulk_recommendations_df' in locals():
            new_rec_DF = pd.DataFrame(recommendation_list, columns = [col_header])
            bulk_recommendations_df = bulk_recommendations_df.join(new_rec_DF)
        else:
            bulk_recommendations_df = pd.DataFrame(recommendation_list, columns=[col_header])
        try:
            line = json.loads(json_file.readline())
        except:
            line = None
print(bulk_recommendations_df)  # REKO-ADAPTED: bare expression printed
# ---- cell 74
store(event_tracker_arn=event_tracker_arn)  # REKO-ADAPTED: %store event_tracker_arn
store(batchInferenceJobArn=batchInferenceJobArn)  # REKO-ADAPTED: %store batchInferenceJobArn

# ---- REKO-CHECK: the printed results make sense.
def rec_ids(**kw):  # REKO-CHECK
    return [i["itemId"] for i in personalize_runtime.get_recommendations(**kw)["itemList"]]  # REKO-CHECK
def distinct_known(ids, n=25):  # REKO-CHECK: n distinct items of the catalogue (or up to n with filters)
    assert len(set(ids)) == len(ids), ids  # REKO-CHECK
    assert (len(ids) == n) if n else (len(ids) <= 25), ids  # REKO-CHECK
    assert all(int(i) in items_df.index for i in ids), ids  # REKO-CHECK
    return ids  # REKO-CHECK
meta = pd.read_csv(data_dir + "/item-meta.csv", index_col=0)  # REKO-CHECK: what 02 imported
meta["YEAR"] = pd.to_numeric(meta["YEAR"], errors="coerce")  # REKO-CHECK: one title's "(V)" is no year
ints = pd.read_csv(data_dir + "/interactions.csv")  # REKO-CHECK: what 01 imported
# REKO-CHECK: related items exclude the query item and mostly share its genre.
distinct_known(sims_589)  # REKO-CHECK
assert "589" not in sims_589, sims_589  # REKO-CHECK
assert "Error obtaining title" not in sims_recommendations_df.values, sims_recommendations_df  # REKO-CHECK
for movie in samples.index.tolist():  # REKO-CHECK
    ids = distinct_known(rec_ids(campaignArn=sims_campaign_arn, itemId=str(movie)))  # REKO-CHECK
    assert str(movie) not in ids, (movie, ids)  # REKO-CHECK
assert sims_589 != rec_ids(campaignArn=sims_campaign_arn, itemId="1"), sims_589  # REKO-CHECK: not one list for all
# REKO-CHECK: user lists are personalized (the 3 users do not all get one list).
user_lists = [tuple(distinct_known(rec_ids(campaignArn=userpersonalization_campaign_arn, userId=str(u))))  # REKO-CHECK
              for u in users]  # REKO-CHECK
assert len(set(user_lists)) > 1, user_lists  # REKO-CHECK
# REKO-CHECK: genre shelves hold only that genre, the decade shelf only 1970s films.
for arn in meta_filter_arns:  # REKO-CHECK
    genre = personalize.describe_filter(filterArn=arn)["filter"]["name"]  # REKO-CHECK
    ids = distinct_known(rec_ids(campaignArn=userpersonalization_campaign_arn, userId=str(user), filterArn=arn), n=None)  # REKO-CHECK
    assert ids, genre  # REKO-CHECK: a shelf is never empty
    for i in ids:  # REKO-CHECK
        assert genre in meta.loc[int(i), "GENRE"].split("|"), (genre, i, meta.loc[int(i), "GENRE"])  # REKO-CHECK
ids = distinct_known(rec_ids(campaignArn=userpersonalization_campaign_arn, userId=str(user),  # REKO-CHECK
                             filterArn=decade_filter_arns[0]), n=None)  # REKO-CHECK
assert ids and all(1970 <= meta.loc[int(i), "YEAR"] < 1980 for i in ids), [(i, meta.loc[int(i), "YEAR"]) for i in ids]  # REKO-CHECK
# REKO-CHECK: clicks sent in real time change the next recommendations.
initial = list(user_recommendations_df.iloc[:, 0])  # REKO-CHECK
assert any(list(user_recommendations_df.iloc[:, k]) != initial for k in range(1, 4)), user_recommendations_df  # REKO-CHECK
# REKO-CHECK: "watched" holds only films the user watched (imported or sent above), "unwatched" none of them,
# including the 4 sent as watch events in cell 48.
sent_watched = [i["itemId"] for i in top_unwatched_recommendations_response["itemList"]]  # REKO-CHECK
assert len(sent_watched) == 4, sent_watched  # REKO-CHECK
watched = set(ints[(ints.USER_ID == user) & (ints.EVENT_TYPE == "watch")].ITEM_ID.astype(str)) | set(sent_watched)  # REKO-CHECK
watched_arn, unwatched_arn = interaction_filter_arns  # REKO-CHECK
ids = distinct_known(rec_ids(campaignArn=userpersonalization_campaign_arn, userId=str(user), filterArn=watched_arn), n=None)  # REKO-CHECK
assert ids and set(ids) <= watched, set(ids) - watched  # REKO-CHECK
ids = distinct_known(rec_ids(campaignArn=userpersonalization_campaign_arn, userId=str(user), filterArn=unwatched_arn))  # REKO-CHECK
# REKO-CHECK: Personalize's interaction filters consider each user's 100 newest interactions per event type:
# the 4 sent watches, and the imported watches newer than the 96th newest, are certainly among them.
user_watch_ts = ints[(ints.USER_ID == user) & (ints.EVENT_TYPE == "watch")].TIMESTAMP.sort_values(ascending=False)  # REKO-CHECK
cutoff = user_watch_ts.iloc[95] if len(user_watch_ts) > 96 else -1  # REKO-CHECK
recent = set(ints[(ints.USER_ID == user) & (ints.EVENT_TYPE == "watch") & (ints.TIMESTAMP > cutoff)].ITEM_ID.astype(str))  # REKO-CHECK
assert not set(ids) & recent, set(ids) & recent  # REKO-CHECK
assert not set(ids) & set(sent_watched), (ids, sent_watched)  # REKO-CHECK: the real-time watches count at once
# REKO-CHECK: reranking is a permutation of its input that reorders it.
ranked = [i["itemId"] for i in get_recommendations_response_rerank["personalizedRanking"]]  # REKO-CHECK
assert sorted(ranked) == sorted(rerank_item_list) and ranked != rerank_item_list, (ranked, rerank_item_list)  # REKO-CHECK
# REKO-CHECK: the batch job answered every input user with 25 distinct items.
assert describe_dataset_inference_job_response["batchInferenceJob"]["status"] == "ACTIVE"  # REKO-CHECK
assert list(bulk_recommendations_df.columns) == ["User: " + str(u) for u in users], bulk_recommendations_df.columns  # REKO-CHECK
assert bulk_recommendations_df.shape == (25, 3), bulk_recommendations_df.shape  # REKO-CHECK
assert "Error obtaining title" not in bulk_recommendations_df.values  # REKO-CHECK
print("REKO-CHECK poc_in_a_box_05: OK")
