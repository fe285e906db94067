# Extracted from aws-samples/amazon-personalize-samples (MIT-0, Copyright 2018 Amazon.com, Inc. or its
# affiliates; see samples/LICENSE-amazon-personalize-samples and samples/README.md):
#   next_steps/workshops/POC_in_a_box/completed/03_Creating_and_Evaluating_Solutions.ipynb
# The notebook's code cells in order, as written, except the lines marked `# REKO-ADAPTED: <why>`;
# the asserts marked `# REKO-CHECK` at the end are Reko's own. Runs after poc_in_a_box_02.py.

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
import json  # REKO-ADAPTED: for %store -r
with open(STORE) as saved:  # REKO-ADAPTED: `%store -r` reads back what poc_in_a_box_01/02.py stored
    globals().update(json.load(saved))  # REKO-ADAPTED: %store -r
# ---- cell 3
import time
from time import sleep
import json

import boto3
# ---- cell 4
# Configure the SDK to Personalize:
personalize = boto3.client('personalize', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
personalize_runtime = boto3.client('personalize-runtime', **CLIENT_KW)  # REKO-ADAPTED: endpoint/region/keys
# ---- cell 6
list_recipes_response = personalize.list_recipes()  # REKO-ADAPTED: kept for the checks
print(list_recipes_response)  # REKO-ADAPTED: bare expression printed
# ---- cell 8
user_personalization_recipe_arn = "arn:aws:personalize:::recipe/aws-user-personalization"
# ---- cell 10
user_personalization_create_solution_response = personalize.create_solution(
    name = "personalize-poc-userpersonalization",
    datasetGroupArn = dataset_group_arn,
    recipeArn = user_personalization_recipe_arn
)

user_personalization_solution_arn = user_personalization_create_solution_response['solutionArn']

# ---- cell 11
print(json.dumps(user_personalization_solution_arn, indent=2))
# ---- cell 13
userpersonalization_create_solution_version_response = personalize.create_solution_version(
    solutionArn = user_personalization_solution_arn
)
# ---- cell 14
userpersonalization_solution_version_arn = userpersonalization_create_solution_version_response['solutionVersionArn']
print(json.dumps(user_personalization_create_solution_response, indent=2))
# ---- cell 16
SIMS_recipe_arn = "arn:aws:personalize:::recipe/aws-sims"
# ---- cell 18
sims_create_solution_response = personalize.create_solution(
    name = "personalize-poc-sims",
    datasetGroupArn = dataset_group_arn,
    recipeArn = SIMS_recipe_arn
)

sims_solution_arn = sims_create_solution_response['solutionArn']
print(json.dumps(sims_create_solution_response, indent=2))
# ---- cell 20
sims_create_solution_version_response = personalize.create_solution_version(
    solutionArn = sims_solution_arn
)
# ---- cell 21
sims_solution_version_arn = sims_create_solution_version_response['solutionVersionArn']
print(json.dumps(sims_create_solution_version_response, indent=2))
# ---- cell 23
rerank_recipe_arn = "arn:aws:personalize:::recipe/aws-personalized-ranking"
# ---- cell 25
rerank_create_solution_response = personalize.create_solution(
    name = "personalize-poc-rerank",
    datasetGroupArn = dataset_group_arn,
    recipeArn = rerank_recipe_arn
)

rerank_solution_arn = rerank_create_solution_response['solutionArn']
print(json.dumps(rerank_create_solution_response, indent=2))
# ---- cell 27
rerank_create_solution_version_response = personalize.create_solution_version(
    solutionArn = rerank_solution_arn
)
# ---- cell 28
rerank_solution_version_arn = rerank_create_solution_version_response['solutionVersionArn']
print(json.dumps(rerank_create_solution_version_response, indent=2))
# ---- cell 30
in_progress_solution_versions = [
    userpersonalization_solution_version_arn,
    sims_solution_version_arn,
    rerank_solution_version_arn
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
# ---- cell 33
user_personalization_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = userpersonalization_solution_version_arn
)

print(json.dumps(user_personalization_solution_metrics_response, indent=2))
# ---- cell 35
sims_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = sims_solution_version_arn
)

print(json.dumps(sims_solution_metrics_response, indent=2))
# ---- cell 37
rerank_solution_metrics_response = personalize.get_solution_metrics(
    solutionVersionArn = rerank_solution_version_arn
)

print(json.dumps(rerank_solution_metrics_response, indent=2))
# ---- cell 40
store(userpersonalization_solution_version_arn=userpersonalization_solution_version_arn)  # REKO-ADAPTED: %store
store(sims_solution_version_arn=sims_solution_version_arn)  # REKO-ADAPTED: %store
store(rerank_solution_version_arn=rerank_solution_version_arn)  # REKO-ADAPTED: %store
store(user_personalization_solution_arn=user_personalization_solution_arn)  # REKO-ADAPTED: %store
store(sims_solution_arn=sims_solution_arn)  # REKO-ADAPTED: %store
store(rerank_solution_arn=rerank_solution_arn)  # REKO-ADAPTED: %store

# ---- REKO-CHECK: the printed results make sense.
recipes = {r["recipeArn"] for r in list_recipes_response["recipes"]}  # REKO-CHECK
assert {user_personalization_recipe_arn, SIMS_recipe_arn, rerank_recipe_arn} <= recipes, recipes  # REKO-CHECK
for arn in [userpersonalization_solution_version_arn, sims_solution_version_arn, rerank_solution_version_arn]:  # REKO-CHECK
    sv = personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]  # REKO-CHECK
    assert sv["status"] == "ACTIVE", sv  # REKO-CHECK: the wait loop above saw every build succeed
for response in [user_personalization_solution_metrics_response, sims_solution_metrics_response,  # REKO-CHECK
                 rerank_solution_metrics_response]:  # REKO-CHECK
    metrics = response["metrics"]  # REKO-CHECK
    assert metrics, response  # REKO-CHECK
    for name, value in metrics.items():  # REKO-CHECK
        assert 0.0 <= value <= 1.0, (name, value)  # REKO-CHECK: coverage, MRR, NDCG, precision are fractions
assert user_personalization_solution_metrics_response["metrics"]["normalized_discounted_cumulative_gain_at_10"] > 0  # REKO-CHECK
assert sims_solution_metrics_response["metrics"]["coverage"] > 0  # REKO-CHECK
print("REKO-CHECK poc_in_a_box_03: OK")
