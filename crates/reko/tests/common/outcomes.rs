//! What a call answered (codes, statuses) and waiting for resources to settle.

use super::*;

/// Asserts that `result` failed with the given error code (`__type`), returning the message.
#[track_caller]
pub fn expect_code<T: Debug, E: ProvideErrorMetadata + Debug>(result: Result<T, E>, code: &str, what: &str) -> String {
    match result {
        Ok(v) => panic!("{what}: expected {code}, got success: {v:?}"),
        Err(e) => {
            assert_eq!(
                e.code(),
                Some(code),
                "{what}: expected error code {code}, got {:?} (message {:?}); full error: {e:?}",
                e.code(),
                e.message()
            );
            e.message().unwrap_or_default().to_string()
        }
    }
}

/// Like [`expect_code`] for SDK results, also checking the HTTP status of the error response.
#[track_caller]
pub fn expect_http<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, aws_sdk_personalize::error::SdkError<E>>,
    code: &str,
    status: u16,
    what: &str,
) -> String {
    let got = result.as_ref().err().and_then(|e| e.raw_response()).map(|r| r.status().as_u16());
    let msg = expect_code(result, code, what);
    assert_eq!(got, Some(status), "{what}: HTTP status of {code}");
    msg
}

/// Unwraps an SDK result with a readable message on failure.
#[track_caller]
pub fn ok<T, E: ProvideErrorMetadata + Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{what} failed: code {:?}, message {:?}; full error: {e:?}", e.code(), e.message()),
    }
}

/// The resources whose status tests poll.
#[derive(Clone, Debug)]
pub enum Res {
    DatasetGroup(String),
    Dataset(String),
    ImportJob(String),
    Solution(String),
    SolutionVersion(String),
    Campaign(String),
    /// `latestCampaignUpdate` of a campaign.
    CampaignUpdate(String),
    EventTracker(String),
    Recommender(String),
}

/// Status and failure reason of a resource; `Err(code)` when Describe fails.
pub async fn describe_status(c: &aws_sdk_personalize::Client, res: &Res) -> Result<(String, Option<String>), String> {
    fn pair(s: Option<&str>, f: Option<&str>) -> (String, Option<String>) {
        (s.unwrap_or("<none>").to_string(), f.map(str::to_string))
    }
    fn code<E: ProvideErrorMetadata + Debug>(e: E) -> String {
        // Without a code the request got no answer: say why (connection refused, timeout, ...).
        e.code().map_or_else(|| format!("<no code>: {e:?}"), str::to_string)
    }
    Ok(match res {
        Res::DatasetGroup(a) => {
            let o = c.describe_dataset_group().dataset_group_arn(a).send().await.map_err(code)?;
            let d = o.dataset_group().ok_or("no datasetGroup")?;
            pair(d.status(), d.failure_reason())
        }
        Res::Dataset(a) => {
            let o = c.describe_dataset().dataset_arn(a).send().await.map_err(code)?;
            let d = o.dataset().ok_or("no dataset")?;
            pair(d.status(), None)
        }
        Res::ImportJob(a) => {
            let o = c.describe_dataset_import_job().dataset_import_job_arn(a).send().await.map_err(code)?;
            let d = o.dataset_import_job().ok_or("no datasetImportJob")?;
            pair(d.status(), d.failure_reason())
        }
        Res::Solution(a) => {
            let o = c.describe_solution().solution_arn(a).send().await.map_err(code)?;
            let d = o.solution().ok_or("no solution")?;
            pair(d.status(), None)
        }
        Res::SolutionVersion(a) => {
            let o = c.describe_solution_version().solution_version_arn(a).send().await.map_err(code)?;
            let d = o.solution_version().ok_or("no solutionVersion")?;
            pair(d.status(), d.failure_reason())
        }
        Res::Campaign(a) => {
            let o = c.describe_campaign().campaign_arn(a).send().await.map_err(code)?;
            let d = o.campaign().ok_or("no campaign")?;
            pair(d.status(), d.failure_reason())
        }
        Res::CampaignUpdate(a) => {
            let o = c.describe_campaign().campaign_arn(a).send().await.map_err(code)?;
            let d = o.campaign().ok_or("no campaign")?;
            let u = d.latest_campaign_update().ok_or("no latestCampaignUpdate")?;
            pair(u.status(), u.failure_reason())
        }
        Res::EventTracker(a) => {
            let o = c.describe_event_tracker().event_tracker_arn(a).send().await.map_err(code)?;
            let d = o.event_tracker().ok_or("no eventTracker")?;
            pair(d.status(), None)
        }
        Res::Recommender(a) => {
            let o = c.describe_recommender().recommender_arn(a).send().await.map_err(code)?;
            let d = o.recommender().ok_or("no recommender")?;
            pair(d.status(), d.failure_reason())
        }
    })
}

/// Statuses a create passes through before it settles.
pub fn is_transient(status: &str) -> bool {
    matches!(status, "CREATE PENDING" | "CREATE IN_PROGRESS")
}

/// Polls every 100 ms until the resource leaves CREATE PENDING / CREATE IN_PROGRESS; returns
/// the final status and failure reason. Panics on timeout or when Describe fails.
pub async fn wait_settled(c: &aws_sdk_personalize::Client, res: &Res, timeout: Duration) -> (String, Option<String>) {
    let start = Instant::now();
    let mut seen = Vec::<String>::new();
    loop {
        let (status, reason) =
            describe_status(c, res).await.unwrap_or_else(|code| panic!("describing {res:?} failed with {code}"));
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if !is_transient(&status) {
            return (status, reason);
        }
        assert!(start.elapsed() < timeout, "{res:?} still {status} after {timeout:?} (status history {seen:?})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the resource is ACTIVE; panics (with the failure reason) otherwise.
pub async fn wait_active(c: &aws_sdk_personalize::Client, res: &Res) {
    let (status, reason) = wait_settled(c, res, WAIT).await;
    assert_eq!(status, "ACTIVE", "{res:?} ended {status}: {reason:?}");
}

/// Waits until Describe answers ResourceNotFoundException (asynchronous delete).
pub async fn wait_gone(c: &aws_sdk_personalize::Client, res: &Res) {
    let start = Instant::now();
    loop {
        match describe_status(c, res).await {
            Err(code) if code == "ResourceNotFoundException" => return,
            Err(code) => panic!("describing deleted {res:?} failed with {code}"),
            Ok((status, _)) => {
                assert!(
                    matches!(status.as_str(), "DELETE PENDING" | "DELETE IN_PROGRESS" | "ACTIVE"),
                    "{res:?} is {status} while being deleted"
                );
                assert!(start.elapsed() < WAIT, "{res:?} still {status} {WAIT:?} after delete");
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Collects every page of a List* call (`maxResults` = `page`), checking that each page has at
/// most `page` entries and that pagination terminates.
pub async fn collect_pages<T, F, Fut>(page: i32, mut call: F) -> (Vec<T>, usize)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = (Vec<T>, Option<String>)>,
{
    let mut all = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let (items, next) = call(token.take()).await;
        pages += 1;
        assert!(items.len() <= page as usize, "page of {} entries exceeds maxResults {page}", items.len());
        all.extend(items);
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return (all, pages),
        }
        assert!(pages < 1000, "pagination does not terminate");
    }
}
