//! NATS JetStream consumers (docs/event-collection.md, "NATS JetStream"): one durable pull
//! consumer per `[[collect.nats]]` source. Each message is collected through the service (the
//! PutEvents path, deduplicated by its `messageId`) and acknowledged only once it is durable;
//! a failure leaves it unacknowledged (a NAK with a delay), so JetStream delivers it again.
//! The messages delivered together (at most [`CONCURRENT`]) are stored at once, so their writes
//! share group commits; the next ones are taken once they are all acknowledged. At most
//! `max_ack_pending` messages are outstanding: the back-pressure when Reko is slower than the
//! publishers.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, AckKind};
use futures::StreamExt;
use reko_service::collect::CollectSource;
use reko_service::Reko;
use tokio::sync::watch;

/// A configured consumer.
#[derive(Debug, Clone)]
pub struct NatsSource {
    pub source: CollectSource,
    pub url: String,
    pub stream: String,
    pub subject: String,
    pub durable: String,
    pub ack_wait: Duration,
    pub max_ack_pending: i64,
}

/// A NATS URL without the credentials it may carry (`nats://user:password@host`), for logs and
/// the console.
pub fn redacted_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}<redacted>{}", &url[..scheme + 3], &url[at..]),
        _ => url.to_string(),
    }
}

/// How long a failed message waits before JetStream delivers it again, and a lost connection
/// or consumer before it is set up again.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// Runs the consumers until `stop` changes; the returned task ends once each has finished the
/// message in hand.
pub fn start(reko: Reko, sources: Vec<NatsSource>, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tasks = tokio::task::JoinSet::new();
        for source in sources {
            tasks.spawn(run(reko.clone(), source, stop.clone()));
        }
        while tasks.join_next().await.is_some() {}
    })
}

async fn run(reko: Reko, source: NatsSource, mut stop: watch::Receiver<bool>) {
    let name = source.source.name.clone();
    loop {
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            result = consume(&reko, &source, stop.clone()) => match result {
                Ok(()) => return,
                Err(e) => tracing::warn!(source = %name, url = %redacted_url(&source.url), "NATS consumer interrupted, set up again: {e}"),
            },
            _ = stop.changed() => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY_DELAY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Connects, makes sure of the stream and the durable consumer, and handles messages until
/// stopped (`Ok`) or the connection or consumer fails (`Err`: set up again).
async fn consume(reko: &Reko, source: &NatsSource, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(source.url.as_str())
        .await?;
    let js = jetstream::new(client);
    let stream = js
        .get_or_create_stream(jetstream::stream::Config {
            name: source.stream.clone(),
            subjects: vec![source.subject.clone()],
            ..Default::default()
        })
        .await?;
    let consumer = stream
        .get_or_create_consumer(
            &source.durable,
            pull::Config {
                durable_name: Some(source.durable.clone()),
                filter_subject: source.subject.clone(),
                ack_policy: AckPolicy::Explicit,
                ack_wait: source.ack_wait,
                max_ack_pending: source.max_ack_pending,
                ..Default::default()
            },
        )
        .await?;
    tracing::info!(source = %source.source.name, stream = %source.stream, subject = %source.subject, "NATS consumer started");
    let mut messages = consumer.messages().await?.ready_chunks(CONCURRENT);
    loop {
        let delivered = tokio::select! {
            next = messages.next() => match next {
                Some(chunk) => chunk,
                None => anyhow::bail!("the message stream ended"),
            },
            _ = stop.changed() => return Ok(()),
        };
        // The messages already delivered are collected at once (their writes share commits);
        // each is acknowledged after its own write.
        let mut handled = tokio::task::JoinSet::new();
        let mut failure = None;
        for message in delivered {
            match message {
                Ok(m) => {
                    handled.spawn(handle(reko.clone(), source.source.clone(), m));
                }
                Err(e) => failure = Some(anyhow::anyhow!("receiving: {e}")),
            }
        }
        while let Some(done) = handled.join_next().await {
            done.map_err(|e| anyhow::anyhow!("collecting a message failed: {e}"))??;
        }
        if let Some(e) = failure {
            return Err(e);
        }
    }
}

/// Messages collected at once, at most (each holds a blocking thread while it is stored).
const CONCURRENT: usize = 32;

/// Collects one message, then acknowledges it, or asks for it again after [`RETRY_DELAY`].
async fn handle(reko: Reko, source: CollectSource, message: jetstream::Message) -> anyhow::Result<()> {
    // A message without a messageId is known by its place in the stream (stable across
    // redeliveries).
    let fallback = message.info().map(|i| format!("{}:{}", i.stream, i.stream_sequence)).ok();
    let (name, payload) = (source.name.clone(), message.payload.clone());
    let outcome = tokio::task::spawn_blocking(move || reko.collect(&source, &payload, fallback.as_deref()))
        .await
        .map_err(|e| anyhow::anyhow!("collecting a message failed: {e}"))?;
    match outcome {
        // Durable (or a dead letter, or stored before): done with it.
        Ok(_) => message.ack().await.map_err(|e| anyhow::anyhow!("acknowledging: {e}")),
        Err(e) => {
            tracing::warn!(source = %name, "a message is delivered again: {e}");
            message.ack_with(AckKind::Nak(Some(RETRY_DELAY))).await.map_err(|e| anyhow::anyhow!("NAK: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_redacted() {
        assert_eq!(redacted_url("nats://alice:s3cret@nats.internal:4222"), "nats://<redacted>@nats.internal:4222");
        assert_eq!(redacted_url("nats://token@host"), "nats://<redacted>@host");
        assert_eq!(redacted_url("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
    }
}
