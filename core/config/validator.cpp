#include "core/config/validator.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "core/config/suggest.hpp"
#include "core/config/units.hpp"

namespace outbox::core {
namespace {

std::string found_kind(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "nothing";
  return "'" + node.Scalar() + "'";
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string with_suggestion(std::string message, std::string_view word,
                            const std::vector<std::string>& candidates) {
  if (auto hint = closest_match(word, candidates)) message += "; did you mean '" + *hint + "'?";
  return message;
}

std::optional<bool> parse_bool(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  return std::nullopt;
}

template <class T>
std::optional<T> parse_number(const std::string& text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// How a value of this type is quoted in a message: secrets never are.
std::string shown(const std::string& text, const FieldSpec& spec) {
  return spec.secret ? "the value" : "'" + text + "'";
}

std::string show_amount(double amount, FieldType type) {
  if (type == FieldType::duration) return format_duration_ms(static_cast<int64_t>(amount));
  if (type == FieldType::bytes) return format_bytes(static_cast<uint64_t>(amount));
  if (type == FieldType::number) {
    std::string s = std::to_string(amount);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  return std::to_string(static_cast<int64_t>(amount));
}

// The spec of one item of a list or map: a plain string, secret when its container is.
FieldSpec element_spec(const std::string& name, const FieldSpec& container) {
  FieldSpec element;
  element.name = name;
  element.secret = container.secret;
  return element;
}

}  // namespace

SourceMark mark_of(const YAML::Node& node) {
  YAML::Mark m = node.Mark();
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

void Validator::report(SourceMark mark, std::string path, std::string message) {
  issues_.push_back({mark, std::move(path), std::move(message)});
}

Value Validator::object(const YAML::Node& node, const std::vector<FieldSpec>& fields, const std::string& path,
                        SourceMark where, bool extensible) {
  Value out;
  out.type = FieldType::object;
  out.mark = node.IsDefined() && !node.IsNull() ? mark_of(node) : where;
  auto child_path = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
    report(mark_of(node), path, "expected a map, found " + found_kind(node));
    return out;
  }
  std::vector<std::string> known;
  for (const auto& f : fields) known.push_back(f.name);

  std::set<std::string> seen;
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.Scalar();
      if (!seen.insert(key).second) {
        report(mark_of(it->first), child_path(key), "duplicate key");
        continue;
      }
      if (std::find(known.begin(), known.end(), key) == known.end() && !extensible)
        report(mark_of(it->first), child_path(key), with_suggestion("unknown key", key, known));
    }
  }
  for (const auto& spec : fields) {
    YAML::Node child = node.IsMap() ? node[spec.name] : YAML::Node();
    if (child.IsDefined() && !child.IsNull()) {
      out.fields.emplace_back(spec.name, field(child, spec, child_path(spec.name)));
    } else if (spec.default_value) {
      out.fields.emplace_back(spec.name, typed_scalar(*spec.default_value, spec, child_path(spec.name), {}));
    } else if (spec.required) {
      report(child.IsDefined() ? mark_of(child) : out.mark, child_path(spec.name), "missing required key");
    } else if (spec.type == FieldType::object) {
      out.fields.emplace_back(spec.name,
                              object(YAML::Node(), spec.children, child_path(spec.name), out.mark));
    }
  }
  return out;
}

Value Validator::field(const YAML::Node& node, const FieldSpec& spec, const std::string& path) {
  SourceMark mark = mark_of(node);
  switch (spec.type) {
    case FieldType::object:
      return object(node, spec.children, path, mark, spec.extensible);
    case FieldType::object_list:
    case FieldType::string_list: {
      Value out;
      out.type = spec.type;
      out.mark = mark;
      if (!node.IsSequence()) {
        report(mark, path, "expected a list, found " + found_kind(node));
        return out;
      }
      for (size_t i = 0; i < node.size(); ++i) {
        YAML::Node item = node[i];
        std::string item_path = path + "[" + std::to_string(i) + "]";
        if (spec.type == FieldType::object_list) {
          // Name list elements after their `name` key when they have one: transports[events].
          if (item.IsMap() && item["name"] && item["name"].IsScalar())
            item_path = path + "[" + item["name"].Scalar() + "]";
          out.items.push_back(object(item, spec.children, item_path, mark_of(item), spec.extensible));
        } else if (item.IsScalar()) {
          out.items.push_back(scalar(item.Scalar(), element_spec(spec.name, spec), item_path, mark_of(item)));
        } else {
          report(mark_of(item), item_path, "expected a string, found " + found_kind(item));
        }
      }
      check_range(out, spec, path, static_cast<double>(out.items.size()));
      return out;
    }
    case FieldType::string_map: {
      Value out;
      out.type = spec.type;
      out.mark = mark;
      if (!node.IsMap()) {
        report(mark, path, "expected a map, found " + found_kind(node));
        return out;
      }
      for (auto it = node.begin(); it != node.end(); ++it) {
        std::string key = it->first.Scalar();
        std::string entry_path = path + "." + key;
        if (!it->second.IsScalar()) {
          report(mark_of(it->second), entry_path, "expected a single value, found " + found_kind(it->second));
          continue;
        }
        out.fields.emplace_back(
            key, scalar(it->second.Scalar(), element_spec(key, spec), entry_path, mark_of(it->second)));
      }
      return out;
    }
    default:
      if (!node.IsScalar()) {
        Value out;
        out.mark = mark;
        report(mark, path, "expected " + std::string(type_name(spec.type)) + ", found " + found_kind(node));
        return out;
      }
      return scalar(node.Scalar(), spec, path, mark);
  }
}

Value Validator::scalar(const std::string& raw, const FieldSpec& spec, const std::string& path,
                        SourceMark mark) {
  try {
    return typed_scalar(expand_env(raw, env_), spec, path, mark);
  } catch (const EnvExpandError& e) {
    report(mark, path, e.what());
    Value out;
    out.mark = mark;
    return out;
  }
}

Value Validator::typed_scalar(std::string text, const FieldSpec& spec, const std::string& path,
                              SourceMark mark) {
  Value v;
  v.type = spec.type;
  v.mark = mark;
  v.secret = spec.secret;
  auto bad = [&](const std::string& expected) {
    report(mark, path, shown(text, spec) + " is not " + expected);
  };
  switch (spec.type) {
    case FieldType::integer:
      if (auto n = parse_number<int64_t>(text)) {
        v.integer = *n;
        v.number = static_cast<double>(*n);
        check_range(v, spec, path, v.number);
      } else {
        bad("an integer");
      }
      break;
    case FieldType::number:
      if (auto n = parse_number<double>(text); n && std::isfinite(*n)) {
        v.number = *n;
        check_range(v, spec, path, v.number);
      } else {
        bad("a number");
      }
      break;
    case FieldType::boolean:
      if (auto b = parse_bool(text))
        v.integer = *b ? 1 : 0;
      else
        bad("a boolean (true or false)");
      break;
    case FieldType::duration:
      if (auto ms = parse_duration_ms(text)) {
        v.integer = *ms;
        check_range(v, spec, path, static_cast<double>(*ms));
      } else {
        bad("a duration (a number with a unit: 500ms, 30s, 5m, 1h, 7d)");
      }
      break;
    case FieldType::bytes:
      if (auto b = parse_bytes(text)) {
        v.integer = *b;
        check_range(v, spec, path, static_cast<double>(*b));
      } else {
        bad("a byte size (e.g. 512, 64KiB, 1MB)");
      }
      break;
    case FieldType::enumeration:
      if (std::find(spec.enum_values.begin(), spec.enum_values.end(), text) == spec.enum_values.end())
        report(mark, path,
               with_suggestion(shown(text, spec) + " is not one of " + join(spec.enum_values), text,
                               spec.enum_values));
      break;
    case FieldType::string:
      if (spec.path && !text.empty()) text = file_path(std::move(text), path, mark);
      break;
    default:
      break;
  }
  v.text = std::move(text);
  return v;
}

std::string Validator::file_path(std::string text, const std::string& path, SourceMark mark) {
  std::filesystem::path file = text;
  if (file.is_relative()) file = (base_ / file).lexically_normal();
  std::error_code ec;
  if (std::filesystem::path folder = file.parent_path();
      !folder.empty() && !std::filesystem::exists(folder, ec))
    missing_folders_.push_back({mark, path, folder});
  return file.string();
}

void Validator::check_range(const Value& v, const FieldSpec& spec, const std::string& path, double amount) {
  bool is_list = spec.type == FieldType::string_list || spec.type == FieldType::object_list;
  auto what = [&] {
    return is_list ? std::to_string(v.items.size()) + " items"
                   : (spec.secret ? "the value" : show_amount(amount, spec.type));
  };
  if (spec.min && amount < *spec.min)
    report(
        v.mark, path,
        what() + " is below the minimum " + show_amount(*spec.min, is_list ? FieldType::integer : spec.type));
  if (spec.max && amount > *spec.max)
    report(
        v.mark, path,
        what() + " is above the maximum " + show_amount(*spec.max, is_list ? FieldType::integer : spec.type));
}

}  // namespace outbox::core
