# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   getting_started/notebooks/2.View_Campaign_And_Interactions.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own. Runs after getting_started_1.py,
# whose campaign it reuses.

# REKO-ADAPTED: the offline environment the harness (crates/reko/tests/samples.rs) sets up.
import os
ML100K_DIR = os.environ["REKO_ML100K_DIR"]  # REKO-ADAPTED: MovieLens 100K is read from here, not downloaded
CLIENT_KW = dict(  # REKO-ADAPTED: Personalize clients talk to `reko serve` with its root key
    endpoint_url=os.environ["REKO_ENDPOINT"],
    region_name=os.environ["REKO_REGION"],
    aws_access_key_id=os.environ["REKO_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["REKO_SECRET_ACCESS_KEY"],
)

# ---- cell 2
# Imports
import boto3
import json
import numpy as np
import pandas as pd
import time
import uuid

# ---- cell 4
# REKO-ADAPTED: `%store -r` (IPython's store magic) reads back the variables getting_started_1.py
# wrote into the JSON file named by REKO_STORE.
with open(os.environ["REKO_STORE"]) as store:  # REKO-ADAPTED: %store -r
    globals().update(json.load(store))  # REKO-ADAPTED: %store -r
recommendations_df = pd.DataFrame(recommendations_df)  # REKO-ADAPTED: %store kept the DataFrame itself

# ---- cell 5
# Setup and Config
# Recommendations from Event data
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# Establish a connection to Personalize's Event Streaming
personalize_events = boto3.client(service_name='personalize-events', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys

# ---- cell 7
response = personalize.create_event_tracker(
    name='MovieClickTracker',
    datasetGroupArn=dataset_group_arn
)
print(response['eventTrackerArn'])
print(response['trackingId'])
TRACKING_ID = response['trackingId']

# ---- cell 8
event_tracker_arn = response['eventTrackerArn']

# ---- cell 10
# First load items into memory
items = pd.read_csv(os.path.join(ML100K_DIR, 'u.item'), sep='|', usecols=[0,1], encoding='latin-1', names=['ITEM_ID', 'TITLE'], index_col='ITEM_ID')  # REKO-ADAPTED: path

def get_movie_title(movie_id):
    """
    Takes in an ID, returns a title
    """
    # REKO-ADAPTED: the notebook subtracts 1 here, as notebook 1 does before its positional `iloc`; with `loc`
    # on the ITEM_ID index that names the previous film, and fails (KeyError 0) whenever film 1 (Toy Story) is
    # recommended, on Personalize too. The id is looked up as it is.
    movie_id = int(movie_id)  # REKO-ADAPTED
    return items.loc[movie_id]['TITLE']

# ---- cell 12
print(recommendations_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 14
session_dict = {}

# ---- cell 15
def send_movie_click(USER_ID, ITEM_ID):
    """
    Simulates a click as an envent
    to send an event to Amazon Personalize's Event Tracker
    """
    # Configure Session
    try:
        session_ID = session_dict[USER_ID]
    except:
        session_dict[USER_ID] = str(uuid.uuid1())
        session_ID = session_dict[USER_ID]
        
    # Configure Properties:
    event = {
    "itemId": str(ITEM_ID),
    }
    event_json = json.dumps(event)
        
    # Make Call
    personalize_events.put_events(
    trackingId = TRACKING_ID,
    userId= USER_ID,
    sessionId = session_ID,
    eventList = [{
        'sentAt': int(time.time()),
        'eventType': 'EVENT_TYPE',
        'properties': event_json
        }]
)

# ---- cell 17
# Pick a movie, we will use ID 270 or Gattaca
movie_to_click = 270
movie_title_clicked = get_movie_title(movie_to_click)
send_movie_click(USER_ID=str(user_id), ITEM_ID=movie_to_click)

# ---- cell 19
get_recommendations_response = personalize_runtime.get_recommendations(
    campaignArn = campaign_arn,
    userId = str(user_id),
)

print("Recommendations for user: ", user_id)

item_list = get_recommendations_response['itemList']

recommendation_list = []

for item in item_list:
    title = get_movie_title(item['itemId'])
    recommendation_list.append(title)
    
new_rec_DF = pd.DataFrame(recommendation_list, columns = [movie_title_clicked])

recommendations_df = recommendations_df.join(new_rec_DF)
print(recommendations_df)  # REKO-ADAPTED: Jupyter displays the bare expression; printed instead

# ---- cell 21
# REKO-ADAPTED: `%store event_tracker_arn` persists into the REKO_STORE JSON file.
with open(os.environ["REKO_STORE"]) as store:  # REKO-ADAPTED: %store
    stored = json.load(store)  # REKO-ADAPTED: %store
stored["event_tracker_arn"] = event_tracker_arn  # REKO-ADAPTED: %store
with open(os.environ["REKO_STORE"], "w") as store:  # REKO-ADAPTED: %store
    json.dump(stored, store, indent=2)  # REKO-ADAPTED: %store

# ---- REKO-CHECK: the printed results make sense.
tracker = personalize.describe_event_tracker(eventTrackerArn=event_tracker_arn)["eventTracker"]  # REKO-CHECK
assert tracker["trackingId"] == TRACKING_ID and tracker["datasetGroupArn"] == dataset_group_arn, tracker  # REKO-CHECK
assert isinstance(movie_title_clicked, str) and movie_title_clicked, movie_title_clicked  # REKO-CHECK
new_ids = [item["itemId"] for item in item_list]  # REKO-CHECK
assert len(new_ids) == 25 and len(set(new_ids)) == 25, new_ids  # REKO-CHECK: 25 distinct items
assert list(recommendations_df.columns) == ["OriginalRecs", movie_title_clicked], recommendations_df.columns  # REKO-CHECK
assert recommendations_df[movie_title_clicked].notna().all(), recommendations_df  # REKO-CHECK: the join lined up
# REKO-CHECK: no check that the list changed after the click: the notebook's user is random, one click need
# not reorder the top 25, and the clicked movie may stay recommended (as in Personalize, which keeps
# interacted items unless a filter excludes them).
print("REKO-CHECK getting_started_2: OK")
