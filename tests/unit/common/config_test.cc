#include "common/config.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kafscale {
namespace {

using Env = std::map<std::string, std::string>;

// Runs ParseBrokerConfig on `flags` (argv[0] is added) and a fake environment.
Result<BrokerConfig> Parse(std::vector<std::string> flags, const Env& env = {}) {
  flags.insert(flags.begin(), "kafscale-broker");
  std::vector<char*> argv;
  for (std::string& flag : flags) argv.push_back(flag.data());
  argv.push_back(nullptr);
  return ParseBrokerConfig(static_cast<int>(flags.size()), argv.data(), [&env](const char* name) {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

BrokerConfig ParseOk(std::vector<std::string> flags, const Env& env = {}) {
  Result<BrokerConfig> result = Parse(std::move(flags), env);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? std::move(result).value() : BrokerConfig{};
}

std::string ParseError(std::vector<std::string> flags, const Env& env = {}) {
  Result<BrokerConfig> result = Parse(std::move(flags), env);
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument);
  return result.status().message();
}

TEST(BrokerConfigTest, DefaultsWithNothingSet) {
  const BrokerConfig config = ParseOk({});
  EXPECT_FALSE(config.help_requested);
  EXPECT_EQ(config.broker_id, 0);
  EXPECT_EQ(config.listen_addr, (HostPort{"0.0.0.0", 9092}));
  EXPECT_FALSE(config.advertised_host.empty());
  EXPECT_NE(config.advertised_host, "0.0.0.0");
  EXPECT_EQ(config.advertised_port, 9092);
  EXPECT_EQ(config.metrics_addr, (HostPort{"0.0.0.0", 9093}));
  EXPECT_EQ(config.data_dir, "./data");
  EXPECT_EQ(config.s3_bucket, "");
  EXPECT_EQ(config.s3_region, "us-east-1");
  EXPECT_EQ(config.s3_endpoint, "");
  EXPECT_FALSE(config.s3_path_style);
  EXPECT_EQ(config.s3_namespace, "default");
  EXPECT_EQ(config.s3_read_region, "us-east-1");
  EXPECT_TRUE(config.etcd_endpoints.empty());
  EXPECT_EQ(config.segment_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(config.compacted_segment_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(config.flush_interval_ms, 100);
  EXPECT_EQ(config.cache_bytes, 256 * 1024 * 1024);
  EXPECT_EQ(config.readahead_segments, 2);
  EXPECT_TRUE(config.auto_create_topics);
  EXPECT_EQ(config.auto_create_partitions, 1);
  EXPECT_EQ(config.max_request_bytes, 104857600);
  EXPECT_EQ(config.lease_ttl_seconds, 10);
  EXPECT_EQ(config.log_level, LogLevel::kInfo);
  EXPECT_EQ(config.log_format, LogFormat::kText);
}

TEST(BrokerConfigTest, ReadsEveryKindOfSettingFromEnvironment) {
  const BrokerConfig config = ParseOk({}, {
                                              {"KAFSCALE_BROKER_ID", "7"},
                                              {"KAFSCALE_BROKER_ADDR", "10.1.2.3:19092"},
                                              {"KAFSCALE_METRICS_ADDR", "[::1]:19093"},
                                              {"KAFSCALE_DATA_DIR", "/var/lib/kafscale"},
                                              {"KAFSCALE_S3_BUCKET", "segments"},
                                              {"KAFSCALE_S3_REGION", "eu-west-1"},
                                              {"KAFSCALE_S3_NAMESPACE", "prod"},
                                              {"AWS_ACCESS_KEY_ID", "AKIA"},
                                              {"AWS_SECRET_ACCESS_KEY", "secret"},
                                              {"KAFSCALE_ETCD_ENDPOINTS", "http://etcd-0:2379"},
                                              {"KAFSCALE_SEGMENT_BYTES", "1024"},
                                              {"KAFSCALE_COMPACTED_SEGMENT_BYTES", "2048"},
                                              {"KAFSCALE_FLUSH_INTERVAL_MS", "60000"},
                                              {"KAFSCALE_CACHE_BYTES", "0"},
                                              {"KAFSCALE_READAHEAD_SEGMENTS", "64"},
                                              {"KAFSCALE_AUTO_CREATE_TOPICS", "false"},
                                              {"KAFSCALE_AUTO_CREATE_PARTITIONS", "12"},
                                              {"KAFSCALE_MAX_REQUEST_BYTES", "1073741824"},
                                              {"KAFSCALE_LEASE_TTL_SECONDS", "2"},
                                              {"KAFSCALE_LOG_LEVEL", "DEBUG"},
                                              {"KAFSCALE_LOG_FORMAT", "json"},
                                          });
  EXPECT_EQ(config.broker_id, 7);
  EXPECT_EQ(config.listen_addr, (HostPort{"10.1.2.3", 19092}));
  EXPECT_EQ(config.advertised_host, "10.1.2.3");
  EXPECT_EQ(config.advertised_port, 19092);
  EXPECT_EQ(config.metrics_addr, (HostPort{"::1", 19093}));
  EXPECT_EQ(config.data_dir, "/var/lib/kafscale");
  EXPECT_EQ(config.s3_bucket, "segments");
  EXPECT_EQ(config.s3_region, "eu-west-1");
  EXPECT_EQ(config.s3_read_region, "eu-west-1");
  EXPECT_EQ(config.s3_namespace, "prod");
  EXPECT_EQ(config.aws_access_key_id, "AKIA");
  EXPECT_EQ(config.aws_secret_access_key, "secret");
  EXPECT_EQ(config.etcd_endpoints, std::vector<std::string>{"http://etcd-0:2379"});
  EXPECT_EQ(config.segment_bytes, 1024);
  EXPECT_EQ(config.compacted_segment_bytes, 2048);
  EXPECT_EQ(config.flush_interval_ms, 60000);
  EXPECT_EQ(config.cache_bytes, 0);
  EXPECT_EQ(config.readahead_segments, 64);
  EXPECT_FALSE(config.auto_create_topics);
  EXPECT_EQ(config.auto_create_partitions, 12);
  EXPECT_EQ(config.max_request_bytes, 1073741824);
  EXPECT_EQ(config.lease_ttl_seconds, 2);
  EXPECT_EQ(config.log_level, LogLevel::kDebug);
  EXPECT_EQ(config.log_format, LogFormat::kJson);
}

TEST(BrokerConfigTest, EmptyEnvironmentVariableCountsAsUnset) {
  const BrokerConfig config = ParseOk({}, {{"KAFSCALE_BROKER_ID", ""}, {"KAFSCALE_S3_REGION", ""}});
  EXPECT_EQ(config.broker_id, 0);
  EXPECT_EQ(config.s3_region, "us-east-1");
}

TEST(BrokerConfigTest, FlagOverridesEnvironmentInBothForms) {
  const Env env = {{"KAFSCALE_BROKER_ID", "1"}, {"KAFSCALE_S3_BUCKET", "from-env"}};
  EXPECT_EQ(ParseOk({"--broker-id=2"}, env).broker_id, 2);
  EXPECT_EQ(ParseOk({"--broker-id", "3"}, env).broker_id, 3);
  EXPECT_EQ(ParseOk({"--s3-bucket", "from-flag"}, env).s3_bucket, "from-flag");
  EXPECT_EQ(ParseOk({}, env).s3_bucket, "from-env");
}

TEST(BrokerConfigTest, FlagReplacesBadEnvironmentValueWithoutError) {
  EXPECT_EQ(ParseOk({"--flush-interval-ms=250"}, {{"KAFSCALE_FLUSH_INTERVAL_MS", "abc"}})
                .flush_interval_ms,
            250);
}

TEST(BrokerConfigTest, LastOfRepeatedFlagsWins) {
  EXPECT_EQ(ParseOk({"--broker-id=4", "--broker-id", "5"}).broker_id, 5);
}

TEST(BrokerConfigTest, ExplicitEmptyFlagValueClearsText) {
  EXPECT_EQ(ParseOk({"--s3-bucket="}, {{"KAFSCALE_S3_BUCKET", "b"}}).s3_bucket, "");
}

TEST(BrokerConfigTest, NegativeNumberIsTakenAsFlagValue) {
  EXPECT_EQ(ParseError({"--broker-id", "-1"}),
            "KAFSCALE_BROKER_ID (--broker-id) = \"-1\": expected an integer from 0 to 2147483647");
}

struct BadValueCase {
  std::string env_var;
  std::string value;
  std::string expected_message;
};

class BadValueTest : public testing::TestWithParam<BadValueCase> {};

TEST_P(BadValueTest, EnvironmentValueIsRejectedWithVariableFlagValueAndRange) {
  const BadValueCase& c = GetParam();
  EXPECT_EQ(ParseError({}, {{c.env_var, c.value}}), c.expected_message);
}

const std::string kFlushRange = "expected an integer from 1 to 60000";
const std::string kAddressRange = "expected host:port, [ipv6]:port or :port with a port from 0 to 65535";

INSTANTIATE_TEST_SUITE_P(
    AllKinds, BadValueTest,
    testing::Values(
        BadValueCase{"KAFSCALE_FLUSH_INTERVAL_MS", "abc",
                     "KAFSCALE_FLUSH_INTERVAL_MS (--flush-interval-ms) = \"abc\": " + kFlushRange},
        BadValueCase{"KAFSCALE_FLUSH_INTERVAL_MS", "0",
                     "KAFSCALE_FLUSH_INTERVAL_MS (--flush-interval-ms) = \"0\": " + kFlushRange},
        BadValueCase{"KAFSCALE_FLUSH_INTERVAL_MS", "60001",
                     "KAFSCALE_FLUSH_INTERVAL_MS (--flush-interval-ms) = \"60001\": " + kFlushRange},
        BadValueCase{"KAFSCALE_FLUSH_INTERVAL_MS", " 5",
                     "KAFSCALE_FLUSH_INTERVAL_MS (--flush-interval-ms) = \" 5\": " + kFlushRange},
        BadValueCase{"KAFSCALE_FLUSH_INTERVAL_MS", "5ms",
                     "KAFSCALE_FLUSH_INTERVAL_MS (--flush-interval-ms) = \"5ms\": " + kFlushRange},
        BadValueCase{"KAFSCALE_FLUSH_INTERVAL_MS", "+5",
                     "KAFSCALE_FLUSH_INTERVAL_MS (--flush-interval-ms) = \"+5\": " + kFlushRange},
        BadValueCase{"KAFSCALE_FLUSH_INTERVAL_MS", "99999999999999999999",
                     "KAFSCALE_FLUSH_INTERVAL_MS (--flush-interval-ms) = \"99999999999999999999\": " +
                         kFlushRange},
        BadValueCase{"KAFSCALE_SEGMENT_BYTES", "4MiB",
                     "KAFSCALE_SEGMENT_BYTES (--segment-bytes) = \"4MiB\": expected an integer number "
                     "of bytes from 1024 (1 KiB) to 1073741824 (1 GiB)"},
        BadValueCase{"KAFSCALE_CACHE_BYTES", "-1",
                     "KAFSCALE_CACHE_BYTES (--cache-bytes) = \"-1\": expected an integer number of "
                     "bytes from 0 to 1099511627776 (1 TiB)"},
        BadValueCase{"KAFSCALE_READAHEAD_SEGMENTS", "65",
                     "KAFSCALE_READAHEAD_SEGMENTS (--readahead-segments) = \"65\": expected an "
                     "integer from 0 to 64"},
        BadValueCase{"KAFSCALE_BROKER_PORT", "0",
                     "KAFSCALE_BROKER_PORT (--broker-port) = \"0\": expected an integer from 1 to "
                     "65535"},
        BadValueCase{"KAFSCALE_AUTO_CREATE_TOPICS", "maybe",
                     "KAFSCALE_AUTO_CREATE_TOPICS (--auto-create-topics) = \"maybe\": expected one of "
                     "true, false, 1, 0, yes, no"},
        BadValueCase{"KAFSCALE_LOG_LEVEL", "verbose",
                     "KAFSCALE_LOG_LEVEL (--log-level) = \"verbose\": expected one of trace, debug, "
                     "info, warn, error"},
        BadValueCase{"KAFSCALE_LOG_FORMAT", "xml",
                     "KAFSCALE_LOG_FORMAT (--log-format) = \"xml\": expected one of text, json"},
        BadValueCase{"KAFSCALE_BROKER_ADDR", "localhost",
                     "KAFSCALE_BROKER_ADDR (--broker-addr) = \"localhost\": " + kAddressRange},
        BadValueCase{"KAFSCALE_BROKER_ADDR", "localhost:65536",
                     "KAFSCALE_BROKER_ADDR (--broker-addr) = \"localhost:65536\": " + kAddressRange},
        BadValueCase{"KAFSCALE_METRICS_ADDR", "::1:9093",
                     "KAFSCALE_METRICS_ADDR (--metrics-addr) = \"::1:9093\": " + kAddressRange},
        BadValueCase{"KAFSCALE_BROKER_HOST", "bad host",
                     "KAFSCALE_BROKER_HOST (--broker-host) = \"bad host\": expected a hostname or an "
                     "IP address"},
        BadValueCase{"KAFSCALE_ETCD_ENDPOINTS", "http://etcd",
                     "KAFSCALE_ETCD_ENDPOINTS (--etcd-endpoints) = \"http://etcd\": expected a "
                     "comma-separated list of URLs like http://host:2379 or https://host:2379"}));

TEST(BrokerConfigTest, BadFlagValueNamesVariableAndFlag) {
  EXPECT_EQ(ParseError({"--flush-interval-ms=abc"}),
            "KAFSCALE_FLUSH_INTERVAL_MS (--flush-interval-ms) = \"abc\": " + kFlushRange);
  EXPECT_EQ(ParseError({"--broker-id="}),
            "KAFSCALE_BROKER_ID (--broker-id) = \"\": expected an integer from 0 to 2147483647");
}

TEST(BrokerConfigTest, UnknownFlagIsAnError) {
  EXPECT_EQ(ParseError({"--no-such-flag=1"}), "unknown flag \"--no-such-flag\"; --help lists the flags");
  EXPECT_EQ(ParseError({"-x"}), "unknown flag \"-x\"; --help lists the flags");
}

TEST(BrokerConfigTest, CredentialsHaveNoFlag) {
  EXPECT_EQ(ParseError({"--aws-secret-access-key=s"}),
            "unknown flag \"--aws-secret-access-key\"; --help lists the flags");
}

TEST(BrokerConfigTest, StrayArgumentIsAnError) {
  EXPECT_EQ(ParseError({"serve"}),
            "unexpected argument \"serve\"; settings are given as --flag=value");
}

TEST(BrokerConfigTest, MissingFlagValueIsAnError) {
  const std::string message =
      "KAFSCALE_BROKER_ID (--broker-id): missing value, expected an integer from 0 to 2147483647";
  EXPECT_EQ(ParseError({"--broker-id"}), message);
  EXPECT_EQ(ParseError({"--broker-id", "--s3-bucket=b"}), message);
}

TEST(BrokerConfigTest, HelpIsReportedAndWinsOverOtherErrors) {
  for (const char* help : {"--help", "-h"}) {
    const Result<BrokerConfig> result = Parse({"--bogus", help}, {{"KAFSCALE_BROKER_ID", "x"}});
    ASSERT_TRUE(result.ok()) << help;
    EXPECT_TRUE(result->help_requested) << help;
  }
}

TEST(BrokerConfigTest, HelpListsEveryFlagWithVariableDefaultAndMeaning) {
  const std::string help = BrokerConfigHelp();
  for (const char* flag :
       {"--broker-id", "--broker-addr", "--broker-host", "--broker-port", "--metrics-addr",
        "--data-dir", "--s3-bucket", "--s3-region", "--s3-endpoint", "--s3-path-style",
        "--s3-namespace", "--s3-read-bucket", "--s3-read-region", "--s3-read-endpoint",
        "--etcd-endpoints", "--etcd-username", "--etcd-password", "--segment-bytes",
        "--flush-interval-ms", "--cache-bytes", "--readahead-segments", "--auto-create-topics",
        "--auto-create-partitions", "--max-request-bytes", "--lease-ttl-seconds", "--log-level",
        "--log-format"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  for (const char* env_only : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) {
    EXPECT_NE(help.find(env_only), std::string::npos) << env_only;
  }
  // One row holds flag, variable, default, accepted values and meaning.
  const size_t row = help.find("--flush-interval-ms");
  const std::string line = help.substr(row, help.find('\n', row) - row);
  for (const char* part :
       {"KAFSCALE_FLUSH_INTERVAL_MS", " 100 ", "1..60000", "longest time produced data waits"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in: " << line;
  }
  EXPECT_NE(help.find("4194304 (4 MiB)"), std::string::npos);
}

TEST(BrokerConfigTest, BooleansAcceptAllSpellings) {
  for (const char* yes : {"true", "1", "yes", "TRUE", "Yes"}) {
    EXPECT_TRUE(ParseOk({}, {{"KAFSCALE_S3_PATH_STYLE", yes}}).s3_path_style) << yes;
  }
  for (const char* no : {"false", "0", "no", "False", "NO"}) {
    EXPECT_FALSE(ParseOk({}, {{"KAFSCALE_AUTO_CREATE_TOPICS", no}}).auto_create_topics) << no;
    EXPECT_FALSE(ParseOk({"--auto-create-topics", no}).auto_create_topics) << no;
  }
}

TEST(BrokerConfigTest, BareBooleanFlagMeansTrue) {
  EXPECT_TRUE(ParseOk({"--s3-path-style"}).s3_path_style);
  const BrokerConfig config = ParseOk({"--s3-path-style", "--broker-id=3"});
  EXPECT_TRUE(config.s3_path_style);
  EXPECT_EQ(config.broker_id, 3);
}

TEST(BrokerConfigTest, PathStyleDefaultsToTrueOnlyWithEndpoint) {
  EXPECT_FALSE(ParseOk({}).s3_path_style);
  EXPECT_TRUE(ParseOk({}, {{"KAFSCALE_S3_ENDPOINT", "http://127.0.0.1:7480"}}).s3_path_style);
  EXPECT_FALSE(ParseOk({"--s3-path-style=no"}, {{"KAFSCALE_S3_ENDPOINT", "http://127.0.0.1:7480"}})
                   .s3_path_style);
}

TEST(BrokerConfigTest, PayloadIsSignedByDefaultOnlyOverPlainHttp) {
  EXPECT_FALSE(ParseOk({}).s3_sign_payload);  // AWS, over HTTPS
  EXPECT_FALSE(ParseOk({}, {{"KAFSCALE_S3_ENDPOINT", "https://s3.example.com"}}).s3_sign_payload);
  EXPECT_TRUE(ParseOk({}, {{"KAFSCALE_S3_ENDPOINT", "http://127.0.0.1:7480"}}).s3_sign_payload);
  EXPECT_FALSE(ParseOk({"--s3-sign-payload=false"}, {{"KAFSCALE_S3_ENDPOINT", "http://127.0.0.1:7480"}})
                   .s3_sign_payload);
  EXPECT_TRUE(ParseOk({}, {{"KAFSCALE_S3_SIGN_PAYLOAD", "true"}}).s3_sign_payload);
}

TEST(BrokerConfigTest, ReadReplicaDefaultsToPrimaryRegionAndEndpoint) {
  const BrokerConfig inherited =
      ParseOk({"--s3-region=eu-central-1", "--s3-endpoint=http://rgw:7480", "--s3-read-bucket=r"});
  EXPECT_EQ(inherited.s3_read_region, "eu-central-1");
  EXPECT_EQ(inherited.s3_read_endpoint, "http://rgw:7480");
  const BrokerConfig own = ParseOk({"--s3-region=eu-central-1", "--s3-read-region=us-west-2"});
  EXPECT_EQ(own.s3_read_region, "us-west-2");
}

TEST(BrokerConfigTest, AdvertisedAddressFollowsListenAddressUnlessSet) {
  const BrokerConfig wildcard = ParseOk({"--broker-addr=:19092"});
  EXPECT_EQ(wildcard.listen_addr, (HostPort{"0.0.0.0", 19092}));
  EXPECT_NE(wildcard.advertised_host, "0.0.0.0");
  EXPECT_FALSE(wildcard.advertised_host.empty());
  EXPECT_EQ(wildcard.advertised_port, 19092);

  const BrokerConfig specific = ParseOk({"--broker-addr=127.0.0.1:0"});
  EXPECT_EQ(specific.advertised_host, "127.0.0.1");
  EXPECT_EQ(specific.advertised_port, 0);

  const BrokerConfig set = ParseOk({"--broker-host=[fd00::1]", "--broker-port=29092"});
  EXPECT_EQ(set.advertised_host, "fd00::1");
  EXPECT_EQ(set.advertised_port, 29092);
}

TEST(BrokerConfigTest, EtcdEndpointsAreSplitTrimmedAndNormalised) {
  const BrokerConfig config =
      ParseOk({"--etcd-endpoints", "http://etcd-0:2379, https://10.0.0.5:2379,etcd-2:2379,"});
  EXPECT_EQ(config.etcd_endpoints,
            (std::vector<std::string>{"http://etcd-0:2379", "https://10.0.0.5:2379",
                                      "http://etcd-2:2379"}));
  EXPECT_NE(ParseError({"--etcd-endpoints=http://a:2379,,http://b:2379"}), "");
  EXPECT_NE(ParseError({"--etcd-endpoints=ftp://a:2379"}), "");
}

TEST(BrokerConfigTest, DescribeConfigMasksSecrets) {
  const BrokerConfig config = ParseOk({"--etcd-password=hunter2", "--data-dir=/tmp/my data"},
                                      {{"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"}});
  const std::string line = DescribeConfig(config);
  EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
  EXPECT_EQ(line.find("wJalrXUtnFEMI"), std::string::npos) << line;
  EXPECT_NE(line.find("aws-secret-access-key=***"), std::string::npos) << line;
  EXPECT_NE(line.find("etcd-password=***"), std::string::npos) << line;
  EXPECT_NE(line.find("aws-session-token=\"\""), std::string::npos) << line;
  EXPECT_NE(line.find("data-dir=\"/tmp/my data\""), std::string::npos) << line;
  EXPECT_NE(line.find("flush-interval-ms=100 "), std::string::npos) << line;
  EXPECT_NE(line.find("segment-bytes=4194304 "), std::string::npos) << line;
  EXPECT_NE(line.find("broker-addr=0.0.0.0:9092"), std::string::npos) << line;
}

TEST(HostPortTest, ParsesIPv4IPv6AndHostnames) {
  EXPECT_EQ(ParseHostPort("192.168.1.10:9092"), (HostPort{"192.168.1.10", 9092}));
  EXPECT_EQ(ParseHostPort("[::1]:9092"), (HostPort{"::1", 9092}));
  EXPECT_EQ(ParseHostPort("[2001:db8::7]:0"), (HostPort{"2001:db8::7", 0}));
  EXPECT_EQ(ParseHostPort("broker-0.kafscale.svc.cluster.local:9092"),
            (HostPort{"broker-0.kafscale.svc.cluster.local", 9092}));
  EXPECT_EQ(ParseHostPort("localhost:65535"), (HostPort{"localhost", 65535}));
  EXPECT_EQ(ParseHostPort(":9093"), (HostPort{"0.0.0.0", 9093}));
}

TEST(HostPortTest, RejectsMalformedAddresses) {
  for (const char* bad :
       {"", "localhost", "localhost:", "localhost:-1", "localhost:65536", "localhost:http",
        "::1:9092", "[::1]", "[::1:9092", "[nothex::]:9092", "[10.0.0.1]:9092", "10.0.0.256:9092",
        "bad host:9092", "a..b:9092", ".a:9092", "a.:9092", "http://a:9092"}) {
    EXPECT_EQ(ParseHostPort(bad), std::nullopt) << bad;
  }
}

TEST(HostPortTest, ToStringBracketsIPv6) {
  EXPECT_EQ((HostPort{"::1", 9092}).ToString(), "[::1]:9092");
  EXPECT_EQ((HostPort{"10.0.0.1", 9092}).ToString(), "10.0.0.1:9092");
  EXPECT_EQ((HostPort{"kafka", 1}).ToString(), "kafka:1");
}

}  // namespace
}  // namespace kafscale
