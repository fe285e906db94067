//! Every operation of the three services as a request template with resource slots.

/// Where an operation is sent, and a valid body with `{SLOT}` placeholders. A `!` after a slot
/// (`{G!}`) marks the target of a destructive operation: A's value there is a resource that does
/// not exist, so the cases never delete A's own resources.
pub(super) const OPERATIONS: &[(&str, &str)] = &[
    ("CreateDatasetGroup", r#"{"name":"{NAME}"}"#),
    ("DescribeDatasetGroup", r#"{"datasetGroupArn":"{G}"}"#),
    ("ListDatasetGroups", r#"{"maxResults":5}"#),
    ("DeleteDatasetGroup", r#"{"datasetGroupArn":"{G!}"}"#),
    ("CreateDataset", r#"{"name":"ds-{N}","datasetGroupArn":"{G}","datasetType":"Users","schemaArn":"{USERS}"}"#),
    ("DescribeDataset", r#"{"datasetArn":"{DI}"}"#),
    ("ListDatasets", r#"{"datasetGroupArn":"{G}"}"#),
    ("DeleteDataset", r#"{"datasetArn":"{DT!}"}"#),
    ("UpdateDataset", r#"{"datasetArn":"{DT}","schemaArn":"{ITEMS2}"}"#),
    (
        "CreateDatasetImportJob",
        r#"{"jobName":"ij-{N}","datasetArn":"{DI}","dataSource":{"dataLocation":"{CSV}"},"roleArn":"arn:aws:iam::123456789012:role/R","importMode":"INCREMENTAL"}"#,
    ),
    ("DescribeDatasetImportJob", r#"{"datasetImportJobArn":"{IJ}"}"#),
    ("ListDatasetImportJobs", r#"{"datasetArn":"{DI}"}"#),
    (
        "CreateDatasetExportJob",
        r#"{"jobName":"ex-{N}","datasetArn":"{DI}","roleArn":"arn:aws:iam::123456789012:role/R","ingestionMode":"ALL","jobOutput":{"s3DataDestination":{"path":"{OUT}"}}}"#,
    ),
    ("ListDatasetExportJobs", r#"{"datasetArn":"{DI}"}"#),
    (
        "CreateDataDeletionJob",
        r#"{"jobName":"dd-{N}","datasetGroupArn":"{G}","dataSource":{"dataLocation":"{CSV}"},"roleArn":"arn:aws:iam::123456789012:role/R"}"#,
    ),
    ("ListDataDeletionJobs", r#"{"datasetGroupArn":"{G}"}"#),
    (
        "CreateMetricAttribution",
        r#"{"name":"ma-{N}","datasetGroupArn":"{G}","metrics":[{"eventType":"click","metricName":"C","expression":"SAMPLECOUNT()"}],"metricsOutputConfig":{"roleArn":"arn:aws:iam::123456789012:role/R"}}"#,
    ),
    ("DescribeMetricAttribution", r#"{"metricAttributionArn":"{MA}"}"#),
    ("ListMetricAttributions", r#"{"datasetGroupArn":"{G}"}"#),
    (
        "UpdateMetricAttribution",
        r#"{"metricAttributionArn":"{MA}","addMetrics":[{"eventType":"buy","metricName":"B{N}","expression":"SAMPLECOUNT()"}]}"#,
    ),
    ("DeleteMetricAttribution", r#"{"metricAttributionArn":"{MA!}"}"#),
    ("ListMetricAttributionMetrics", r#"{"metricAttributionArn":"{MA}"}"#),
    (
        "CreateSolution",
        r#"{"name":"sol-{N}","datasetGroupArn":"{G}","recipeArn":"arn:aws:personalize:::recipe/aws-popularity-count"}"#,
    ),
    ("DescribeSolution", r#"{"solutionArn":"{S}"}"#),
    ("ListSolutions", r#"{"datasetGroupArn":"{G}"}"#),
    ("DeleteSolution", r#"{"solutionArn":"{S!}"}"#),
    (
        "UpdateSolution",
        r#"{"solutionArn":"{S}","performAutoTraining":true,"solutionUpdateConfig":{"autoTrainingConfig":{"schedulingExpression":"rate(2 days)"}}}"#,
    ),
    ("CreateSolutionVersion", r#"{"solutionArn":"{S}","trainingMode":"FULL"}"#),
    ("DescribeSolutionVersion", r#"{"solutionVersionArn":"{SV}"}"#),
    ("ListSolutionVersions", r#"{"solutionArn":"{S}"}"#),
    ("StopSolutionVersionCreation", r#"{"solutionVersionArn":"{SV}"}"#),
    ("GetSolutionMetrics", r#"{"solutionVersionArn":"{SV}"}"#),
    ("CreateCampaign", r#"{"name":"camp-{N}","solutionVersionArn":"{SV}","minProvisionedTPS":1}"#),
    (
        "CreateCampaign",
        r#"{"name":"camp-{N}","solutionVersionArn":"{S}/$LATEST","campaignConfig":{"syncWithLatestSolutionVersion":true}}"#,
    ),
    ("DescribeCampaign", r#"{"campaignArn":"{C}"}"#),
    ("ListCampaigns", r#"{"solutionArn":"{S}"}"#),
    ("UpdateCampaign", r#"{"campaignArn":"{C}","solutionVersionArn":"{SV}","minProvisionedTPS":2}"#),
    (
        "UpdateCampaign",
        r#"{"campaignArn":"{C}","solutionVersionArn":"{S}/$LATEST","campaignConfig":{"syncWithLatestSolutionVersion":true}}"#,
    ),
    ("DeleteCampaign", r#"{"campaignArn":"{C!}"}"#),
    ("CreateEventTracker", r#"{"name":"et-{N}","datasetGroupArn":"{G}"}"#),
    ("DescribeEventTracker", r#"{"eventTrackerArn":"{ET}"}"#),
    ("ListEventTrackers", r#"{"datasetGroupArn":"{G}"}"#),
    ("DeleteEventTracker", r#"{"eventTrackerArn":"{ET!}"}"#),
    (
        "CreateFilter",
        r#"{"name":"f-{N}","datasetGroupArn":"{G}","filterExpression":"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"x\")"}"#,
    ),
    ("DescribeFilter", r#"{"filterArn":"{F}"}"#),
    ("ListFilters", r#"{"datasetGroupArn":"{G}"}"#),
    ("DeleteFilter", r#"{"filterArn":"{F!}"}"#),
    (
        "CreateBatchInferenceJob",
        r#"{"jobName":"bi-{N}","solutionVersionArn":"{SV}","filterArn":"{F}","roleArn":"arn:aws:iam::123456789012:role/R","jobInput":{"s3DataSource":{"path":"{CSV}"}},"jobOutput":{"s3DataDestination":{"path":"{OUT}"}}}"#,
    ),
    ("ListBatchInferenceJobs", r#"{"solutionVersionArn":"{SV}"}"#),
    (
        "CreateRecommender",
        r#"{"name":"rec-{N}","datasetGroupArn":"{GS}","recipeArn":"arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views"}"#,
    ),
    ("DescribeRecommender", r#"{"recommenderArn":"{R}"}"#),
    ("ListRecommenders", r#"{"datasetGroupArn":"{GS}"}"#),
    ("UpdateRecommender", r#"{"recommenderArn":"{R}","recommenderConfig":{"enableMetadataWithRecommendations":true}}"#),
    ("StopRecommender", r#"{"recommenderArn":"{R}"}"#),
    ("StartRecommender", r#"{"recommenderArn":"{R}"}"#),
    ("DeleteRecommender", r#"{"recommenderArn":"{R!}"}"#),
    ("ListBatchSegmentJobs", r#"{"solutionVersionArn":"{SV}"}"#),
    ("TagResource", r#"{"resourceArn":"{ANY}","tags":[{"tagKey":"owner","tagValue":"intruder"}]}"#),
    ("UntagResource", r#"{"resourceArn":"{ANY}","tagKeys":["owner"]}"#),
    ("ListTagsForResource", r#"{"resourceArn":"{ANY}"}"#),
    ("ListSchemas", r#"{}"#),
    ("ListRecipes", r#"{}"#),
    ("DescribeAlgorithm", r#"{"algorithmArn":"arn:aws:personalize:::algorithm/aws-user-personalization"}"#),
    (
        "DescribeFeatureTransformation",
        r#"{"featureTransformationArn":"arn:aws:personalize:::feature-transformation/trending-now"}"#,
    ),
    // Reko's experiment extension (`X-Amz-Target: Reko.<Operation>`).
    (
        "Reko.CreateExperiment",
        r#"{"name":"x-{N}","datasetGroupArn":"{G}","arms":[{"name":"a","targetArn":"{C}","weight":1},{"name":"b","targetArn":"{C2}","weight":1}],"conversionEventType":"click","baselineConversionRate":0.1}"#,
    ),
    ("Reko.DescribeExperiment", r#"{"experimentArn":"{X}"}"#),
    ("Reko.ListExperiments", r#"{"datasetGroupArn":"{G}"}"#),
    ("Reko.GetExperimentResults", r#"{"experimentArn":"{X}"}"#),
    ("Reko.StopExperiment", r#"{"experimentArn":"{X!}"}"#),
    ("Reko.PromoteExperiment", r#"{"experimentArn":"{X!}","armName":"b"}"#),
    ("Reko.DeleteExperiment", r#"{"experimentArn":"{X!}"}"#),
    ("/recommendations", r#"{"campaignArn":"{X}","userId":"u1","numResults":5}"#),
    (
        "/recommendations",
        r#"{"campaignArn":"{C}","userId":"u1","numResults":5,"filterArn":"{F}","promotions":[{"name":"p","percentPromotedItems":20,"filterArn":"{F}"}]}"#,
    ),
    ("/recommendations", r#"{"recommenderArn":"{R}","userId":"u1","numResults":5}"#),
    ("/personalize-ranking", r#"{"campaignArn":"{C}","userId":"u1","inputList":["i1","i2","i3"],"filterArn":"{F}"}"#),
    (
        "/events",
        r#"{"trackingId":"{T}","userId":"intruder","sessionId":"s1","eventList":[{"eventType":"click","itemId":"i1","sentAt":1700000000}]}"#,
    ),
    ("/items", r#"{"datasetArn":"{DT}","items":[{"itemId":"intruder-item","properties":"{\"genre\":\"x\"}"}]}"#),
    ("/users", r#"{"datasetArn":"{DI}","users":[{"userId":"intruder-user"}]}"#),
    (
        "/actions",
        r#"{"datasetArn":"{DA}","actions":[{"actionId":"intruder-action","properties":"{\"value\":\"1\"}"}]}"#,
    ),
    (
        "/action-interactions",
        r#"{"trackingId":"{AT}","actionInteractions":[{"actionId":"a1","userId":"intruder","sessionId":"s1","timestamp":1700000000,"eventType":"TAKEN"}]}"#,
    ),
    ("/action-recommendations", r#"{"campaignArn":"{C}","userId":"u1","numResults":5}"#),
];

pub(super) const SLOTS: &[&str] =
    &["G", "DI", "DT", "IJ", "S", "SV", "C", "ET", "T", "F", "MA", "GS", "R", "DA", "DX", "AT", "C2", "X"];
