//! `cohort-localnet demo`: the system as a user meets it. Four validators run their
//! verifiers, workers register and run, a submitter publishes the built-in Shakespeare corpus
//! and submits a character-model bounty as a signed extrinsic, and the demo follows it round
//! by round: assignments, accepted, disputed and slashed contributions, and the loss of each
//! new checkpoint, measured on fixed batches, and where each round's wall time went: the
//! workers' training, the protocol (hashing, extrinsics, transfers, aggregating, from their
//! Prometheus counters) and the rest, waiting for the chain's deadlines. It ends with the
//! final checkpoint's hash, the loss curve (`loss.csv`), the round times (`rounds.csv`), the
//! blocks each round took from start to checkpoint, split where the chain's events fall
//! (`blocks.csv`, see `blocks.rs`), the
//! loss of the same model trained on one machine, the bounty's useful throughput against that
//! process's and the share of all training seconds (the verifiers' recomputations included)
//! that was distinct (`throughput.csv`), a sample of generated text, and how to fetch the
//! model.

use anyhow::{Context, Result};
use clap::Args;
use cohort_tests::{
	deployment::{Deployment, ACCOUNTS},
	metrics,
	worker::{run_once, WorkerConfig, WorkerProcess, DECLARED_GFLOPS},
	NetworkConfig, Rpc,
};
use serde_json::{json, Value};
use std::{
	io::Write,
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

/// The model the demo trains: the reference character transformer, made small enough that
/// a round takes seconds on a laptop CPU shared by every process of the network.
const MODEL: &str = r#"{"model":"charTransformer","context":64,"dModel":64,"layers":2,"heads":4}"#;

/// How long any one command may take.
const STEP: Duration = Duration::from_secs(180);
/// Examples per step, in the bounty and in the baseline alike.
const BATCH_SIZE: u32 = 16;

#[derive(Args, Debug)]
pub struct DemoArgs {
	/// Workers to run (each with its own key, store and libp2p port), up to 8.
	#[arg(long, default_value_t = 4)]
	workers: usize,
	/// Training rounds.
	#[arg(long, default_value_t = 4)]
	rounds: u32,
	/// Inner optimizer steps per shard.
	#[arg(long, default_value_t = 20)]
	steps: u32,
	/// Where to write the loss curve, the model and the sample.
	#[arg(long, default_value = "cohort-demo")]
	out: PathBuf,
	/// Leave the network running after the bounty completes, until Ctrl-C.
	#[arg(long)]
	keep: bool,
	/// Make the last worker train FACTOR times slower (its `--throttle`), declaring a speed
	/// to match: a network of mixed hardware, on one machine.
	#[arg(long, value_name = "FACTOR", value_parser = clap::value_parser!(u32).range(1..=1000))]
	slow_worker: Option<u32>,
	/// With --slow-worker: the slow worker declares the others' speed, as a chain that did
	/// not weigh speeds would treat it.
	#[arg(long, requires = "slow_worker")]
	slow_worker_undeclared: bool,
}

/// The determinism class of the registered workers (all of this machine's): a bounty that
/// names it is trained once per shard, with audits, where a class-less one needs replicas.
async fn workers_class(rpc: &Rpc) -> Result<String> {
	let workers: Vec<Value> = rpc.call("cohort_workers", vec![]).await?;
	let mut classes = workers.iter().filter_map(|w| w["capabilities"]["class"].as_str());
	let class = classes.next().context("no worker registered")?;
	anyhow::ensure!(classes.all(|c| c == class), "the workers registered different classes");
	Ok(class.to_string())
}

/// One row of the progress table, for one finished round.
struct Round {
	index: u32,
	assignments: usize,
	accepted: usize,
	disputed: usize,
	slashed: usize,
	loss: f32,
	seconds: f64,
}

/// The kinds of work the workers count (`cohort_worker_work_seconds_total{work}`); all but
/// training are the protocol's cost.
const WORK: [&str; 5] = ["training", "hashing", "chain", "transfers", "aggregating"];

/// Seconds each kind of [`WORK`] took, summed over `processes` (the workers, or the
/// verifiers: their recomputations count as training), so far.
async fn work_seconds(processes: &[(WorkerConfig, WorkerProcess)]) -> Result<[f64; 5]> {
	let mut total = [0.0; 5];
	for (config, _) in processes {
		let text = config.metrics().await?;
		for (sum, work) in total.iter_mut().zip(WORK) {
			let name = format!("cohort_worker_work_seconds_total{{work=\"{work}\"}}");
			*sum += metrics::sample(&text, &name).unwrap_or(0.0);
		}
	}
	Ok(total)
}

/// Where a round's wall time went, per worker: training, the protocol (hashing, extrinsics,
/// transfers, aggregating) and the rest, waiting for the chain's deadlines.
struct Split {
	training: f64,
	protocol: f64,
	waiting: f64,
}

impl Split {
	/// The split of a round of `seconds` in which the workers' counters went from `before`
	/// to `after`.
	fn of(seconds: f64, before: &[f64; 5], after: &[f64; 5], workers: usize) -> Self {
		let per_worker: Vec<f64> =
			after.iter().zip(before).map(|(a, b)| (a - b) / workers.max(1) as f64).collect();
		let training = per_worker[0];
		let protocol: f64 = per_worker[1..].iter().sum();
		Split { training, protocol, waiting: (seconds - training - protocol).max(0.0) }
	}
}

pub async fn demo(args: DemoArgs) -> Result<()> {
	let (submitter_name, observer_name) = (ACCOUNTS[9], ACCOUNTS[8]);
	anyhow::ensure!(
		(1..=ACCOUNTS.len() - 2).contains(&args.workers),
		"--workers must be 1 to {}",
		ACCOUNTS.len() - 2
	);
	std::fs::create_dir_all(&args.out)
		.with_context(|| format!("cannot create {}", args.out.display()))?;
	let workers = &ACCOUNTS[..args.workers];
	println!("starting 4 validators (Alice, Bob, Charlie, Dave), each with its verifier,");
	println!("and {} workers ({}); building the chain spec...", workers.len(), workers.join(", "));
	let (steady, slow) = match args.slow_worker {
		Some(_) => workers.split_at(workers.len() - 1),
		None => (workers, &[][..]),
	};
	let mut deployment = Deployment::start(NetworkConfig::local(), steady, "150")
		.await
		.context("starting the deployment")?;
	if let (Some(factor), [slow]) = (args.slow_worker, slow) {
		let mut config = deployment.next_config(slow)?;
		config.throttle = Some(f64::from(factor));
		if !args.slow_worker_undeclared {
			config.gflops = (DECLARED_GFLOPS / factor).max(1);
		}
		println!(
			"{slow} trains {factor}× slower than the others and declares {} GFLOP/s (they {})",
			config.gflops, DECLARED_GFLOPS
		);
		deployment.add_configured(config, &[], "150").await.context("starting the slow worker")?;
	}
	let rpc = deployment.network().node(0).rpc().clone();
	for node in deployment.network().nodes() {
		println!("  {:<8} rpc ws://127.0.0.1:{}", node.name(), node.rpc_port());
	}

	let observer = deployment.config_on(observer_name, 1)?;
	// The CLI's defaults for a bounty that names its class: each shard trained once, 10 % of
	// them audited by the validators. One shard per worker, so every worker trains each round.
	let class = workers_class(&rpc).await?;
	let shards = args.workers as u32;
	let submit = [
		"--model",
		MODEL,
		"--dataset",
		"builtin:shakespeare",
		"--rounds",
		&args.rounds.to_string(),
		"--shards",
		&shards.to_string(),
		"--class",
		&class,
		"--steps",
		&args.steps.to_string(),
		"--batch-size",
		&BATCH_SIZE.to_string(),
		// Commit, reveal, vote, checkpoint and review windows in blocks: the commit window
		// leaves twice the time four workers sharing two cores take for a shard.
		"--phases",
		"40,10,40,12,6",
	]
	.map(String::from);
	let submit: Vec<&str> = submit.iter().map(String::as_str).collect();
	let (serving, submitted) = deployment.submit(submitter_name, &submit).await?;
	let submitted_at = Instant::now();
	let bounty = submitted["bounty"].as_u64().context("bounty id")?;
	println!(
		"\n{submitter_name} published builtin:shakespeare (root {}) and submitted bounty {bounty}: \
		 {} rounds × {shards} shards of class {class}, each trained once, {} steps each, \
		 escrow {} UNIT",
		short(&submitted["dataset"]),
		args.rounds,
		args.steps,
		units(&submitted["escrow"])
	);

	let initial =
		evaluate(&observer, bounty, None, &submitted["initialCheckpoint"], &args.out).await?;
	println!(
		"\nround  assigned  accepted  disputed  slashed   loss    time   (per worker: training  \
		 protocol  waiting)"
	);
	println!("    0         -         -         -        -  {initial:.3}       -");
	let mut losses = vec![(0, initial)];
	let mut splits = Vec::new();
	let mut counted = work_seconds(deployment.workers()).await?;
	let mut started = Instant::now();
	let mut seen = 0;
	let done = loop {
		// Read at the finalized block: the state `model fetch` reads too.
		let at = json!(rpc.finalized_hash().await?);
		let view: Value = rpc.call("cohort_bounty", vec![json!(bounty), at.clone()]).await?;
		let round = view["round"].as_u64().unwrap_or(0) as u32;
		let finished = if view["status"] == "active" { round } else { args.rounds };
		while seen < finished {
			let row = round_row(&rpc, &at, &observer, bounty, seen, &args.out, started).await?;
			let now = work_seconds(deployment.workers()).await?;
			let split = Split::of(row.seconds, &counted, &now, args.workers);
			counted = now;
			println!(
				"{:>5}  {:>8}  {:>8}  {:>8}  {:>7}  {:.3}  {:>5.0} s  {:>18.1} s  {:>6.1} s  {:>5.1} s",
				row.index + 1,
				row.assignments,
				row.accepted,
				row.disputed,
				row.slashed,
				row.loss,
				row.seconds,
				split.training,
				split.protocol,
				split.waiting,
			);
			splits.push((row.index + 1, row.seconds, split));
			if row.accepted == 0 {
				println!(
					"no contribution was accepted; the workers' last words:\n{}",
					deployment.logs(6)
				);
			}
			losses.push((row.index + 1, row.loss));
			started = Instant::now();
			seen += 1;
		}
		if view["status"] != "active" {
			break view;
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	};
	anyhow::ensure!(done["status"] == "completed", "the bounty ended {}", done["status"]);
	let bounty_seconds = submitted_at.elapsed().as_secs_f64();
	let best = rpc.best_number().await?;
	let blocks = crate::blocks::of_bounty(&rpc, bounty, best, args.rounds).await?;
	println!(
		"\nblocks of each round, from the chain's events: training (to commits closed), \
		 revealing, to the check, disputes, aggregating (to the next checkpoint), and the last \
		 round's review"
	);
	for b in &blocks {
		let [round, training, revealing, to_check, disputes, aggregating, review, total] =
			b.columns();
		println!(
			"{round:>5}  {training:>3} + {revealing:>2} + {to_check:>2} + {disputes:>2} + \
			 {aggregating:>2} + {review:>2} = {total:>3} blocks"
		);
	}

	let csv = args.out.join("loss.csv");
	let mut file = std::fs::File::create(&csv)?;
	writeln!(file, "round,loss")?;
	for (round, loss) in &losses {
		writeln!(file, "{round},{loss}")?;
	}
	let timing = args.out.join("rounds.csv");
	let mut file = std::fs::File::create(&timing)?;
	writeln!(file, "round,seconds,training,protocol,waiting")?;
	for (round, seconds, split) in &splits {
		let Split { training, protocol, waiting } = split;
		writeln!(file, "{round},{seconds:.2},{training:.2},{protocol:.2},{waiting:.2}")?;
	}
	let mut file = std::fs::File::create(args.out.join("blocks.csv"))?;
	writeln!(file, "round,training,revealing,to_check,disputes,aggregating,last_review,total")?;
	for b in &blocks {
		let columns = b.columns().map(|column| column.to_string());
		writeln!(file, "{}", columns.join(","))?;
	}
	let plot = args.out.join("loss.png");
	match std::env::var_os("COHORT_DEMO_PLOT") {
		Some(plotter) => match std::process::Command::new(&plotter).arg(&csv).arg(&plot).output() {
			Ok(done) if done.status.success() => {
				println!("loss curve plotted in {}", plot.display())
			}
			_ => println!("could not plot {} (see scripts/plot-loss)", csv.display()),
		},
		None => {
			println!("plot the curve with: scripts/plot-loss {} {}", csv.display(), plot.display())
		}
	}
	let model = args.out.join("model.safetensors");
	let sample = run_once(
		&observer,
		&["model", "sample", model.to_str().context("utf-8 path")?, "--model", MODEL],
		STEP,
	)
	.await?;
	let text =
		sample["prompt"].as_str().unwrap_or("").to_owned() + sample["text"].as_str().unwrap_or("");
	std::fs::write(args.out.join("sample.txt"), &text)?;
	println!(
		"\nbounty {bounty} completed: final checkpoint {}",
		done["checkpoint"].as_str().unwrap_or("")
	);
	println!(
		"loss {initial:.3} -> {:.3}; curve in {}",
		losses.last().map_or(initial, |l| l.1),
		csv.display()
	);
	let steps = args.rounds * args.steps;
	let alone = baseline(&observer, steps, &args.out).await?;
	println!(
		"the same model from the same weights on one machine, {steps} steps without Cohort: loss \
		 {:.3}",
		alone.loss
	);
	// Useful throughput: distinct training (each shard counted once, however many replicas
	// trained it) per second of the whole bounty, against one process training alone.
	let examples = f64::from(args.rounds * shards * args.steps * BATCH_SIZE);
	let network = examples / bounty_seconds;
	let single = f64::from(BATCH_SIZE) / alone.seconds_per_step;
	println!(
		"useful throughput: {network:.1} distinct examples/s over the bounty's {bounty_seconds:.0} s, \
		 against {single:.1} for one `cohort-worker train` alone: {:.2}×",
		network / single
	);
	// Distinct work: the workers trained each shard once; the verifiers' training is the
	// audits' (and any dispute's) recomputation.
	let trained = work_seconds(deployment.workers()).await?[0];
	let recomputed = work_seconds(deployment.verifiers()).await?[0];
	let distinct = trained / (trained + recomputed).max(f64::EPSILON);
	println!(
		"training seconds: {trained:.1} by the workers, each shard once, and {recomputed:.1} by \
		 the verifiers recomputing audits: {:.0} % distinct",
		100.0 * distinct
	);
	std::fs::write(
		args.out.join("throughput.csv"),
		format!(
			"bounty_seconds,distinct_examples,network_per_s,alone_per_s,ratio,\
			 worker_training_s,verifier_training_s,distinct_share\n\
			 {bounty_seconds:.2},{examples},{network:.2},{single:.2},{:.4},\
			 {trained:.2},{recomputed:.2},{distinct:.4}\n",
			network / single
		),
	)?;
	println!("sample from the trained model:\n\n{text}\n");
	println!(
		"fetch it yourself:\n  cohort-worker --node ws://127.0.0.1:{} --suri //{observer_name} model fetch \
		 {bounty} --out model.safetensors",
		deployment.network().node(1).rpc_port()
	);
	if args.keep {
		println!(
			"\nthe network keeps running: polkadot.js Apps at \
			 https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:{}, or\n  curl -s -H 'Content-Type: \
			 application/json' -d '{{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"cohort_bounty\",\"params\":[{bounty}]}}' \
			 http://127.0.0.1:{}\npress Ctrl-C to stop",
			deployment.network().node(0).rpc_port(),
			deployment.network().node(0).rpc_port()
		);
		tokio::signal::ctrl_c().await?;
	}
	drop(serving);
	Ok(())
}

/// The outcome of round `index` and the loss of the checkpoint it produced.
async fn round_row(
	rpc: &Rpc,
	at: &Value,
	observer: &WorkerConfig,
	bounty: u64,
	index: u32,
	out: &Path,
	started: Instant,
) -> Result<Round> {
	let round: Value =
		rpc.call("cohort_round", vec![json!(bounty), json!(index), at.clone()]).await?;
	let slots: Vec<&Value> = round["shards"]
		.as_array()
		.into_iter()
		.flatten()
		.flat_map(|shard| shard["slots"].as_array().into_iter().flatten())
		.collect();
	let count = |outcome: &str| slots.iter().filter(|s| s["outcome"] == outcome).count();
	let disputes: Vec<Value> = rpc.call("cohort_disputes", vec![json!(bounty), at.clone()]).await?;
	// An appealed audit goes on as its appeal: one dispute, counted once.
	let disputed = disputes
		.iter()
		.filter(|d| d["round"] == index && d["status"].get("appealed").is_none())
		.count();
	// The checkpoint this round produced: the next round's start, or the bounty's last.
	let next: Option<Value> =
		rpc.call("cohort_round", vec![json!(bounty), json!(index + 1), at.clone()]).await?;
	let (fetch_round, root) = match next {
		Some(next) => (Some(index + 1), next["checkpoint"].clone()),
		None => {
			let view: Value = rpc.call("cohort_bounty", vec![json!(bounty), at.clone()]).await?;
			(None, view["checkpoint"].clone())
		}
	};
	Ok(Round {
		index,
		assignments: slots.len(),
		accepted: count("accepted"),
		disputed,
		slashed: count("slashed"),
		loss: evaluate(observer, bounty, fetch_round, &root, out).await?,
		seconds: started.elapsed().as_secs_f64(),
	})
}

/// Fetch checkpoint `root` of `bounty` (the one round `round` starts from, or the final one)
/// once it is final, and measure its loss. The last one fetched stays as `model.safetensors`.
async fn evaluate(
	observer: &WorkerConfig,
	bounty: u64,
	round: Option<u32>,
	root: &Value,
	out: &Path,
) -> Result<f32> {
	let model = out.join("model.safetensors");
	let path = model.to_str().context("utf-8 path")?;
	let bounty = bounty.to_string();
	let mut fetch = vec!["model", "fetch", &bounty, "--out", path];
	let round = round.map(|r| r.to_string());
	if let Some(round) = &round {
		fetch.extend(["--round", round]);
	}
	cohort_tests::wait::until(&format!("checkpoint {root} to be final"), STEP, || async {
		let fetched = run_once(observer, &fetch, STEP).await?;
		Ok((fetched["checkpoint"] == *root).then_some(()))
	})
	.await?;
	let eval = run_once(observer, &["model", "eval", path, "--model", MODEL], STEP).await?;
	eval["loss"].as_f64().map(|l| l as f32).context("a loss")
}

/// The demo's model trained on one machine without Cohort: what the bounty is measured
/// against.
struct Alone {
	/// The loss it reaches.
	loss: f32,
	/// Its training time per step.
	seconds_per_step: f64,
}

/// The demo's model trained on one machine, from the same initial weights (the same seed)
/// and with the same batch size and optimizer, for `steps` sequential steps over the whole
/// corpus.
async fn baseline(runner: &WorkerConfig, steps: u32, out: &Path) -> Result<Alone> {
	let file = out.join("baseline.safetensors");
	let file = file.to_str().context("utf-8 path")?;
	let train = [
		"train",
		"--model",
		MODEL,
		"--dataset",
		"builtin:shakespeare",
		"--shards",
		"1",
		"--steps",
		&steps.to_string(),
		"--batch-size",
		&BATCH_SIZE.to_string(),
		"--out",
		file,
	]
	.map(String::from);
	let train: Vec<&str> = train.iter().map(String::as_str).collect();
	let trained = run_once(runner, &train, STEP).await?;
	let seconds_per_step = trained["secondsPerStep"].as_f64().context("seconds per step")?;
	let eval = run_once(runner, &["model", "eval", file, "--model", MODEL], STEP).await?;
	let loss = eval["loss"].as_f64().context("a loss")? as f32;
	Ok(Alone { loss, seconds_per_step })
}

/// A balance the chain prints in plancks, in UNIT.
fn units(amount: &Value) -> String {
	let plancks: u128 = amount.as_str().and_then(|a| a.parse().ok()).unwrap_or(0);
	format!("{}", plancks as f64 / 1e12)
}

/// The first and last hex digits of a hash.
fn short(hash: &Value) -> String {
	let text = hash.as_str().unwrap_or("");
	if text.len() > 14 {
		format!("{}…{}", &text[..10], &text[text.len() - 4..])
	} else {
		text.into()
	}
}
