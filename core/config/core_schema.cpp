#include "core/config/core_schema.hpp"

namespace outbox::core {
namespace {

FieldSpec field(std::string name, FieldType type, std::string description,
                std::optional<std::string> def = {}) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = type;
  f.description = std::move(description);
  f.default_value = std::move(def);
  return f;
}

FieldSpec required(FieldSpec f) {
  f.required = true;
  return f;
}

FieldSpec range(FieldSpec f, std::optional<double> min, std::optional<double> max = {}) {
  f.min = min;
  f.max = max;
  return f;
}

FieldSpec one_of(FieldSpec f, std::vector<std::string> values) {
  f.enum_values = std::move(values);
  return f;
}

FieldSpec object(std::string name, std::string description, std::vector<FieldSpec> children) {
  FieldSpec f = field(std::move(name), FieldType::object, std::move(description));
  f.children = std::move(children);
  return f;
}

FieldSpec object_list(std::string name, std::string description, std::vector<FieldSpec> children,
                      bool extensible) {
  FieldSpec f = field(std::move(name), FieldType::object_list, std::move(description));
  f.children = std::move(children);
  f.extensible = extensible;
  f.min = 1;
  return f;
}

}  // namespace

const std::vector<FieldSpec>& storage_core_fields() {
  static const std::vector<FieldSpec> fields{
      required(field("type", FieldType::string, "The storage plugin: outbox-storage-<type>.so")),
      one_of(field("migrate", FieldType::enumeration, "Create or upgrade the schema at start-up", "auto"),
             {"auto", "off"}),
  };
  return fields;
}

const std::vector<FieldSpec>& transport_core_fields() {
  static const std::vector<FieldSpec> fields{
      required(field("name", FieldType::string, "The instance name that routes refer to")),
      required(field("type", FieldType::string, "The transport plugin: outbox-transport-<type>.so")),
  };
  return fields;
}

const std::vector<FieldSpec>& core_schema() {
  static const std::vector<FieldSpec> schema = [] {
    FieldSpec storage = object("storage", "Where the outbox lives", storage_core_fields());
    storage.required = true;
    storage.extensible = true;
    return std::vector<FieldSpec>{
        object("plugins", "Where plugins are found",
               {field("paths", FieldType::string_list,
                      "Plugin directories, searched in order (default: ../lib/outboxd/plugins next to the "
                      "binary)")}),
        storage,
        object(
            "relay", "The relay engine",
            {
                range(field("batch_size", FieldType::integer, "Events claimed per batch", "500"), 1, 100000),
                range(field("max_in_flight", FieldType::integer,
                            "Events published and not yet settled, at most", "20000"),
                      1, 10000000),
                range(field("lease", FieldType::duration,
                            "How long a claim is held before others may take it", "30s"),
                      100),
                range(field("poll_interval", FieldType::duration, "Longest sleep between claims when idle",
                            "1s"),
                      1),
                range(field("drain_timeout", FieldType::duration,
                            "On shutdown, how long in-flight messages may take to finish", "10s"),
                      0),
                object("retry", "Retries of failed publishes",
                       {
                           range(field("max_attempts", FieldType::integer,
                                       "Attempts before an event becomes a dead letter", "12"),
                                 1, 1000),
                           range(field("initial_backoff", FieldType::duration,
                                       "Backoff after the first failure", "500ms"),
                                 0),
                           range(field("max_backoff", FieldType::duration, "Backoff cap", "5m"), 0),
                           range(field("jitter", FieldType::number, "Random spread of each backoff, 0..1",
                                       "0.2"),
                                 0, 1),
                       }),
                one_of(field("on_permanent_error", FieldType::enumeration,
                             "What a PERMANENT publish failure does", "dead_letter"),
                       {"dead_letter", "halt"}),
            }),
        required(object_list("transports", "Named transport instances", transport_core_fields(), true)),
        required(object_list(
            "routes", "Ordered routes; the first whose match globs the event type wins",
            {
                required(field("match", FieldType::string, "Glob on event_type (* and ?)")),
                required(field("transport", FieldType::string, "A transports[].name")),
                field("destination", FieldType::string,
                      "Topic template: {event_type}, {partition_key}, {header.NAME}", "{event_type}"),
            },
            false)),
        object("log", "Logging",
               {
                   one_of(field("level", FieldType::enumeration, "Lowest level written", "info"),
                          {"trace", "debug", "info", "warn", "error", "off"}),
                   one_of(field("format", FieldType::enumeration, "Line format", "text"), {"text", "json"}),
               }),
    };
  }();
  return schema;
}

}  // namespace outbox::core
