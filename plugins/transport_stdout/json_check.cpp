#include "json_check.hpp"

#include <cstdint>
#include <cstring>

namespace outbox::plugins::stdout_transport {
namespace {

class JsonChecker {
 public:
  explicit JsonChecker(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool document() {
    space();
    if (!value()) return false;
    space();
    return p_ == end_;
  }

 private:
  bool at(char c) const { return p_ < end_ && *p_ == c; }
  bool digit() const { return p_ < end_ && *p_ >= '0' && *p_ <= '9'; }
  void digits() {
    while (digit()) ++p_;
  }
  void space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool value() {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return container('}', true);
      case '[':
        return container(']', false);
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  // An object (members "key": value) or an array, after its opening bracket.
  bool container(char close, bool object) {
    if (++depth_ > kMaxDepth) return false;
    ++p_;
    space();
    if (at(close)) {
      ++p_;
      --depth_;
      return true;
    }
    for (;;) {
      space();
      if (object) {
        if (!at('"') || !string()) return false;
        space();
        if (!at(':')) return false;
        ++p_;
        space();
      }
      if (!value()) return false;
      space();
      if (at(',')) {
        ++p_;
      } else if (at(close)) {
        ++p_;
        --depth_;
        return true;
      } else {
        return false;
      }
    }
  }

  bool string() {
    ++p_;
    while (p_ < end_) {
      auto c = static_cast<unsigned char>(*p_++);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (p_ == end_) return false;
      char e = *p_++;
      if (e == 'u') {
        for (int i = 0; i < 4; ++i, ++p_)
          if (p_ == end_ || !std::strchr("0123456789abcdefABCDEF", *p_) || *p_ == '\0') return false;
      } else if (!std::strchr("\"\\/bfnrt", e) || e == '\0') {
        return false;
      }
    }
    return false;
  }

  bool number() {
    if (at('-')) ++p_;
    if (at('0')) {
      ++p_;
    } else if (digit()) {
      digits();
    } else {
      return false;
    }
    if (at('.')) {
      ++p_;
      if (!digit()) return false;
      digits();
    }
    if (at('e') || at('E')) {
      ++p_;
      if (at('+') || at('-')) ++p_;
      if (!digit()) return false;
      digits();
    }
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  const char* p_;
  const char* end_;
  int depth_ = 0;
};

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  for (size_t i = 0; i < s.size();) {
    // Payloads are mostly ASCII: skip eight bytes at a time while no high bit is set.
    uint64_t word;
    while (s.size() - i >= 8 && (std::memcpy(&word, s.data() + i, 8), (word & 0x8080808080808080ull) == 0))
      i += 8;
    if (i == s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    size_t extra = c < 0x80             ? 0
                   : (c & 0xE0) == 0xC0 ? 1
                   : (c & 0xF0) == 0xE0 ? 2
                   : (c & 0xF8) == 0xF0 ? 3
                                        : 4;
    if (extra > 3 || s.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

bool is_valid_json(std::string_view text) noexcept {
  return is_valid_utf8(text) && JsonChecker(text).document();
}

}  // namespace outbox::plugins::stdout_transport
