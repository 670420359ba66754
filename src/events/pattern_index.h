// Many rules' event patterns compiled into one index, so that matching an event costs about the
// same with ten thousand rules as with ten when their patterns are built on exact values,
// prefixes, suffixes and equals-ignore-case. Gives exactly the answers Pattern::Matches gives
// rule by rule.
//
// How it works (README.md has more): each pattern is split into branches (its $or multiplied
// out), each branch into field clauses. Of the clauses whose alternatives are all indexable
// (exact, prefix, suffix, equals-ignore-case, exists: true), the one with the fewest rules
// already behind the same values becomes the branch's anchor and goes into per-path tables: a
// hash map from exact value to branches, maps keyed by prefix or suffix probed only at the
// lengths some rule uses, and the same lowered for equals-ignore-case. Matching flattens the
// event once and looks each leaf up in its path's tables; a branch whose anchor is hit is a
// candidate, and only then are its other clauses evaluated. Branches with no indexable clause
// (only numeric, wildcard, anything-but, cidr or exists: false) are evaluated for every event.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "events/flattened_event.h"
#include "events/pattern.h"

namespace tarn::events {

// Not thread-safe for writes: Add and Remove need exclusive access; Match may run on many
// threads at once while nothing writes.
class PatternIndex {
 public:
  PatternIndex();
  ~PatternIndex();
  PatternIndex(PatternIndex&&) noexcept;
  PatternIndex& operator=(PatternIndex&&) noexcept;

  // kAlreadyExists when a rule with this id is present (remove it first to replace it).
  Status Add(std::string rule_id, Pattern pattern);
  // kNotFound when no rule has this id.
  Status Remove(std::string_view rule_id);

  // The ids of the rules whose pattern matches, sorted, each once.
  std::vector<std::string> Match(const nlohmann::json& event) const;
  std::vector<std::string> Match(const FlattenedEvent& event) const;

  size_t size() const { return rules_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using BranchMap =
      std::unordered_map<std::string, std::vector<uint32_t>, StringHash, std::equal_to<>>;

  // Prefixes (or suffixes) of one path: the branches per text, and how many texts have each
  // length, so a lookup probes only lengths in use.
  struct AffixTable {
    BranchMap by_text;
    std::map<size_t, uint32_t> lengths;
  };

  // The anchors on one event path, as branch ids.
  struct PathTables {
    BranchMap strings;  // exact string values
    BranchMap others;   // exact numbers, booleans, null, by ExactKey
    BranchMap lowered;  // equals-ignore-case
    AffixTable prefixes, prefixes_lowered, suffixes, suffixes_lowered;
    std::vector<uint32_t> exists;  // exists: true
    bool NeedsLowered() const {
      return !lowered.empty() || !prefixes_lowered.by_text.empty() ||
             !suffixes_lowered.by_text.empty();
    }
    bool Empty() const;
  };

  struct Branch {
    uint32_t rule = 0;                        // slot in rules_by_slot_
    const FieldTest* anchor = nullptr;        // in the tables; null when nothing is indexable
    std::vector<const FieldTest*> evaluated;  // every other clause, tested on candidates
  };

  struct Rule {
    std::string id;
    std::unique_ptr<Pattern> pattern;  // owned here so FieldTest pointers stay valid
    std::vector<uint32_t> branches;
  };

  // Adds (or, with remove set, removes) the table entries of a branch's anchor clause.
  void IndexAnchor(const FieldTest& field, uint32_t branch, bool remove);
  // How many branches the tables already hold behind the values of `field`, weighted by how
  // often the kind of test is satisfied: the anchor is the clause with the lowest cost.
  size_t AnchorCost(const FieldTest& field) const;
  template <typename T>
  static uint32_t Allocate(std::vector<T>& slots, std::vector<uint32_t>& free);

  std::unordered_map<std::string, PathTables, StringHash, std::equal_to<>> paths_;
  std::vector<Branch> branches_;
  std::vector<uint32_t> free_branches_;
  std::vector<uint32_t> unindexed_branches_;  // branches without an anchor
  std::vector<std::unique_ptr<Rule>> rules_by_slot_;
  std::vector<uint32_t> free_rules_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> rules_;
};

}  // namespace tarn::events
