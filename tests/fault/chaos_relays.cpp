#include "chaos_relays.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using Clock = std::chrono::steady_clock;

int64_t unix_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::map<std::string, std::string> chaos_relay(std::chrono::seconds lease, const std::string& initial_backoff,
                                               const std::string& max_backoff) {
  return {{"ordering", "key"},
          {"batch_size", "200"},
          {"max_in_flight", "2000"},
          {"lease", std::to_string(lease.count()) + "s"},
          {"poll_interval", "50ms"},
          {"drain_timeout", "5s"},
          {"retry", "{ max_attempts: 1000, initial_backoff: " + initial_backoff +
                        ", max_backoff: " + max_backoff + " }"}};
}

ChaosRelays::ChaosRelays(size_t count, Start start) : start_(std::move(start)) {
  for (size_t i = 0; i < count; ++i) slots_.push_back(&start_());
}

void ChaosRelays::kill_and_restart(size_t slot) {
  ChildProcess& old = *slots_.at(slot);
  FaultMark mark{"SIGKILL of relay " + std::to_string(slot) + " (pid " + std::to_string(old.pid()) + ")",
                 unix_ms(), 0};
  old.signal(SIGKILL);
  if (old.wait_for_exit(milliseconds(10'000)) != 128 + SIGKILL)
    throw std::runtime_error("relay " + std::to_string(slot) + " did not die of SIGKILL");
  slots_[slot] = &start_();
  mark.end_ms = unix_ms();
  marks_.push_back(std::move(mark));
}

void ChaosRelays::pause(size_t slot, milliseconds how_long) {
  ChildProcess& paused = *slots_.at(slot);
  paused_slot_ = slot;
  FaultMark mark{"SIGSTOP of relay " + std::to_string(slot) + " (pid " + std::to_string(paused.pid()) + ")",
                 unix_ms(), 0};
  paused.signal(SIGSTOP);
  sleep_watching(how_long);
  paused.signal(SIGCONT);
  mark.end_ms = unix_ms();
  marks_.push_back(std::move(mark));
}

void ChaosRelays::check_alive() {
  for (size_t slot = 0; slot < slots_.size(); ++slot)
    if (!slots_[slot]->running())
      throw std::runtime_error("relay " + std::to_string(slot) +
                               " exited by itself: " + slots_[slot]->stderr_text());
}

void ChaosRelays::sleep_watching(milliseconds how_long) {
  const auto until = Clock::now() + how_long;
  while (Clock::now() < until) {
    check_alive();
    std::this_thread::sleep_until(std::min(until, Clock::now() + milliseconds(250)));
  }
  check_alive();
}

void ChaosRelays::play(const ChaosPlan& plan, const std::function<void(bool)>& outage) {
  for (const ChaosStep& step : plan) {
    sleep_watching(step.after);
    switch (step.kind) {
      case ChaosStep::Kind::kill:
        kill_and_restart(step.slot);
        break;
      case ChaosStep::Kind::pause:
        pause(step.slot, step.lasting);
        break;
      case ChaosStep::Kind::outage: {
        FaultMark mark{"broker outage", unix_ms(), 0};
        outage(true);
        const milliseconds before_pause = (step.lasting - step.pause) / 2;
        sleep_watching(before_pause);
        if (step.pause.count()) pause(step.slot, step.pause);
        sleep_watching(step.lasting - step.pause - before_pause);
        outage(false);
        mark.end_ms = unix_ms();
        marks_.push_back(std::move(mark));
        break;
      }
    }
  }
}

std::vector<std::optional<int>> ChaosRelays::stop_all(milliseconds timeout) {
  for (ChildProcess* relay : slots_) relay->signal(SIGTERM);
  std::vector<std::optional<int>> codes;
  for (ChildProcess* relay : slots_) codes.push_back(relay->wait_for_exit(timeout));
  return codes;
}

std::optional<uint64_t> ChaosRelays::stop_figure(size_t slot, const std::string& name) const {
  return fault::stop_figure(slots_.at(slot)->stderr_text(1 << 22), name);
}

uint64_t ChaosRelays::stop_total(const std::string& name) const {
  uint64_t total = 0;
  for (size_t slot = 0; slot < slots_.size(); ++slot) total += stop_figure(slot, name).value_or(0);
  return total;
}

void ChaosRelays::report(std::ostream& out, const std::string& title, const KeyOrderFigures& f,
                         const std::map<std::string, Produced>& produced,
                         const std::vector<Delivery>& deliveries, milliseconds written,
                         milliseconds drained) const {
  std::string stale;
  for (size_t slot = 0; slot < slots_.size(); ++slot)
    stale += (slot ? ", " : "") + std::to_string(stop_figure(slot, "stale settles").value_or(0));
  out << title << ": " << f << "\n  written over " << written.count() / 1000 << " s, drained "
      << drained.count() / 1000
      << " s later; retried by the relays that stopped at the end: " << stop_total("retried")
      << ", grouped: " << stop_total("grouped") << "; their stale settles: " << stale;
  if (paused_slot_) out << " (slot " << *paused_slot_ << " was paused)";
  out << "\n";
  for (const FaultMark& m : marks_) {
    const ProgressGap gap = progress_gap(produced, deliveries, m.at_ms, m.end_ms);
    out << "  " << m.what << ": lasted " << m.end_ms - m.at_ms << " ms; the longest a key then "
        << "went without progress: " << gap.ms << " ms (" << gap.key << ")\n";
  }
}

void ChaosRelays::finish(const std::string& title, const std::map<std::string, Produced>& produced,
                         const std::function<std::vector<Delivery>()>& read, milliseconds written,
                         milliseconds drained) {
  const auto codes = stop_all();
  for (size_t slot = 0; slot < codes.size(); ++slot)
    EXPECT_EQ(codes[slot], 0) << "relay " << slot << ": " << slots_[slot]->stderr_text();
  const std::vector<Delivery> deliveries = read();
  const KeyOrderFigures f = check_key_order(produced, deliveries);
  EXPECT_TRUE(f.in_order_exactly_once()) << f;
  EXPECT_TRUE(paused_slot_) << "the plan paused no relay";
  if (paused_slot_) {
    const auto stale = stop_figure(*paused_slot_, "stale settles");
    EXPECT_TRUE(stale) << slots_[*paused_slot_]->stderr_text();
    EXPECT_GT(stale.value_or(0), 0u) << "the relay paused past its lease settled nothing late";
  }
  report(std::cout, title, f, produced, deliveries, written, drained);
}

}  // namespace outbox::fault
