// kafscale-bench: a Kafka load generator on librdkafka. Produces fixed-size
// records against brokers (or librdkafka's in-memory mock cluster), reports
// throughput and latency percentiles, optionally consumes for end-to-end
// latency and catch-up rate, and can repeat the load against the mock
// cluster in the same run as a same-client, no-durability reference. With
// --catch-up-only it reads an existing topic from its earliest offsets
// instead, so that the brokers' cost of serving reads can be measured alone.
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/bench/bench_target.h"
#include "apps/bench/consumer_load.h"
#include "apps/bench/producer_load.h"

namespace kafscale::bench {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kConnectTimeoutMs = 10'000;
// How long consumers may trail the end of production before they give up.
constexpr double kConsumeTimeoutS = 120;

struct BenchOptions {
  std::string bootstrap;
  int mock_brokers = 0;  // > 0: run against a mock cluster instead of bootstrap
  int mock_rtt_ms = 0;   // the mock's round trip (--mock and --compare-mock)
  bool compare_mock = false;
  bool consume = false;
  bool catch_up_only = false;
  bool json = false;
  ProducerSettings load;  // bootstrap filled in per target
};

struct LoadReport {
  std::string target;
  std::optional<ProduceReport> produce;  // none with --catch-up-only
  std::optional<ConsumeReport> end_to_end;
  std::optional<ConsumeReport> catch_up;
};

double Megabytes(uint64_t bytes) { return static_cast<double>(bytes) / 1e6; }
double PerSecond(double amount, double seconds) { return seconds > 0 ? amount / seconds : 0; }
double Millis(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

// Reads every partition of `topic` from `from`'s low offsets to the high
// offsets in `until`.
Result<ConsumeReport> CatchUp(const std::string& bootstrap, const std::string& topic,
                              const std::vector<PartitionOffsets>& from, const std::vector<PartitionOffsets>& until) {
  Result<std::unique_ptr<ConsumerLoad>> catch_up =
      ConsumerLoad::Start(bootstrap, topic, from, /*measure_end_to_end=*/false);
  if (!catch_up.ok()) return catch_up.status();
  (*catch_up)->FinishAt(until);
  return (*catch_up)->Wait(kConsumeTimeoutS);
}

// Reads the existing topic from its earliest offsets to its end as they are
// now (--catch-up-only).
Result<LoadReport> RunCatchUpOnly(BenchTarget& target, const BenchOptions& options) {
  const std::string& topic = options.load.topic;
  Result<std::vector<PartitionOffsets>> now = target.Watermarks(topic);
  if (!now.ok()) return now.status();
  if (now->empty()) return Status::NotFound("topic " + topic + " does not exist");
  LoadReport report;
  report.target = target.description();
  Result<ConsumeReport> read = CatchUp(target.bootstrap(), topic, *now, *now);
  if (!read.ok()) return read.status();
  report.catch_up = std::move(*read);
  return report;
}

// Runs the produce load against `target`, with --consume also an end-to-end
// consumer during it and a catch-up consumer from the earliest offset after it.
Result<LoadReport> RunLoad(BenchTarget& target, const BenchOptions& options) {
  if (options.catch_up_only) return RunCatchUpOnly(target, options);
  ProducerSettings settings = options.load;
  settings.bootstrap = target.bootstrap();
  Status topic = target.EnsureTopic(settings.topic, settings.partitions);
  if (!topic.ok()) return topic;
  LoadReport report;
  report.target = target.description();

  std::unique_ptr<ConsumerLoad> live_consumer;
  if (options.consume) {
    Result<std::vector<PartitionOffsets>> before = target.Watermarks(settings.topic);
    if (!before.ok()) return before.status();
    for (PartitionOffsets& range : *before) range.low = range.high;  // only what this run produces
    Result<std::unique_ptr<ConsumerLoad>> started = ConsumerLoad::Start(settings.bootstrap, settings.topic, *before,
                                                                        /*measure_end_to_end=*/true);
    if (!started.ok()) return started.status();
    live_consumer = std::move(*started);
  }

  ProducerLoad producer(settings);
  Result<ProduceReport> produced = producer.Run();
  if (!produced.ok()) return produced.status();
  report.produce = std::move(*produced);
  if (!options.consume) return report;

  Result<std::vector<PartitionOffsets>> after = target.Watermarks(settings.topic);
  if (!after.ok()) return after.status();
  live_consumer->FinishAt(*after);
  report.end_to_end = live_consumer->Wait(kConsumeTimeoutS);
  live_consumer.reset();

  Result<ConsumeReport> catch_up = CatchUp(settings.bootstrap, settings.topic, *after, *after);
  if (!catch_up.ok()) return catch_up.status();
  report.catch_up = std::move(*catch_up);
  return report;
}

nlohmann::json LatencyJson(const LatencyHistogram& latency) {
  return {{"count", latency.count()},
          {"p50_ms", Millis(latency.Percentile(50))},
          {"p99_ms", Millis(latency.Percentile(99))},
          {"p99_9_ms", Millis(latency.Percentile(99.9))},
          {"max_ms", Millis(latency.max())}};
}

nlohmann::json StageJson(const StageSummary& stage) {
  return {{"p50_ms", stage.p50_ms}, {"p99_ms", stage.p99_ms}, {"worst_p99_ms", stage.worst_p99_ms}};
}

nlohmann::json ClientStagesJson(const ClientStagesReport& stages) {
  return {{"windows", stages.windows},
          {"window_s", ClientStagesCollector::kIntervalMs / 1000.0},
          {"queued", StageJson(stages.queued)},
          {"send_wait", StageJson(stages.send_wait)},
          {"round_trip", StageJson(stages.round_trip)},
          {"produce_requests_per_s", stages.produce_requests_per_s},
          {"unreadable_documents", stages.unreadable_documents}};
}

nlohmann::json ConsumeJson(const ConsumeReport& consumed) {
  return {{"records", consumed.records},
          {"bytes", consumed.bytes},
          {"seconds", consumed.seconds},
          {"records_per_s", PerSecond(static_cast<double>(consumed.records), consumed.seconds)},
          {"mb_per_s", PerSecond(Megabytes(consumed.bytes), consumed.seconds)},
          {"complete", consumed.complete},
          {"first_error", consumed.first_error}};
}

nlohmann::json ReportJson(const LoadReport& report) {
  nlohmann::json json = {{"target", report.target}};
  if (report.produce) {
    const ProduceReport& produced = *report.produce;
    json["produce"] = {{"records", produced.records},
                       {"bytes", produced.bytes},
                       {"failed", produced.failed},
                       {"first_error", produced.first_error},
                       {"seconds", produced.seconds},
                       {"records_per_s", PerSecond(static_cast<double>(produced.records), produced.seconds)},
                       {"mb_per_s", PerSecond(Megabytes(produced.bytes), produced.seconds)},
                       {"latency", LatencyJson(produced.latency_us)}};
    if (produced.client_stages) json["produce"]["client_stages"] = ClientStagesJson(*produced.client_stages);
  }
  if (report.end_to_end) {
    json["end_to_end"] = ConsumeJson(*report.end_to_end);
    json["end_to_end"]["latency"] = LatencyJson(report.end_to_end->end_to_end_us);
  }
  if (report.catch_up) json["catch_up"] = ConsumeJson(*report.catch_up);
  return json;
}

// The figures compared between our brokers and the mock: throughputs
// (ours/mock > 1 is better) and latencies (ours/mock < 1 is better).
nlohmann::json RatioJson(const nlohmann::json& ours, const nlohmann::json& mock) {
  const auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  nlohmann::json ratios = {
      {"produce_records_per_s", ratio(ours["produce"]["records_per_s"], mock["produce"]["records_per_s"])},
      {"produce_mb_per_s", ratio(ours["produce"]["mb_per_s"], mock["produce"]["mb_per_s"])},
      {"produce_p50", ratio(ours["produce"]["latency"]["p50_ms"], mock["produce"]["latency"]["p50_ms"])},
      {"produce_p99", ratio(ours["produce"]["latency"]["p99_ms"], mock["produce"]["latency"]["p99_ms"])}};
  if (!ours.contains("end_to_end") || !mock.contains("end_to_end")) return ratios;
  ratios["catch_up_records_per_s"] = ratio(ours["catch_up"]["records_per_s"], mock["catch_up"]["records_per_s"]);
  // A consumer that fell off the mock's short log measured nothing to compare.
  if (ours["end_to_end"]["complete"] && mock["end_to_end"]["complete"]) {
    ratios["end_to_end_p50"] = ratio(ours["end_to_end"]["latency"]["p50_ms"], mock["end_to_end"]["latency"]["p50_ms"]);
    ratios["end_to_end_p99"] = ratio(ours["end_to_end"]["latency"]["p99_ms"], mock["end_to_end"]["latency"]["p99_ms"]);
  }
  return ratios;
}

void PrintProduceText(const nlohmann::json& produce) {
  const nlohmann::json& latency = produce["latency"];
  std::cout << fmt::format("  produce    {} records in {:.2f} s: {:.0f} records/s, {:.2f} MB/s, {} failed{}\n",
                           produce["records"].get<uint64_t>(), produce["seconds"].get<double>(),
                           produce["records_per_s"].get<double>(), produce["mb_per_s"].get<double>(),
                           produce["failed"].get<uint64_t>(),
                           produce["failed"].get<uint64_t>() > 0 ? " (" + produce["first_error"].get<std::string>() + ")"
                                                                 : "");
  std::cout << fmt::format("  latency    p50 {:.2f} ms  p99 {:.2f} ms  p99.9 {:.2f} ms  max {:.2f} ms\n",
                           latency["p50_ms"].get<double>(), latency["p99_ms"].get<double>(),
                           latency["p99_9_ms"].get<double>(), latency["max_ms"].get<double>());
  if (!produce.contains("client_stages")) return;
  const nlohmann::json& stages = produce["client_stages"];
  const auto stage = [](const nlohmann::json& summary) {
    return fmt::format("p50 {:.2f} p99 {:.2f} (worst {:.2f}) ms", summary["p50_ms"].get<double>(),
                       summary["p99_ms"].get<double>(), summary["worst_p99_ms"].get<double>());
  };
  std::cout << fmt::format("  librdkafka's stages, medians over {} windows of {:.0f} s:\n", stages["windows"].get<int>(),
                           stages["window_s"].get<double>());
  std::cout << "    queued in the client " << stage(stages["queued"]) << "\n";
  std::cout << "    waiting to be sent   " << stage(stages["send_wait"]) << "\n";
  std::cout << "    request round trip   " << stage(stages["round_trip"]) << "\n";
  std::cout << fmt::format("    {:.0f} Produce requests/s\n", stages["produce_requests_per_s"].get<double>());
}

void PrintText(const nlohmann::json& run) {
  std::cout << run["target"].get<std::string>() << "\n";
  if (run.contains("produce")) PrintProduceText(run["produce"]);
  if (run.contains("end_to_end")) {
    const nlohmann::json& e2e = run["end_to_end"];
    std::cout << fmt::format("  end-to-end p50 {:.2f} ms  p99 {:.2f} ms  ({} records{})\n",
                             e2e["latency"]["p50_ms"].get<double>(), e2e["latency"]["p99_ms"].get<double>(),
                             e2e["records"].get<uint64_t>(),
                             e2e["complete"].get<bool>() ? "" : ", INCOMPLETE: " + e2e["first_error"].get<std::string>());
  }
  if (run.contains("catch_up")) {
    const nlohmann::json& catch_up = run["catch_up"];
    std::cout << fmt::format("  catch-up   {} records in {:.2f} s: {:.0f} records/s, {:.2f} MB/s{}\n",
                             catch_up["records"].get<uint64_t>(), catch_up["seconds"].get<double>(),
                             catch_up["records_per_s"].get<double>(), catch_up["mb_per_s"].get<double>(),
                             catch_up["complete"].get<bool>() ? "" : " (INCOMPLETE)");
  }
}

// Parses the command line into `options`; returns an exit code when the
// process should stop (help: 0, bad flags: 2 after printing usage).
std::optional<int> ParseOptions(int argc, char** argv, BenchOptions& options) {
  ProducerSettings& load = options.load;
  load.topic = "kafscale-bench";
  load.partitions = 8;
  CLI::App app{"kafscale-bench: Kafka produce/consume load generator on librdkafka", "kafscale-bench"};
  auto* bootstrap = app.add_option("-b,--bootstrap", options.bootstrap, "Brokers, host:port[,host:port]");
  auto* mock = app.add_option("--mock", options.mock_brokers,
                              "Run against librdkafka's in-memory mock cluster with N brokers instead")
                   ->check(CLI::Range(1, 16));
  bootstrap->excludes(mock);
  app.add_option("--mock-rtt-ms", options.mock_rtt_ms,
                 "The mock cluster answers each request this many ms late (--mock, --compare-mock): the same "
                 "client against a broker as slow as a durable one but costing nothing")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  app.add_option("--topic", load.topic, "Topic (created with --partitions when missing)")->capture_default_str();
  app.add_option("--partitions", load.partitions, "Partitions of a created topic; records go round-robin")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--record-size", load.record_size, "Value bytes per record (the first 8 carry the send time)")
      ->check(CLI::Range(8, 100 * 1024 * 1024))
      ->capture_default_str();
  app.add_option("--producers", load.producers, "Producer clients, each on its own thread")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--acks", load.acks, "Acknowledgements")->check(CLI::IsMember({"all", "-1", "1", "0"}))
      ->capture_default_str();
  app.add_option("--linger-ms", load.linger_ms, "librdkafka linger.ms")->check(CLI::Range(0, 900000))
      ->capture_default_str();
  app.add_option("--batch-size", load.batch_size, "librdkafka batch.size in bytes")
      ->check(CLI::Range(1, 2147483647))
      ->capture_default_str();
  app.add_option("--compression", load.compression, "Compression codec")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  app.add_option("--rate", load.rate, "Target records/s over all producers, 0 = as fast as possible")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  auto* duration = app.add_option("--duration-s", load.duration_s, "Seconds to produce")
                       ->check(CLI::Range(0.001, 86400.0))
                       ->capture_default_str();
  auto* records = app.add_option("--records", load.records, "Produce exactly N records instead of for a duration")
                      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 50));
  duration->excludes(records);
  app.add_flag("--consume", options.consume,
               "Also consume: end-to-end latency during the run, then catch-up from the earliest offset");
  auto* catch_up_only =
      app.add_flag("--catch-up-only", options.catch_up_only,
                   "Produce nothing: read the existing --topic from its earliest offsets to its end and report that");
  auto* compare_mock = app.add_flag("--compare-mock", options.compare_mock,
                                    "Repeat the same load against a 1-broker mock cluster and print our/mock ratios");
  app.add_flag("--client-stages", load.client_stages,
               "Also report librdkafka's own timing of the produce path from its statistics (every 1 s): "
               "records queued in the client, requests waiting to be sent, request round trips");
  app.add_flag("--json", options.json, "Print one JSON object instead of text");
  catch_up_only->excludes(compare_mock)->excludes(records)->excludes("--consume")->excludes("--rate");
  try {
    app.parse(argc, argv);
    if (options.bootstrap.empty() && options.mock_brokers == 0) {
      throw CLI::RequiredError("--bootstrap or --mock");
    }
    if (options.compare_mock && options.mock_brokers > 0) {
      throw CLI::ValidationError("--compare-mock", "needs --bootstrap (the mock is what it compares with)");
    }
    if (options.mock_rtt_ms > 0 && options.mock_brokers == 0 && !options.compare_mock) {
      throw CLI::ValidationError("--mock-rtt-ms", "needs --mock or --compare-mock");
    }
    if (load.records > 0 && load.records < static_cast<uint64_t>(load.producers)) {
      throw CLI::ValidationError("--records", "must be at least --producers");
    }
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::cerr << "kafscale-bench: error: " << e.what() << "\n\n" << app.help();
    return kExitUsage;
  }
  return std::nullopt;
}

int Main(int argc, char** argv) {
  BenchOptions options;
  if (std::optional<int> exit_code = ParseOptions(argc, argv, options)) return *exit_code;

  Result<std::unique_ptr<BenchTarget>> primary = options.mock_brokers > 0
                                                     ? BenchTarget::StartMock(options.mock_brokers, options.mock_rtt_ms)
                                                     : BenchTarget::Connect(options.bootstrap, kConnectTimeoutMs);
  if (!primary.ok()) {
    std::cerr << "kafscale-bench: " << primary.status().message() << "\n";
    return kExitFailure;
  }
  std::vector<nlohmann::json> runs;
  bool all_delivered = true;
  bool all_read = true;  // every consumer reached its end offsets
  const auto run_against = [&](BenchTarget& target) {
    Result<LoadReport> report = RunLoad(target, options);
    if (!report.ok()) {
      std::cerr << "kafscale-bench: " << target.description() << ": " << report.status().message() << "\n";
      return false;
    }
    all_delivered = all_delivered && (!report->produce || report->produce->failed == 0);
    all_read = all_read && (!report->catch_up || report->catch_up->complete);
    runs.push_back(ReportJson(*report));
    if (!options.json) PrintText(runs.back());
    return true;
  };
  if (!run_against(**primary)) return kExitFailure;
  primary->reset();  // nothing of our run keeps connections open during the mock's
  if (options.compare_mock) {
    Result<std::unique_ptr<BenchTarget>> mock = BenchTarget::StartMock(1, options.mock_rtt_ms);
    if (!mock.ok()) {
      std::cerr << "kafscale-bench: " << mock.status().message() << "\n";
      return kExitFailure;
    }
    if (!run_against(**mock)) return kExitFailure;
  }

  const ProducerSettings& load = options.load;
  nlohmann::json output = {{"options",
                            {{"topic", load.topic},
                             {"partitions", load.partitions},
                             {"record_size", load.record_size},
                             {"producers", load.producers},
                             {"acks", load.acks},
                             {"linger_ms", load.linger_ms},
                             {"batch_size", load.batch_size},
                             {"compression", load.compression},
                             {"rate", load.rate},
                             {"duration_s", load.records > 0 ? 0 : load.duration_s},
                             {"records", load.records},
                             {"client_stages", load.client_stages},
                             {"mock_rtt_ms", options.mock_rtt_ms},
                             {"catch_up_only", options.catch_up_only}}},
                           {"runs", runs}};
  if (runs.size() == 2) output["ours_over_mock"] = RatioJson(runs[0], runs[1]);
  if (options.json) {
    std::cout << output.dump(2) << "\n";
  } else if (output.contains("ours_over_mock")) {
    std::cout << "ours/mock\n";
    for (const auto& [name, value] : output["ours_over_mock"].items()) {
      std::cout << fmt::format("  {:<24} {:.3f}\n", name, value.get<double>());
    }
  }
  if (!all_delivered) {
    std::cerr << "kafscale-bench: some records were not acknowledged\n";
    return kExitFailure;
  }
  if (options.catch_up_only && !all_read) {
    std::cerr << "kafscale-bench: the catch-up did not reach the end of the topic\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace
}  // namespace kafscale::bench

int main(int argc, char** argv) { return kafscale::bench::Main(argc, argv); }
