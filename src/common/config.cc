#include "common/config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <utility>

#include <fmt/format.h>

namespace kafscale {

namespace {

constexpr std::string_view kEnvPrefix = "KAFSCALE_";

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsIPv4(const std::string& text) {
  in_addr addr;
  return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

bool IsIPv6(const std::string& text) {
  in6_addr addr;
  return inet_pton(AF_INET6, text.c_str(), &addr) == 1;
}

// Letters, digits, '-' and '_' in non-empty dot-separated labels. All-numeric
// names must be real IPv4 addresses so that typos like 10.0.0.256 fail.
bool IsHostname(const std::string& text) {
  if (text.empty() || text.size() > 253) return false;
  if (std::all_of(text.begin(), text.end(),
                  [](unsigned char c) { return std::isdigit(c) || c == '.'; })) {
    return IsIPv4(text);
  }
  bool label_empty = true;
  for (unsigned char c : text) {
    if (c == '.') {
      if (label_empty) return false;
      label_empty = true;
    } else if (std::isalnum(c) || c == '-' || c == '_') {
      label_empty = false;
    } else {
      return false;
    }
  }
  return !label_empty;
}

// A host without port: DNS name, IPv4, or IPv6 with or without brackets.
std::optional<std::string> ParseHost(std::string_view text) {
  std::string host(text);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    return IsIPv6(host) ? std::optional(host) : std::nullopt;
  }
  if (IsIPv6(host) || IsHostname(host)) return host;
  return std::nullopt;
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool IsWildcardHost(std::string_view host) { return host == "0.0.0.0" || host == "::"; }

// This machine's hostname if it resolves, so that clients can reach it.
std::string MachineHostname() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  addrinfo* found = nullptr;
  if (getaddrinfo(name.data(), nullptr, &hints, &found) != 0) return "localhost";
  freeaddrinfo(found);
  return name.data();
}

// How one setting's text is checked and stored into a BrokerConfig, and how
// its value is shown back.
struct ValueCodec {
  std::string expected;  // for errors: "an integer from 1 to 60000"
  std::string values;    // for help: "1..60000"
  bool bare_flag_means_true = false;
  std::function<bool(std::string_view text, BrokerConfig& config)> store;  // false: not acceptable
  std::function<std::string(const BrokerConfig& config)> show;  // as it would be typed
  // Friendlier form for the help table ("4194304 (4 MiB)"); null: same as show.
  std::function<std::string(const BrokerConfig& config)> show_for_help = nullptr;
};

enum class NumberStyle { kPlain, kBytes };

// Byte counts that are whole KiB/MiB/GiB/TiB get that unit added: "4194304 (4 MiB)".
std::string DescribeNumber(int64_t value, NumberStyle style) {
  if (style == NumberStyle::kBytes && value > 0) {
    constexpr std::array<std::pair<int64_t, std::string_view>, 4> kUnits{
        {{int64_t{1} << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}}};
    for (const auto& [size, unit] : kUnits) {
      if (value % size == 0) return fmt::format("{} ({} {})", value, value / size, unit);
    }
  }
  return std::to_string(value);
}

template <typename T>
ValueCodec Integer(T BrokerConfig::*field, int64_t min, int64_t max,
                   NumberStyle style = NumberStyle::kPlain) {
  const bool bytes = style == NumberStyle::kBytes;
  return ValueCodec{
      .expected = fmt::format("an integer{} from {} to {}", bytes ? " number of bytes" : "",
                              DescribeNumber(min, style), DescribeNumber(max, style)),
      .values = fmt::format("{}..{}", min, max),
      .store =
          [field, min, max](std::string_view text, BrokerConfig& config) {
            const std::optional<int64_t> value = ParseInteger(text);
            if (!value || *value < min || *value > max) return false;
            config.*field = static_cast<T>(*value);
            return true;
          },
      .show = [field](const BrokerConfig& config) { return std::to_string(config.*field); },
      .show_for_help = [field, style](const BrokerConfig& config) {
        return DescribeNumber(config.*field, style);
      },
  };
}

ValueCodec Boolean(bool BrokerConfig::*field) {
  return ValueCodec{
      .expected = "one of true, false, 1, 0, yes, no",
      .values = "true|false",
      .bare_flag_means_true = true,
      .store =
          [field](std::string_view text, BrokerConfig& config) {
            const std::string word = Lowercase(text);
            if (word == "true" || word == "1" || word == "yes") {
              config.*field = true;
            } else if (word == "false" || word == "0" || word == "no") {
              config.*field = false;
            } else {
              return false;
            }
            return true;
          },
      .show = [field](const BrokerConfig& config) -> std::string {
        return config.*field ? "true" : "false";
      },
  };
}

ValueCodec Text(std::string BrokerConfig::*field) {
  return ValueCodec{
      .expected = "any text",
      .values = "text",
      .store =
          [field](std::string_view text, BrokerConfig& config) {
            config.*field = std::string(text);
            return true;
          },
      .show = [field](const BrokerConfig& config) { return config.*field; },
  };
}

ValueCodec Host(std::string BrokerConfig::*field) {
  return ValueCodec{
      .expected = "a hostname or an IP address",
      .values = "host",
      .store =
          [field](std::string_view text, BrokerConfig& config) {
            std::optional<std::string> host = ParseHost(text);
            if (!host) return false;
            config.*field = std::move(*host);
            return true;
          },
      .show = [field](const BrokerConfig& config) { return config.*field; },
  };
}

ValueCodec Address(HostPort BrokerConfig::*field) {
  return ValueCodec{
      .expected = "host:port, [ipv6]:port or :port with a port from 0 to 65535",
      .values = "host:port",
      .store =
          [field](std::string_view text, BrokerConfig& config) {
            std::optional<HostPort> address = ParseHostPort(text);
            if (!address) return false;
            config.*field = std::move(*address);
            return true;
          },
      .show = [field](const BrokerConfig& config) { return (config.*field).ToString(); },
  };
}

// Comma-separated etcd URLs; a bare host:port gets http://.
ValueCodec EndpointList(std::vector<std::string> BrokerConfig::*field) {
  return ValueCodec{
      .expected = "a comma-separated list of URLs like http://host:2379 or https://host:2379",
      .values = "URL,...",
      .store =
          [field](std::string_view text, BrokerConfig& config) {
            std::vector<std::string> endpoints;
            while (!text.empty()) {
              const size_t comma = text.find(',');
              std::string_view item = text.substr(0, comma);
              text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
              while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
              while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
              std::string_view scheme = "http";
              for (std::string_view candidate : {"http", "https"}) {
                const std::string prefix = std::string(candidate) + "://";
                if (item.starts_with(prefix)) {
                  scheme = candidate;
                  item.remove_prefix(prefix.size());
                }
              }
              const std::optional<HostPort> address = ParseHostPort(item);
              if (!address || address->port == 0) return false;
              endpoints.push_back(fmt::format("{}://{}", scheme, address->ToString()));
            }
            config.*field = std::move(endpoints);
            return true;
          },
      .show =
          [field](const BrokerConfig& config) {
            return fmt::format("{}", fmt::join(config.*field, ","));
          },
  };
}

template <typename E>
ValueCodec Choice(E BrokerConfig::*field, std::vector<std::pair<std::string, E>> choices) {
  std::vector<std::string> names;
  for (const auto& choice : choices) names.push_back(choice.first);
  return ValueCodec{
      .expected = fmt::format("one of {}", fmt::join(names, ", ")),
      .values = fmt::format("{}", fmt::join(names, "|")),
      .store =
          [field, choices](std::string_view text, BrokerConfig& config) {
            const std::string word = Lowercase(text);
            for (const auto& [name, value] : choices) {
              if (name == word) {
                config.*field = value;
                return true;
              }
            }
            return false;
          },
      .show = [field, choices](const BrokerConfig& config) -> std::string {
        for (const auto& [name, value] : choices) {
          if (value == config.*field) return name;
        }
        return "?";
      },
  };
}

enum class Source { kFlagAndEnv, kEnvOnly };
enum class Visibility { kPlain, kSecret };

// A default computed from other settings; applied when the setting is not
// given, after every given value is stored.
struct DerivedDefault {
  std::string_view help;  // for the DEFAULT column
  std::function<void(BrokerConfig& config)> apply;
};

struct OptionSpec {
  std::string_view env_var;
  std::string_view meaning;
  ValueCodec codec;
  // Unset: the default is the value in a default-constructed BrokerConfig.
  DerivedDefault derived = {};
  // AWS credentials have no flag so that they never show in process lists.
  Source source = Source::kFlagAndEnv;
  Visibility visibility = Visibility::kPlain;
};

// KAFSCALE_FLUSH_INTERVAL_MS -> flush-interval-ms; also names the setting in
// DescribeConfig, so env-only variables get one too.
std::string SettingName(std::string_view env_var) {
  if (env_var.starts_with(kEnvPrefix)) env_var.remove_prefix(kEnvPrefix.size());
  std::string name = Lowercase(env_var);
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

std::string FlagName(const OptionSpec& option) {
  return option.source == Source::kEnvOnly ? std::string() : "--" + SettingName(option.env_var);
}

// The single list of settings: parsing, validation, help and DescribeConfig
// all walk it, so a new setting is one row here plus its BrokerConfig field.
const std::vector<OptionSpec>& Options() {
  using C = BrokerConfig;
  constexpr int64_t kKiB = 1 << 10;
  constexpr int64_t kMiB = 1 << 20;
  constexpr int64_t kGiB = 1 << 30;
  constexpr int64_t kTiB = int64_t{1} << 40;
  constexpr auto kBytes = NumberStyle::kBytes;
  static const std::vector<OptionSpec> options = {
      {"KAFSCALE_BROKER_ID", "unique id of this broker in the cluster",
       Integer(&C::broker_id, 0, std::numeric_limits<int32_t>::max())},
      {"KAFSCALE_BROKER_ADDR", "address the Kafka listener binds", Address(&C::listen_addr)},
      {"KAFSCALE_BROKER_HOST", "host clients are told to connect to", Host(&C::advertised_host),
       {"listen host or hostname",
        [](C& c) {
          c.advertised_host =
              IsWildcardHost(c.listen_addr.host) ? MachineHostname() : c.listen_addr.host;
        }}},
      {"KAFSCALE_BROKER_PORT", "port clients are told to connect to",
       Integer(&C::advertised_port, 1, 65535),
       {"listen port", [](C& c) { c.advertised_port = c.listen_addr.port; }}},
      {"KAFSCALE_METRICS_ADDR", "address of the HTTP metrics/health endpoint",
       Address(&C::metrics_addr)},
      {"KAFSCALE_DATA_DIR", "directory of the embedded object and metadata stores",
       Text(&C::data_dir)},
      {"KAFSCALE_S3_BUCKET", "S3 bucket for segments; empty: local directory store",
       Text(&C::s3_bucket)},
      {"KAFSCALE_S3_REGION", "S3 region", Text(&C::s3_region)},
      {"KAFSCALE_S3_ENDPOINT", "S3 endpoint URL; empty: AWS", Text(&C::s3_endpoint)},
      {"KAFSCALE_S3_PATH_STYLE", "path-style S3 URLs instead of virtual-hosted",
       Boolean(&C::s3_path_style),
       {"true iff endpoint set", [](C& c) { c.s3_path_style = !c.s3_endpoint.empty(); }}},
      {"KAFSCALE_S3_CREATE_BUCKET", "create the bucket at start-up when it does not exist",
       Boolean(&C::s3_create_bucket)},
      {"KAFSCALE_S3_SIGN_PAYLOAD",
       "put each upload's SHA-256 in its signature; false: UNSIGNED-PAYLOAD, for HTTPS",
       Boolean(&C::s3_sign_payload),
       {"false for https:// and AWS, true for http://",
        [](C& c) { c.s3_sign_payload = c.s3_endpoint.starts_with("http://"); }}},
      {"KAFSCALE_S3_NAMESPACE", "first component of every segment key", Text(&C::s3_namespace)},
      {"KAFSCALE_S3_READ_BUCKET", "read-replica bucket tried first by reads",
       Text(&C::s3_read_bucket)},
      {"KAFSCALE_S3_READ_REGION", "read-replica region", Text(&C::s3_read_region),
       {"KAFSCALE_S3_REGION", [](C& c) { c.s3_read_region = c.s3_region; }}},
      {"KAFSCALE_S3_READ_ENDPOINT", "read-replica endpoint URL", Text(&C::s3_read_endpoint),
       {"KAFSCALE_S3_ENDPOINT", [](C& c) { c.s3_read_endpoint = c.s3_endpoint; }}},
      {"AWS_ACCESS_KEY_ID", "S3 access key", Text(&C::aws_access_key_id), {}, Source::kEnvOnly,
       Visibility::kSecret},
      {"AWS_SECRET_ACCESS_KEY", "S3 secret key", Text(&C::aws_secret_access_key), {},
       Source::kEnvOnly, Visibility::kSecret},
      {"AWS_SESSION_TOKEN", "S3 session token", Text(&C::aws_session_token), {}, Source::kEnvOnly,
       Visibility::kSecret},
      {"KAFSCALE_S3_HEALTH_WINDOW_SECONDS", "sliding window of S3 request latency and errors",
       Integer(&C::s3_health_window_seconds, 5, 3600)},
      {"KAFSCALE_S3_DEGRADED_LATENCY_MS", "average S3 latency that makes the store degraded",
       Integer(&C::s3_degraded_latency_ms, 1, 600000)},
      {"KAFSCALE_S3_DEGRADED_ERROR_PERCENT", "S3 error rate that makes the store degraded",
       Integer(&C::s3_degraded_error_percent, 1, 100)},
      {"KAFSCALE_S3_UNAVAILABLE_LATENCY_MS", "average S3 latency that makes the store unavailable",
       Integer(&C::s3_unavailable_latency_ms, 1, 600000)},
      {"KAFSCALE_S3_UNAVAILABLE_ERROR_PERCENT", "S3 error rate that makes the store unavailable",
       Integer(&C::s3_unavailable_error_percent, 1, 100)},
      {"KAFSCALE_ETCD_ENDPOINTS", "etcd URLs; empty: embedded metadata store",
       EndpointList(&C::etcd_endpoints)},
      {"KAFSCALE_ETCD_USERNAME", "etcd user", Text(&C::etcd_username)},
      {"KAFSCALE_ETCD_PASSWORD", "etcd password", Text(&C::etcd_password), {}, Source::kFlagAndEnv,
       Visibility::kSecret},
      {"KAFSCALE_SEGMENT_BYTES", "buffered bytes that trigger a flush",
       Integer(&C::segment_bytes, kKiB, kGiB, kBytes)},
      {"KAFSCALE_COMPACTED_SEGMENT_BYTES", "size of the segments compaction writes",
       Integer(&C::compacted_segment_bytes, kKiB, kGiB, kBytes)},
      {"KAFSCALE_FLUSH_INTERVAL_MS", "longest time produced data waits before a flush",
       Integer(&C::flush_interval_ms, 1, 60000)},
      {"KAFSCALE_COMPACTION_INTERVAL_MS",
       "longest time committed data stays in write-ahead objects before it is rewritten into segments",
       Integer(&C::compaction_interval_ms, 0, 3600000)},
      {"KAFSCALE_CACHE_BYTES", "segment bytes cached in memory for reads (0: none)",
       Integer(&C::cache_bytes, 0, kTiB, kBytes)},
      {"KAFSCALE_MAX_BUFFER_BYTES", "produced bytes not yet durable beyond which produce requests wait",
       Integer(&C::max_buffer_bytes, kMiB, 64 * kGiB, kBytes)},
      {"KAFSCALE_READAHEAD_SEGMENTS", "segments fetched ahead of a sequential reader",
       Integer(&C::readahead_segments, 0, 64)},
      {"KAFSCALE_AUTO_CREATE_TOPICS", "create unknown topics on metadata/produce requests",
       Boolean(&C::auto_create_topics)},
      {"KAFSCALE_AUTO_CREATE_PARTITIONS", "partitions of an auto-created topic",
       Integer(&C::auto_create_partitions, 1, 10000)},
      {"KAFSCALE_MAX_REQUEST_BYTES", "largest Kafka request accepted",
       Integer(&C::max_request_bytes, kKiB, kGiB, kBytes)},
      {"KAFSCALE_LEASE_TTL_SECONDS", "lease TTL of broker and ownership records",
       Integer(&C::lease_ttl_seconds, 2, 300)},
      {"KAFSCALE_GROUP_INITIAL_REBALANCE_DELAY_MS", "wait for more members before an empty group's first rebalance",
       Integer(&C::group_initial_rebalance_delay_ms, 0, 300000)},
      {"KAFSCALE_LOG_LEVEL", "lowest level logged",
       Choice<LogLevel>(&C::log_level, {{"trace", LogLevel::kTrace},
                                        {"debug", LogLevel::kDebug},
                                        {"info", LogLevel::kInfo},
                                        {"warn", LogLevel::kWarn},
                                        {"error", LogLevel::kError}})},
      {"KAFSCALE_LOG_FORMAT", "log line format",
       Choice<LogFormat>(&C::log_format, {{"text", LogFormat::kText}, {"json", LogFormat::kJson}})},
  };
  return options;
}

std::string OptionLabel(const OptionSpec& option) {
  const std::string flag = FlagName(option);
  return flag.empty() ? std::string(option.env_var) : fmt::format("{} ({})", option.env_var, flag);
}

Status BadValue(const OptionSpec& option, std::string_view value) {
  return Status::InvalidArgument(fmt::format("{} = \"{}\": expected {}", OptionLabel(option), value,
                                             option.codec.expected));
}

bool IsHelpFlag(std::string_view arg) { return arg == "--help" || arg == "-h"; }

Status UnknownFlag(std::string_view flag) {
  return Status::InvalidArgument(fmt::format("unknown flag \"{}\"; --help lists the flags", flag));
}

// Collects flag values by option index; later flags overwrite earlier ones.
Status ParseFlags(int argc, char** argv, std::map<size_t, std::string>& flag_values) {
  const std::vector<OptionSpec>& options = Options();
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("-") && !arg.starts_with("--")) return UnknownFlag(arg);
    if (!arg.starts_with("--")) {
      return Status::InvalidArgument(
          fmt::format("unexpected argument \"{}\"; settings are given as --flag=value", arg));
    }
    const size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    const auto option = std::find_if(options.begin(), options.end(),
                                     [&](const OptionSpec& o) { return FlagName(o) == name; });
    if (option == options.end()) return UnknownFlag(name);
    std::string value;
    if (equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--")) {
      value = argv[++i];
    } else if (option->codec.bare_flag_means_true) {
      value = "true";
    } else {
      return Status::InvalidArgument(fmt::format("{}: missing value, expected {}",
                                                 OptionLabel(*option), option->codec.expected));
    }
    flag_values[static_cast<size_t>(option - options.begin())] = std::move(value);
  }
  return Status::OK();
}

std::string DefaultText(const OptionSpec& option) {
  if (option.derived.apply) return std::string(option.derived.help);
  const ValueCodec& codec = option.codec;
  const auto& show = codec.show_for_help ? codec.show_for_help : codec.show;
  const std::string value = show(BrokerConfig{});
  return value.empty() ? "(none)" : value;
}

}  // namespace

std::string HostPort::ToString() const {
  return host.find(':') == std::string::npos ? fmt::format("{}:{}", host, port)
                                             : fmt::format("[{}]:{}", host, port);
}

std::optional<HostPort> ParseHostPort(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view host_text = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  const std::optional<int64_t> port = ParseInteger(port_text);
  if (!port || *port < 0 || *port > 65535) return std::nullopt;
  HostPort result;
  result.port = static_cast<uint16_t>(*port);
  if (host_text.empty()) {
    result.host = "0.0.0.0";
    return result;
  }
  // An unbracketed IPv6 host is ambiguous ("::1:9092"), so only the bracketed
  // form carries a port.
  if (host_text.find(':') != std::string_view::npos && !host_text.starts_with('[')) {
    return std::nullopt;
  }
  std::optional<std::string> host = ParseHost(host_text);
  if (!host) return std::nullopt;
  result.host = std::move(*host);
  return result;
}

Result<BrokerConfig> ParseBrokerConfig(int argc, char** argv,
                                       const std::function<const char*(const char*)>& getenv_fn) {
  BrokerConfig config;
  if (std::any_of(argv + std::min(argc, 1), argv + argc, IsHelpFlag)) {
    config.help_requested = true;
    return config;
  }
  std::map<size_t, std::string> flag_values;
  if (Status status = ParseFlags(argc, argv, flag_values); !status.ok()) return status;

  const std::vector<OptionSpec>& options = Options();
  std::vector<bool> given(options.size(), false);
  for (size_t i = 0; i < options.size(); ++i) {
    const OptionSpec& option = options[i];
    std::optional<std::string> value;
    if (auto flag = flag_values.find(i); flag != flag_values.end()) {
      value = flag->second;
    } else if (const char* env = getenv_fn(std::string(option.env_var).c_str()); env && *env) {
      value = env;
    }
    if (!value) continue;
    if (!option.codec.store(*value, config)) return BadValue(option, *value);
    given[i] = true;
  }
  for (size_t i = 0; i < options.size(); ++i) {
    if (!given[i] && options[i].derived.apply) options[i].derived.apply(config);
  }
  return config;
}

std::string BrokerConfigHelp() {
  const std::vector<OptionSpec>& options = Options();
  struct Row {
    std::string flag, env, default_text, values, meaning;
  };
  std::vector<Row> rows = {{"FLAG", "ENVIRONMENT VARIABLE", "DEFAULT", "VALUES", "MEANING"}};
  for (const OptionSpec& option : options) {
    const std::string flag = FlagName(option);
    rows.push_back(Row{flag.empty() ? "(env only)" : flag, std::string(option.env_var),
                       DefaultText(option), option.codec.values, std::string(option.meaning)});
  }
  size_t flag_width = 0, env_width = 0, default_width = 0, values_width = 0;
  for (const Row& row : rows) {
    flag_width = std::max(flag_width, row.flag.size());
    env_width = std::max(env_width, row.env.size());
    default_width = std::max(default_width, row.default_text.size());
    values_width = std::max(values_width, row.values.size());
  }
  std::string help =
      "Usage: kafscale-broker [--flag=value | --flag value]... [--help]\n"
      "\n"
      "Each setting comes from its flag, else its environment variable, else its default.\n"
      "Booleans take true/false/1/0/yes/no (a boolean flag alone means true); sizes are\n"
      "plain byte counts; an empty environment variable counts as unset.\n"
      "\n";
  for (const Row& row : rows) {
    help += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", row.flag, flag_width, row.env,
                        env_width, row.default_text, default_width, row.values, values_width,
                        row.meaning);
  }
  return help;
}

std::string DescribeConfig(const BrokerConfig& config) {
  std::string line;
  for (const OptionSpec& option : Options()) {
    if (!line.empty()) line.push_back(' ');
    line += SettingName(option.env_var);
    line.push_back('=');
    const std::string value = option.codec.show(config);
    const bool masked = option.visibility == Visibility::kSecret && !value.empty();
    AppendLogfmtValue(line, masked ? "***" : value);
  }
  return line;
}

}  // namespace kafscale
