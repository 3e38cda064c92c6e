#include "apps/cli/http_get.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "client/cluster_client.h"
#include "client/tcp_socket.h"

namespace kafscale::cli {

namespace {

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

Result<HttpReply> HttpGet(const std::string& url, std::chrono::milliseconds timeout) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return Status::InvalidArgument("URL must start with http://: " + url);
  const std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  Result<std::vector<client::HostPort>> address = client::ParseBootstrapServers(authority);
  if (!address.ok() || address->size() != 1) return Status::InvalidArgument("URL needs host:port: " + url);
  const client::HostPort& server = address->front();

  const auto deadline = client::Clock::now() + timeout;
  Result<std::unique_ptr<client::TcpSocket>> socket = client::TcpSocket::Connect(server.host, server.port, deadline);
  if (!socket.ok()) return socket.status();
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + authority +
                              "\r\nConnection: close\r\nAccept: application/json\r\n\r\n";
  if (Status written = (*socket)->WriteAll(request, deadline); !written.ok()) return written;

  std::string reply;
  char buffer[8192];
  size_t header_end = std::string::npos;
  std::optional<size_t> content_length;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = reply.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const std::string headers = Lowercase(reply.substr(0, header_end));
        const size_t field = headers.find("\r\ncontent-length:");
        if (field != std::string::npos) {
          size_t pos = field + 17;
          while (pos < headers.size() && headers[pos] == ' ') ++pos;
          size_t length = 0;
          const auto [end, error] = std::from_chars(headers.data() + pos, headers.data() + headers.size(), length);
          if (error == std::errc()) content_length = length;
        }
      }
    }
    if (content_length && header_end != std::string::npos && reply.size() >= header_end + 4 + *content_length) break;
    Result<size_t> got = (*socket)->ReadSome(buffer, sizeof(buffer), deadline);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    reply.append(buffer, *got);
  }
  if (header_end == std::string::npos || reply.rfind("HTTP/1.", 0) != 0 || reply.size() < 12) {
    return Status::Corruption("not an HTTP reply from " + url);
  }
  HttpReply parsed;
  parsed.status = std::atoi(reply.c_str() + 9);
  parsed.body = reply.substr(header_end + 4, content_length.value_or(std::string::npos));
  return parsed;
}

}  // namespace kafscale::cli
