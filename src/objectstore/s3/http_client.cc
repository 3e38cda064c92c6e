#include "objectstore/s3/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <span>
#include <strings.h>

namespace kafscale::s3 {

namespace {

// What the curl callbacks of one transfer write into.
struct Transfer {
  HttpResponse* response;
  std::string* sink;

  bool IsSuccess() const { return response->status >= 200 && response->status <= 299; }
};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

size_t OnHeaderLine(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new status line (after "100 Continue", say) starts a new answer.
    transfer->response->headers.clear();
    size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      std::from_chars(line.data() + space + 1, line.data() + line.size(), transfer->response->status);
    }
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(Trim(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = Trim(line.substr(colon + 1));
  if (name == "content-length" && transfer->sink != nullptr && transfer->IsSuccess()) {
    uint64_t length = 0;
    std::from_chars(value.data(), value.data() + value.size(), length);
    constexpr uint64_t kMaxReserve = uint64_t{1} << 30;  // a bogus length must not exhaust memory
    transfer->sink->reserve(transfer->sink->size() + std::min(length, kMaxReserve));
  }
  transfer->response->headers.emplace_back(std::move(name), std::string(value));
  return size * count;
}

size_t OnBodyBytes(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string* target = transfer->sink != nullptr && transfer->IsSuccess() ? transfer->sink : &transfer->response->body;
  target->append(data, size * count);
  transfer->response->bytes_received += size * count;
  return size * count;
}

// curl callbacks over a request body in pieces: it reads them in order and
// rewinds when it sends the request again (on a kept-alive connection the
// server closed).
size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  return static_cast<ObjectBodyReader*>(user)->Read(buffer, size * count);
}

int SeekBody(void* user, curl_off_t position, int origin) {
  if (origin != SEEK_SET || position < 0) return CURL_SEEKFUNC_CANTSEEK;
  return static_cast<ObjectBodyReader*>(user)->Seek(static_cast<uint64_t>(position)) ? CURL_SEEKFUNC_OK
                                                                                    : CURL_SEEKFUNC_FAIL;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

std::string HttpResponse::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return "";
}

Status CurlCodeToStatus(int curl_code, std::string_view detail) {
  std::string message = "HTTP transport: " + std::string(detail);
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return Status::Unavailable(message);
    case CURLE_OPERATION_TIMEDOUT:
      return Status::Timeout(message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::InvalidArgument(message);
    default:
      return Status::IOError(message);
  }
}

// DNS answers and TLS sessions, shared by all handles of one client.
class HttpClient::Share : NonCopyable {
 public:
  Share() : share_(curl_share_init()) {
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &Share::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &Share::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~Share() { curl_share_cleanup(share_); }
  CURLSH* get() const { return share_; }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Share*>(self)->mutexes_[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* self) { static_cast<Share*>(self)->mutexes_[data].unlock(); }

  CURLSH* share_;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;
};

void HttpClient::HandleDeleter::operator()(void* handle) const { curl_easy_cleanup(handle); }

HttpClient::HttpClient(const HttpClientOptions& options) : options_(options) {
  static std::once_flag curl_initialised;
  std::call_once(curl_initialised, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  share_ = std::make_unique<Share>();
}

HttpClient::~HttpClient() {
  // Handles first: a share cannot be freed while handles use it.
  idle_handles_.clear();
  share_.reset();
}

HttpClient::Handle HttpClient::Acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_handles_.empty()) {
      Handle handle = std::move(idle_handles_.back());
      idle_handles_.pop_back();
      return handle;
    }
  }
  Handle handle(curl_easy_init());
  if (handle != nullptr) curl_easy_setopt(handle.get(), CURLOPT_SHARE, share_->get());
  return handle;
}

void HttpClient::Release(Handle handle) {
  std::lock_guard lock(pool_mutex_);
  idle_handles_.push_back(std::move(handle));
}

Status HttpClient::Perform(const HttpRequest& request, HttpResponse* response) {
  *response = HttpResponse();
  Handle handle = Acquire();
  if (handle == nullptr) return Status::IOError("HTTP transport: curl_easy_init failed");
  CURL* curl = handle.get();
  // Reset clears the previous request's options but keeps the handle's live
  // connections and its share.
  curl_easy_reset(curl);

  bool sends_body = request.method == "PUT" || request.method == "POST";
  curl_slist* raw_headers = nullptr;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    // "Name;" is curl's spelling of a header with an empty value.
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    raw_headers = curl_slist_append(raw_headers, line.c_str());
    if (name.size() == 12 && strncasecmp(name.c_str(), "content-type", 12) == 0) has_content_type = true;
  }
  // An empty "Name:" removes a header curl would add on its own: no
  // "Expect: 100-continue" round trip, and no form content type on bodies.
  raw_headers = curl_slist_append(raw_headers, "Expect:");
  if (sends_body && !has_content_type) raw_headers = curl_slist_append(raw_headers, "Content-Type:");
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);

  Transfer transfer{response, request.response_sink};
  char error_buffer[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required when many threads use curl
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // the signed path must be sent unchanged
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "kafscale");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeaderLine);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBodyBytes);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  std::string method(request.method);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  ObjectBodyReader reader(request.body);
  if (sends_body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    const std::span<const std::string_view> pieces = request.body.pieces();
    if (pieces.size() == 1) {
      // POSTFIELDS sends the caller's buffer without copying it, for any method.
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, pieces[0].empty() ? "" : pieces[0].data());
    } else {
      // A body in pieces is read out of them as curl sends.
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadBody);
      curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
      curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &SeekBody);
      curl_easy_setopt(curl, CURLOPT_SEEKDATA, &reader);
    }
  }

  CURLcode code = curl_easy_perform(curl);
  // Unset before `headers` and `error_buffer` go out of scope.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
  Release(std::move(handle));
  if (code != CURLE_OK) {
    return CurlCodeToStatus(code, std::string(error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code)) +
                                      " (" + std::string(request.method) + " " + request.url + ")");
  }
  return Status::OK();
}

}  // namespace kafscale::s3
