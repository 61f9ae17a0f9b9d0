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
        if (!unicode_escape()) return false;
      } else if (!std::strchr("\"\\/bfnrt", e) || e == '\0') {
        return false;
      }
    }
    return false;
  }

  // The four hex digits after "\u" as a UTF-16 code unit, or -1.
  int hex4() {
    int unit = 0;
    for (int i = 0; i < 4; ++i, ++p_) {
      if (p_ == end_) return -1;
      const char c = *p_;
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
      if (digit < 0) return -1;
      unit = unit * 16 + digit;
    }
    return unit;
  }

  // After "\u": a code unit, and a surrogate only as a high-low pair. RFC 8259's grammar lets a
  // lone surrogate through but calls its meaning unpredictable; common parsers (nlohmann's among
  // them) refuse it, so a line that has one would break its consumers.
  bool unicode_escape() {
    const int unit = hex4();
    if (unit < 0xD800 || unit > 0xDFFF) return unit >= 0;
    if (unit > 0xDBFF || end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
    p_ += 2;
    const int low = hex4();
    return low >= 0xDC00 && low <= 0xDFFF;
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
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // RFC 3629 §4: the lead byte fixes the length and the range of the second byte, which is
    // what refuses overlong forms (C0, C1, E0 80-9F, F0 80-8F), surrogates (ED A0-BF) and code
    // points above U+10FFFF (F4 90-BF, F5-FF); every later byte is 80-BF.
    size_t extra = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      low = c == 0xE0 ? 0xA0 : 0x80;
      high = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      low = c == 0xF0 ? 0x90 : 0x80;
      high = c == 0xF4 ? 0x8F : 0xBF;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < low || second > high) return false;
    for (size_t k = 2; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

bool is_valid_json(std::string_view text) noexcept {
  return is_valid_utf8(text) && JsonChecker(text).document();
}

}  // namespace outbox::plugins::stdout_transport
