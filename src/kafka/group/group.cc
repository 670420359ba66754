#include "kafka/group/group.h"

#include <algorithm>

namespace tarn::kafka {

std::string_view GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Dead";
}

Bytes GroupMember::MetadataFor(const std::optional<std::string>& protocol) const {
  if (!protocol.has_value()) return {};
  for (const MemberProtocol& p : protocols) {
    if (p.name == *protocol) return p.metadata;
  }
  return {};
}

namespace {

bool Offers(const GroupMember& member, std::string_view name) {
  return std::any_of(member.protocols.begin(), member.protocols.end(),
                     [&](const MemberProtocol& p) { return p.name == name; });
}

}  // namespace

bool Group::SupportsProtocols(std::string_view type,
                              const std::vector<MemberProtocol>& candidates) const {
  if (type.empty() || candidates.empty()) return false;
  if (members.empty()) return true;
  if (type != protocol_type) return false;
  return std::any_of(candidates.begin(), candidates.end(), [&](const MemberProtocol& c) {
    return std::all_of(members.begin(), members.end(),
                       [&](const auto& entry) { return Offers(entry.second, c.name); });
  });
}

std::optional<std::string> Group::SelectProtocol() const {
  if (members.empty()) return std::nullopt;
  const GroupMember& first = members.begin()->second;
  std::vector<std::string> shared;  // in the first member's order
  for (const MemberProtocol& p : first.protocols) {
    bool everyone = std::all_of(members.begin(), members.end(),
                                [&](const auto& entry) { return Offers(entry.second, p.name); });
    if (everyone) shared.push_back(p.name);
  }
  if (shared.empty()) return std::nullopt;
  std::map<std::string, int> votes;
  for (const auto& [id, member] : members) {
    for (const MemberProtocol& p : member.protocols) {
      if (std::find(shared.begin(), shared.end(), p.name) != shared.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string best = shared.front();
  for (const std::string& name : shared) {
    if (votes[name] > votes[best]) best = name;
  }
  return best;
}

int32_t Group::MaxRebalanceTimeoutMs() const {
  int32_t longest = 0;
  for (const auto& [id, member] : members) longest = std::max(longest, member.rebalance_timeout_ms);
  return longest;
}

bool Group::IsFencedStaticMember(const std::string& member_id,
                                 const std::optional<std::string>& instance_id) const {
  if (!instance_id.has_value()) return false;
  auto it = static_members.find(*instance_id);
  return it != static_members.end() && it->second != member_id;
}

}  // namespace tarn::kafka
