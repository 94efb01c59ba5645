using Acaso.Mail.Actors.Bench;
using BenchmarkDotNet.Running;

// bench/run.sh [--quick]: every figure that matters is a ratio against a baseline run in this same process,
// on this same machine, minutes apart; absolute numbers are printed for context only.
if (args.Contains("micro"))
{
    BenchmarkRunner.Run<ParseRenderBenchmarks>(args: args.Where(a => a != "micro").ToArray());
    return 0;
}

var quick = args.Contains("--quick");
var report = new Report(quick);
report.Machine();

await using var harness = await Harness.StartAsync();
var overheadCount = quick ? 3_000 : 20_000;

// 1. Overhead: Acaso Mail (unlimited mode, 32 senders, reading the producer's queue: MAIL_DURABLE_INBOX=false) against a raw RabbitMQ.Client + HttpClient loop at the
//    same parallelism, draining the same messages from the contract's queue (x-max-priority 255), fake Brevo at 0 ms.
var raw = await harness.RawLoopAsync(overheadCount, maxPriority: 255, parallelism: 32);
var (acaso, memory) = await harness.AcasoDrainAsync(overheadCount, maxPriority: 255, drains: 3);
report.Figure("raw_loop_msgs_per_s", raw);
report.Figure("acaso_msgs_per_s", acaso);
report.Figure("throughput_ratio_vs_raw", acaso / raw, target: ">= 0.9");
report.Figure("peak_rss_mb", memory.PeakMb, target: "<= 200");
report.Figure("rss_after_drains_mb", memory.AfterDrainsMb);
for (var i = 0; i < memory.AfterEachDrainMb.Count; i++)
{
    report.Figure($"rss_after_drain_{i + 1}_mb", memory.AfterEachDrainMb[i]);
}

report.Figure("rss_growth_drain_1_to_3_mb", memory.AfterEachDrainMb[^1] - memory.AfterEachDrainMb[0], target: "no growth (about 0)");

// 1b. The durable inbox's cost: the same drain with MAIL_DURABLE_INBOX on (every mail copied, persistent and confirmed,
//     into <queue>.inbox before it is taken) against the drain above, without it.
var (acasoInbox, _) = await harness.AcasoDrainAsync(overheadCount, maxPriority: 255, drains: 1, inbox: true);
report.Figure("acaso_with_inbox_msgs_per_s", acasoInbox);
report.Figure("inbox_throughput_ratio", acasoInbox / acaso, target: "cost under 30% (>= 0.7), else a decision in the README");

// 1c. Urgent mail between windows: on the inbox mover's signal (the inbox on) against the reader's 3 s poll (the inbox
//     off), publish to the stand-in's receipt; what an idle service costs the broker in basic.gets; the footprint.
var lanes = new LaneBench(harness);
var urgentCount = quick ? 20 : 50;
var (signalP50, signalP95) = await lanes.UrgentLatencyAsync(urgentCount, inbox: true);
var (pollP50, pollP95) = await lanes.UrgentLatencyAsync(urgentCount, inbox: false);
report.Figure("urgent_latency_p50_s", signalP50);
report.Figure("urgent_latency_p95_s", signalP95, target: "<= 1");
report.Figure("urgent_latency_polling_p50_s", pollP50);
report.Figure("urgent_latency_polling_p95_s", pollP95);
report.Figure("urgent_latency_p95_ratio_vs_polling", signalP95 / pollP95);
report.Figure("idle_broker_gets_per_min", await lanes.IdleGetsPerMinuteAsync(quick ? 1 : 5, inbox: true), target: "0");
report.Figure("idle_broker_gets_per_min_polling", await lanes.IdleGetsPerMinuteAsync(1, inbox: false));
var (ready, idleRss, afterDayRss) = await lanes.FootprintAsync(serverGc: false);
var (readyServerGc, idleRssServerGc, afterDayRssServerGc) = await lanes.FootprintAsync(serverGc: true);
report.Figure("ready_s", ready, target: "<= 1");
report.Figure("idle_rss_mb", idleRss, target: "<= 100");
report.Figure("rss_after_day_mb", afterDayRss, target: "<= 100");
report.Figure("ready_server_gc_s", readyServerGc);
report.Figure("idle_rss_server_gc_mb", idleRssServerGc);
report.Figure("rss_after_day_server_gc_mb", afterDayRssServerGc);
report.Figure("rss_after_day_ratio_vs_server_gc", afterDayRss / afterDayRssServerGc);

// 2. At a real provider's latency (100 ms): Acaso Mail against the old consumer's algorithm (basic.get, one POST at a time).
harness.Brevo.Latency = TimeSpan.FromMilliseconds(100);
var old = await harness.OldLoopAsync(quick ? 200 : 600);
var (acasoAtLatency, _) = await harness.AcasoDrainAsync(quick ? 1_000 : 4_000, maxPriority: 255, drains: 1);
harness.Brevo.Latency = TimeSpan.Zero;
report.Figure("old_loop_msgs_per_s", old);
report.Figure("acaso_at_100ms_msgs_per_s", acasoAtLatency);
report.Figure("speedup_vs_old_loop", acasoAtLatency / old, target: ">= 20");

// 3. Priority exactness under pacing: windows of 12 over 1,000 random priorities, more urgent mail published between windows.
var (inversions, windows, sent) = await harness.PriorityExactnessAsync(1_000, perWindow: 12, urgentBetweenWindows: quick ? 3 : 5);
report.Figure("inversions", inversions, target: "0");
report.Figure("exactness_windows", windows);
report.Figure("exactness_sent", sent);

// 4. What 255 levels cost: the same drain on a 10-level queue.
var (acasoTenLevels, _) = await harness.AcasoDrainAsync(overheadCount, maxPriority: 10, drains: 1);
report.Figure("acaso_10_levels_msgs_per_s", acasoTenLevels);
report.Figure("ten_level_speedup_vs_255", acasoTenLevels / acaso);

// 5. The cluster: three nodes against one in unlimited mode (two cores here: no gain is expected, a loss is measured),
//    and the pause a kill -9 of the keeper's node causes (detection, stable-after 5 s, hand-over, the next window).
var cluster = new ClusterBench(harness);
var (oneNode, threeNodes, threeApart) = await cluster.ThroughputAsync(quick ? 2_000 : 6_000);
report.Figure("one_node_msgs_per_s", oneNode);
report.Figure("three_nodes_msgs_per_s", threeNodes);
report.Figure("three_unclustered_nodes_msgs_per_s", threeApart);
report.Figure("cluster_throughput_ratio", threeNodes / oneNode, target: ">= 0.8");
report.Figure("cluster_vs_unclustered_ratio", threeNodes / threeApart);
report.Figure("failover_pause_s", await cluster.FailoverPauseAsync(), target: "<= 40");

report.Print();
if (!quick)
{
    report.WriteMarkdown(Path.Combine(Harness.RepositoryRoot, "BENCHMARKS.md"));
}

return 0;
