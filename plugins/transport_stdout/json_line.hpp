// Formats one message as a JSON line, without building a JSON document: the payload of a JSON
// event is validated and copied as it is.
#pragma once

#include <outbox/plugin_abi.h>

#include <string>

namespace outbox::plugins::stdout_transport {

// Appends the line (with its trailing '\n') to `out`. Returns false, with the reason in `error`,
// when a text field (id, type, key, content type, destination, a header) is not valid UTF-8, or
// when the content type says JSON and the payload is not valid JSON.
bool append_json_line(const outbox_message& message, std::string& out, std::string& error);

}  // namespace outbox::plugins::stdout_transport
