#include "message_headers.hpp"

#include <array>
#include <ctime>
#include <string_view>

namespace outbox::plugins::kafka {
namespace {

void add(rd_kafka_headers_t* headers, const char* name, outbox_str value) {
  rd_kafka_header_add(headers, name, -1, value.ptr, static_cast<ssize_t>(value.len));
}

void put_digits(char* at, unsigned value, int width) noexcept {
  for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

size_t format_rfc3339_ms(int64_t unix_ms, std::span<char, 32> out) noexcept {
  int64_t seconds = unix_ms / 1000;
  int64_t millis = unix_ms % 1000;
  if (millis < 0) {  // before 1970: floor, not truncation
    millis += 1000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char* p = out.data();
  put_digits(p, static_cast<unsigned>(tm.tm_year + 1900), 4);
  p[4] = '-';
  put_digits(p + 5, static_cast<unsigned>(tm.tm_mon + 1), 2);
  p[7] = '-';
  put_digits(p + 8, static_cast<unsigned>(tm.tm_mday), 2);
  p[10] = 'T';
  put_digits(p + 11, static_cast<unsigned>(tm.tm_hour), 2);
  p[13] = ':';
  put_digits(p + 14, static_cast<unsigned>(tm.tm_min), 2);
  p[16] = ':';
  put_digits(p + 17, static_cast<unsigned>(tm.tm_sec), 2);
  p[19] = '.';
  put_digits(p + 20, static_cast<unsigned>(millis), 3);
  p[23] = 'Z';
  p[24] = '\0';
  return 24;
}

rd_kafka_headers_t* make_headers(const outbox_event& event) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(5 + event.header_count);
  add(headers, "id", event.id);
  add(headers, "event_type", event.event_type);
  if (event.idempotency_token.len) add(headers, "idempotency_token", event.idempotency_token);
  std::array<char, 32> created{};
  const size_t len = format_rfc3339_ms(event.created_at_ms, std::span<char, 32>(created));
  rd_kafka_header_add(headers, "created_at", -1, created.data(), static_cast<ssize_t>(len));
  constexpr std::string_view kDefaultContentType = "application/json";
  if (event.content_type.len &&
      std::string_view(event.content_type.ptr, event.content_type.len) != kDefaultContentType)
    add(headers, "content_type", event.content_type);
  for (size_t i = 0; i < event.header_count; ++i) {
    const outbox_header& h = event.headers[i];
    rd_kafka_header_add(headers, h.name.ptr, static_cast<ssize_t>(h.name.len), h.value.ptr,
                        static_cast<ssize_t>(h.value.len));
  }
  return headers;
}

}  // namespace outbox::plugins::kafka
