#include "killed_relay.hpp"

#include <gmock/gmock.h>
#include <signal.h>

namespace outbox::fault {

void KilledRelay::expect_one_run_until_idle_drains_everything(ConfigParts p) {
  // A few batches in flight at a time, each message completed 5ms late: slow enough to be killed
  // mid-drain. The slow reports, claimed first, never complete: held under the lease at the kill.
  p.relay["lease"] = "3s";  // the next run must start and drain the rest well within it
  p.relay["batch_size"] = "10";
  p.relay["max_in_flight"] = "20";
  p.transport["delay"] = "5ms";
  p.transport["hang_types"] = "[report.slow]";
  const auto hanging = write_config(p, "hanging.yaml");
  const auto slow = events("report.slow", 5);
  std::vector<nlohmann::json> all = slow;
  for (auto& e : events("order.created", 200)) all.push_back(e);
  ASSERT_TRUE(enqueue(hanging, all));

  ChildProcess& killed = start_relay(hanging);
  ASSERT_TRUE(eventually([&] { return records().size() >= 50; })) << killed.stderr_text();
  killed.signal(SIGKILL);
  ASSERT_EQ(killed.wait_for_exit(milliseconds(10'000)), 128 + SIGKILL);
  ASSERT_LT(records().size(), all.size() - slow.size())
      << "the run ended before the kill: it needs slowing down";

  p.transport.erase("delay");
  p.transport.erase("hang_types");
  const auto healthy = write_config(p, "healthy.yaml");
  ChildProcess& drain = start_relay(healthy, {"--until-idle"});
  EXPECT_EQ(drain.wait_for_exit(milliseconds(60'000)), 0) << drain.stderr_text();
  EXPECT_THAT(drain.stderr_text(1 << 20), ::testing::HasSubstr("held by another relay's lease until"));

  const auto recorded = records_by_id();
  for (const std::string& id : ids_of(all)) EXPECT_EQ(recorded.count(id), 1u) << id << " was not delivered";
  for (const std::string& id : ids_of(slow)) {
    if (!recorded.count(id)) continue;
    EXPECT_EQ(recorded.at(id).size(), 1u) << id;
    EXPECT_EQ(recorded.at(id).front().pid, drain.pid()) << id << ": the killed relay never completed it";
  }
  const auto after = status(healthy);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->pending + after->in_flight + after->dead, 0u) << "left for another run";
}

}  // namespace outbox::fault
