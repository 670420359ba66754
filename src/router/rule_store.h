// The rules, kept in the compacted topic `_rules` (one partition; key = the rule's name, value =
// its JSON, no value = deleted), so they survive restarts and move with the hub to an external
// cluster. A change is applied only once its record is durable; replaying the topic at start
// rebuilds the same rules.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "hub/hub.h"
#include "net/asio_fwd.h"
#include "router/rule.h"

namespace tarn::net {
class Signal;
}

namespace tarn::router {

inline constexpr char kRulesTopic[] = "_rules";

// Owned by the app; the io_context's thread only. Borrows the hub.
class RuleStore {
 public:
  RuleStore(IoContext& io, hub::Hub& hub);
  ~RuleStore();

  // Creates `_rules` if it is missing and replays it. A record that does not parse is logged and
  // skipped. Errors are the hub's.
  Awaitable<Status> Load();

  // Every rule, by name.
  const std::map<std::string, Rule>& rules() const { return rules_; }
  const Rule* Find(const std::string& name) const;

  // Creates or replaces a rule; true when it was new. Writes run one at a time.
  Awaitable<Result<bool>> Put(Rule rule);
  // Creates or replaces several rules with one write (all or none); the listener hears once.
  Awaitable<Status> PutAll(std::vector<Rule> rules);
  // kNotFound when there is no such rule.
  Awaitable<Status> Delete(std::string name);

  // Called after every applied change (on the io_context's thread).
  void OnChange(std::function<void()> listener) { listener_ = std::move(listener); }

 private:
  // Appends `records` once earlier writes are done and, once they are durable, runs `apply`
  // and tells the listener.
  Awaitable<Status> Write(std::vector<hub::OutgoingRecord> records, std::function<void()> apply);

  hub::Hub& hub_;
  std::map<std::string, Rule> rules_;
  std::function<void()> listener_;
  bool writing_ = false;
  std::unique_ptr<net::Signal> write_done_;
};

}  // namespace tarn::router
