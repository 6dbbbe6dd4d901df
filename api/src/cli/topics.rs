//! `hireledger topics`: the event topics as code. Creates the missing ones with their partition
//! count and settings, sets the settings on existing ones, and checks the result.

use hireledger_infra::CommonSettings;
use hireledger_infra::kafka;

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct TopicsArgs {
    /// Only report; create and change nothing (exit 1 when a topic differs).
    #[arg(long)]
    check: bool,
}

/// Every event topic of this deployment (`<prefix>.<aggregate type>`).
pub(crate) fn event_topics(common: &CommonSettings) -> Vec<String> {
    hireledger_projections::aggregate_types()
        .iter()
        .map(|t| common.topic_for(t))
        .collect()
}

pub(crate) async fn topics(common: CommonSettings, args: TopicsArgs) -> anyhow::Result<()> {
    let names = event_topics(&common);
    let brokers = &common.kafka_brokers;
    if !args.check {
        kafka::ensure_topics(brokers, &names, common.topic_partitions).await?;
        let drifted: Vec<String> = kafka::check_topics(brokers, &names)
            .await?
            .into_iter()
            .filter(|s| s.partitions.is_some() && s.config_problems().next().is_some())
            .map(|s| s.name)
            .collect();
        if !drifted.is_empty() {
            kafka::apply_topic_config(brokers, &drifted).await?;
        }
    }
    let states = kafka::check_topics(brokers, &names).await?;
    let mut bad = 0;
    println!("{:<40} {:>10}  state", "topic", "partitions");
    for s in &states {
        let problems = s.problems(common.topic_partitions);
        let shown = s
            .partitions
            .map_or_else(|| "-".to_owned(), |p| p.to_string());
        if problems.is_empty() {
            println!("{:<40} {shown:>10}  ok", s.name);
        } else {
            bad += 1;
            println!("{:<40} {shown:>10}  {}", s.name, problems.join("; "));
        }
    }
    anyhow::ensure!(
        bad == 0,
        "{bad} topic(s) differ from their definition (a partition count is never changed here: \
         adding partitions would move keys and break the per-aggregate order)"
    );
    Ok(())
}
