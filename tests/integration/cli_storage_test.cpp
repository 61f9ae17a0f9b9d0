// The storage commands of the real outboxd binary (enqueue, status, dead list|requeue|purge, keys
// blocked, key retry|skip) on the real SQLite storage plugin, in a scratch directory. Dead letters
// are made the way they are made in production: `outboxd run` relays events whose payload the
// stdout transport refuses (not JSON under a JSON content type), which is a PERMANENT failure;
// with relay.ordering: key and on_dead_letter: block such a letter holds its key.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

const std::string kUuidV7 = "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class CliStorage : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "outboxd-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    write_config("config.yaml", (dir_ / "outbox.db").string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A valid config with the SQLite storage at `db` (or the given storage block); the stdout
  // transport appends to a file; `more` is added at the end.
  fs::path write_config(const std::string& name, const std::string& db, const std::string& more = "",
                        const std::string& storage = "") {
    const fs::path file = dir_ / name;
    write_file(file, "plugins: { paths: [\"" OUTBOXD_TEST_FIXTURE_DIR "\", \"" OUTBOXD_TEST_PLUGIN_DIR
                     "\"] }\n"
                     "storage:\n" +
                         (storage.empty() ? "  type: sqlite\n  path: " + db + "\n" : storage) +
                         "transports:\n"
                         "  - name: console\n"
                         "    type: stdout\n"
                         "    mode: file\n"
                         "    path: " +
                         (dir_ / "published.jsonl").string() +
                         "\n"
                         "routes:\n"
                         "  - match: \"*\"\n"
                         "    transport: console\n" +
                         more);
    return file;
  }

  // A dead letter holding key k1 (relay.ordering: key, on_dead_letter: block), and a later event
  // of k1 waiting behind it; returns their ids.
  std::pair<std::string, std::string> block_key_k1() {
    write_config("config.yaml", (dir_ / "outbox.db").string(),
                 "relay: { ordering: key, on_dead_letter: block }\n");
    const std::string dead =
        first_line(outboxd({"enqueue"}, {"--type", "broken", "--key", "k1", "--payload", "not json"}).out);
    const std::string waiting = first_line(outboxd({"enqueue"}, {"--type", "fine", "--key", "k1"}).out);
    relay_until_dead(1);
    return {dead, waiting};
  }

  // `outboxd run --until-idle` to its end.
  void relay_until_idle() {
    const Result r = outboxd({"run"}, {"--until-idle"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Starts `outboxd args...` with stdout and stderr going to files; returns its pid.
  pid_t spawn(std::vector<std::string> args, const std::string& tag) {
    args.insert(args.begin(), OUTBOXD_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, (dir_ / (tag + ".out")).c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&files, 2, (dir_ / (tag + ".err")).c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    EXPECT_EQ(rc, 0) << "cannot start " << OUTBOXD_BINARY;
    return pid;
  }

  Result finish(pid_t pid, const std::string& tag) {
    int status = 0;
    waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(dir_ / (tag + ".out")),
            read_file(dir_ / (tag + ".err"))};
  }

  // Runs `outboxd <command> -c config.yaml <args...>` to completion.
  Result outboxd(std::vector<std::string> command, const std::vector<std::string>& args = {}) {
    command.insert(command.end(), {"-c", (dir_ / "config.yaml").string()});
    command.insert(command.end(), args.begin(), args.end());
    return finish(spawn(command, "cli"), "cli");
  }

  Result enqueue_file(const std::string& name, const std::string& lines) {
    write_file(dir_ / name, lines);
    return outboxd({"enqueue"}, {"--file", (dir_ / name).string()});
  }

  std::string status_json() { return outboxd({"status"}, {"--json"}).out; }

  // Runs the relay until the storage holds `dead` dead letters, then stops it with SIGTERM.
  void relay_until_dead(int dead) {
    const pid_t relay = spawn({"run", "-c", (dir_ / "config.yaml").string()}, "relay");
    const std::string wanted = "\"dead\":" + std::to_string(dead) + ",";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (status_json().find(wanted) == std::string::npos && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    kill(relay, SIGTERM);
    const Result result = finish(relay, "relay");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_THAT(status_json(), HasSubstr(wanted));
  }

  fs::path dir_;
};

TEST_F(CliStorage, EnqueueOnAFreshDatabasePrintsTheNewUuidV7) {
  const Result r = outboxd({"enqueue"}, {"--type", "order.created", "--payload", R"({"id":1})", "--key",
                                         "o-1", "--header", "traceparent=00-abc-def-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, MatchesRegex(kUuidV7 + "\n"));
}

TEST_F(CliStorage, EnqueueKeepsTheIdItIsGiven) {
  const std::string id = "01890a5d-ac96-774b-bcce-b302099a8057";
  const Result r = outboxd({"enqueue"}, {"--type", "order.created", "--id", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, id + "\n");
}

TEST_F(CliStorage, StatusShowsTheEnqueuedEventAsPending) {
  ASSERT_EQ(outboxd({"enqueue"}, {"--type", "order.created"}).exit_code, 0);
  const Result r = outboxd({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pending: 1\n"));
  EXPECT_THAT(r.out, HasSubstr("in flight: 0\n"));
  EXPECT_THAT(r.out, HasSubstr("dead: 0\n"));
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*oldest pending: [0-9]+\\.[0-9]s\n"));
  EXPECT_THAT(status_json(), HasSubstr(R"({"pending":1,"in_flight":0,"dead":0,"oldest_pending_age_ms":)"));
}

TEST_F(CliStorage, EnqueueFileWritesEveryLine) {
  const Result r =
      enqueue_file("events.jsonl",
                   "{\"event_type\": \"a\", \"payload\": {\"n\": [1, 2]}}\n"
                   "\n"
                   "{\"event_type\": \"b\", \"payload_text\": \"plain\", \"content_type\": \"text/plain\"}\n"
                   "{\"event_type\": \"c\", \"partition_key\": \"k\", \"headers\": {\"h\": \"v\"},"
                   " \"idempotency_token\": \"t-1\", \"id\": \"01890a5d-ac96-774b-bcce-b302099a8057\"}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "enqueued 3 events\n");
  EXPECT_THAT(status_json(), HasSubstr(R"("pending":3,)"));
}

TEST_F(CliStorage, EnqueueFileWithABadLineNamesItAndWritesNothing) {
  ASSERT_EQ(outboxd({"enqueue"}, {"--type", "before"}).exit_code, 0);  // creates the schema
  const Result r = enqueue_file("events.jsonl",
                                "{\"event_type\": \"a\"}\n"
                                "{\"event_type\": \"b\",\n"
                                "{\"payload\": 1}\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("events.jsonl:2:"));
  EXPECT_THAT(r.err, HasSubstr("not valid JSON"));
  EXPECT_THAT(r.err, HasSubstr("events.jsonl:3: event_type is required"));
  EXPECT_THAT(r.err, HasSubstr("nothing was enqueued"));
  EXPECT_THAT(status_json(), HasSubstr(R"("pending":1,)"));
}

// Found by fuzz/event_lines_fuzzer: a number too large for a double ended the command with an
// uncaught exception.
TEST_F(CliStorage, EnqueueFileWithANumberTooLargeForADoubleNamesTheLineAndWritesNothing) {
  ASSERT_EQ(outboxd({"enqueue"}, {"--type", "before"}).exit_code, 0);
  const Result r = enqueue_file("events.jsonl",
                                "{\"event_type\": \"a\"}\n"
                                "{\"event_type\": \"b\", \"payload\": 1e999}\n");
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_THAT(r.err, HasSubstr("events.jsonl:2: not usable JSON: number overflow"));
  EXPECT_THAT(status_json(), HasSubstr(R"("pending":1,)"));
}

TEST_F(CliStorage, DuplicateIdempotencyTokenIsRefusedWithExitCode1) {
  ASSERT_EQ(outboxd({"enqueue"}, {"--type", "a", "--token", "once"}).exit_code, 0);
  const Result again = outboxd({"enqueue"}, {"--type", "a", "--token", "once"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, MatchesRegex("outboxd: event " + kUuidV7 +
                                      " with idempotency token 'once' refused by the storage .*\n"));
  EXPECT_EQ(again.out, "");
}

TEST_F(CliStorage, EnqueueFileWritesTheOthersWhenTheStorageRefusesOne) {
  const Result r = enqueue_file("events.jsonl",
                                "{\"event_type\": \"a\", \"idempotency_token\": \"once\"}\n"
                                "{\"event_type\": \"b\", \"idempotency_token\": \"once\"}\n"
                                "{\"event_type\": \"c\"}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "enqueued 2 of 3 events\n");
  EXPECT_THAT(r.err, MatchesRegex(".*events.jsonl:2: event " + kUuidV7 +
                                  " with idempotency token 'once' refused by the storage .*\n"));
  EXPECT_THAT(status_json(), HasSubstr(R"("pending":2,)"));
}

TEST_F(CliStorage, EnqueueFileLongerThanOneStorageCallWritesEveryEvent) {
  std::string lines;
  for (int i = 0; i < 2500; ++i)
    lines += "{\"event_type\": \"bulk\", \"payload\": " + std::to_string(i) + "}\n";
  const Result r = enqueue_file("bulk.jsonl", lines);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "enqueued 2500 events\n");
  EXPECT_THAT(status_json(), HasSubstr(R"("pending":2500,)"));
}

TEST_F(CliStorage, DeadListOfAnEmptyStoreIsTheHeaderOnly) {
  ASSERT_EQ(outboxd({"enqueue"}, {"--type", "a"}).exit_code, 0);
  const Result table = outboxd({"dead", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, MatchesRegex("ID +EVENT TYPE +ATTEMPTS +DIED AT +LAST ERROR\n"));
  const Result json = outboxd({"dead", "list"}, {"--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, "");
}

TEST_F(CliStorage, DeadRequeueAndPurgeWithNeitherAllNorIdsAreUsageErrors) {
  EXPECT_EQ(outboxd({"dead", "requeue"}).exit_code, 64);
  EXPECT_EQ(outboxd({"dead", "purge"}).exit_code, 64);
  EXPECT_EQ(outboxd({"dead", "purge"}, {"--all", "01890a5d-ac96-774b-bcce-b302099a8057"}).exit_code, 64);
}

TEST_F(CliStorage, DeadLettersAreListedRequeuedAndPurged) {
  const std::string first =
      first_line(outboxd({"enqueue"}, {"--type", "broken", "--payload", "not json"}).out);
  const std::string second =
      first_line(outboxd({"enqueue"}, {"--type", "broken", "--payload", "nor this"}).out);
  ASSERT_NO_FATAL_FAILURE(relay_until_dead(2));

  const Result table = outboxd({"dead", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out,
              MatchesRegex("ID .*\n" + first + " +broken +1 +[0-9-]+T[0-9:.]+Z +.*not valid JSON.*\n" +
                           second + " .*\n"));
  const Result json = outboxd({"dead", "list"}, {"--json", "--limit", "1", "--offset", "1"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, MatchesRegex("\\{\"id\":\"" + second + "\",\"event_type\":\"broken\",.*\n"));
  EXPECT_THAT(json.out, HasSubstr(R"("payload_text":"nor this")"));
  EXPECT_THAT(json.out, HasSubstr(R"("attempts":1,)"));

  const Result requeued = outboxd({"dead", "requeue"}, {first});
  ASSERT_EQ(requeued.exit_code, 0) << requeued.err;
  EXPECT_EQ(requeued.out, "requeued 1 dead letter\n");
  EXPECT_THAT(status_json(), HasSubstr(R"({"pending":1,"in_flight":0,"dead":1,)"));

  const Result purged = outboxd({"dead", "purge"}, {"--all"});
  ASSERT_EQ(purged.exit_code, 0) << purged.err;
  EXPECT_EQ(purged.out, "purged 1 dead letter\n");
  EXPECT_THAT(status_json(), HasSubstr(R"({"pending":1,"in_flight":0,"dead":0,)"));
}

TEST_F(CliStorage, ConfigErrorExits78WithItsLines) {
  std::string text = read_file(dir_ / "config.yaml");
  text.replace(text.find("  path: "), 6, "  pth");  // a typo in the storage block (line 4)
  write_file(dir_ / "config.yaml", text);
  const Result r = outboxd({"status"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_THAT(r.err, HasSubstr("config.yaml:4:3: storage.pth: unknown key; did you mean 'path'?"));
  EXPECT_THAT(r.out, Not(HasSubstr("pending")));
}

TEST_F(CliStorage, StorageThatCannotBeOpenedExits69) {
  // A missing folder would be created: a file where the folder should be cannot be.
  write_file(dir_ / "not-a-dir", "a file\n");
  const fs::path config = write_config("unreachable.yaml", (dir_ / "not-a-dir" / "outbox.db").string());
  const Result r = finish(spawn({"enqueue", "-c", config.string(), "--type", "a"}, "cli"), "cli");
  EXPECT_EQ(r.exit_code, 69);
  EXPECT_THAT(r.err, HasSubstr("outboxd: storage: "));
}

TEST_F(CliStorage, KeysBlockedListsAKeyThatADeadLetterHolds) {
  const auto [dead, waiting] = block_key_k1();
  const Result table = outboxd({"keys", "blocked"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, MatchesRegex("KEY +BLOCKED SINCE +LETTERS +WAITING +FIRST LETTER +ERROR\n"
                                      "k1 +[0-9-]+T[0-9:.]+Z +1 +1 +" +
                                      dead + " +.*not valid JSON.*\n"));
  const Result json = outboxd({"keys", "blocked"}, {"--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, MatchesRegex(R"(\{"key":"k1","since":"[0-9-]+T[0-9:.]+Z","letters":1,"waiting":1,)"
                                     R"("first_id":")" +
                                     dead + R"(","first_error":".*not valid JSON.*"\})" + "\n"));
  EXPECT_EQ(outboxd({"keys", "blocked"}, {"--json", "--offset", "1"}).out, "");
  EXPECT_EQ(outboxd({"keys", "blocked"}, {"--json", "--limit", "0"}).out, "");
}

TEST_F(CliStorage, KeyRetryRequeuesTheLetterAndTheKeyResumesWithIt) {
  const auto [dead, waiting] = block_key_k1();
  const Result r = outboxd({"key", "retry"}, {"k1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "requeued 1 dead letter of key 'k1'; the key resumes with it\n");
  EXPECT_THAT(status_json(), HasSubstr(R"({"pending":2,"in_flight":0,"dead":0,)"));
  EXPECT_EQ(outboxd({"keys", "blocked"}, {"--json"}).out, "");

  // The letter goes first, fails again and holds the key again: the later event still waits.
  ASSERT_NO_FATAL_FAILURE(relay_until_idle());
  EXPECT_THAT(read_file(dir_ / "published.jsonl"), Not(HasSubstr(waiting)));
  EXPECT_THAT(outboxd({"keys", "blocked"}, {"--json"}).out,
              MatchesRegex(R"(\{"key":"k1",.*"letters":1,"waiting":1,"first_id":")" + dead + "\".*\n"));
}

TEST_F(CliStorage, KeySkipLeavesTheLetterDeadAndTheKeyGoesOn) {
  const auto [dead, waiting] = block_key_k1();
  const Result r = outboxd({"key", "skip"}, {"k1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "key 'k1' goes on; 1 dead letter stays dead\n");
  EXPECT_EQ(outboxd({"keys", "blocked"}, {"--json"}).out, "");

  ASSERT_NO_FATAL_FAILURE(relay_until_idle());
  EXPECT_THAT(read_file(dir_ / "published.jsonl"), HasSubstr(waiting));
  EXPECT_THAT(status_json(), HasSubstr(R"({"pending":0,"in_flight":0,"dead":1,)"));
  EXPECT_THAT(outboxd({"dead", "list"}, {"--json"}).out, HasSubstr(dead));
}

TEST_F(CliStorage, KeyRetryOrSkipOfAKeyThatNothingHoldsSaysSoWithExitCode1) {
  ASSERT_EQ(outboxd({"enqueue"}, {"--type", "a", "--key", "free"}).exit_code, 0);
  for (const std::string command : {"retry", "skip"}) {
    const Result r = outboxd({"key", command}, {"free"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "outboxd key " + command + ": no dead letter holds key 'free': nothing was held\n");
  }
  EXPECT_THAT(status_json(), HasSubstr(R"({"pending":1,)"));
  EXPECT_EQ(outboxd({"key", "skip"}, {""}).exit_code, 64);
  EXPECT_EQ(outboxd({"key", "retry"}).exit_code, 64) << "the key is required";
}

// The loader tests' storage plugin keeps every rule of ABI 1.3 and has none of 1.4's functions.
TEST_F(CliStorage, KeyCommandsNameAStorageThatCannotListHeldKeys) {
  write_config("config.yaml", "", "", "  type: good\n  greeting: hello\n");
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"keys", "blocked"}, {"key", "retry", "k1"}, {"key", "skip", "k1"}}) {
    const Result r = outboxd(command);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("\noutboxd: storage: the good storage does not keep keys held by dead "
                                 "letters (it lacks keys_blocked and key_unblock, ABI 1.4)\n"));
  }
}

}  // namespace
