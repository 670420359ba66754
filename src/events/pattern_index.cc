#include "events/pattern_index.h"

#include <algorithm>

#include "base/check.h"

namespace tarn::events {

namespace {

bool IndexedClause(const FieldTest& field) {
  return std::all_of(field.alternatives.begin(), field.alternatives.end(),
                     [](const ValueTest& test) { return test.Indexable(); });
}

template <typename Map>
void Insert(Map& map, const std::string& key, uint32_t branch, bool remove) {
  if (!remove) {
    map[key].push_back(branch);
    return;
  }
  const auto it = map.find(key);
  TARN_CHECK(it != map.end());
  auto& branches = it->second;
  branches.erase(std::find(branches.begin(), branches.end(), branch));
  if (branches.empty()) map.erase(it);
}

}  // namespace

PatternIndex::PatternIndex() = default;
PatternIndex::~PatternIndex() = default;
PatternIndex::PatternIndex(PatternIndex&&) noexcept = default;
PatternIndex& PatternIndex::operator=(PatternIndex&&) noexcept = default;

bool PatternIndex::PathTables::Empty() const {
  return strings.empty() && others.empty() && lowered.empty() && prefixes.by_text.empty() &&
         prefixes_lowered.by_text.empty() && suffixes.by_text.empty() &&
         suffixes_lowered.by_text.empty() && exists.empty();
}

template <typename T>
uint32_t PatternIndex::Allocate(std::vector<T>& slots, std::vector<uint32_t>& free) {
  if (!free.empty()) {
    const uint32_t slot = free.back();
    free.pop_back();
    return slot;
  }
  slots.emplace_back();
  return static_cast<uint32_t>(slots.size() - 1);
}

size_t PatternIndex::AnchorCost(const FieldTest& field) const {
  const auto tables_it = paths_.find(field.path);
  const PathTables* tables = tables_it == paths_.end() ? nullptr : &tables_it->second;
  const auto bucket = [](const BranchMap& map, std::string_view key) -> size_t {
    const auto it = map.find(key);
    return it == map.end() ? 0 : it->second.size();
  };
  // Per alternative: the branches already behind the same value, plus a weight for how broad
  // the test is (an exact value is narrower than a prefix; exists is satisfied by any value).
  size_t cost = 0;
  for (const ValueTest& test : field.alternatives) {
    size_t behind = 0;
    size_t breadth = 0;
    if (tables != nullptr) {
      switch (test.kind) {
        case ValueTestKind::kExact:
          behind = test.text[0] == 's'
                       ? bucket(tables->strings, std::string_view(test.text).substr(1))
                       : bucket(tables->others, test.text);
          break;
        case ValueTestKind::kEqualsIgnoreCase:
          behind = bucket(tables->lowered, test.text);
          break;
        case ValueTestKind::kPrefix:
          behind = bucket(tables->prefixes.by_text, test.text);
          break;
        case ValueTestKind::kPrefixIgnoreCase:
          behind = bucket(tables->prefixes_lowered.by_text, test.text);
          break;
        case ValueTestKind::kSuffix:
          behind = bucket(tables->suffixes.by_text, test.text);
          break;
        case ValueTestKind::kSuffixIgnoreCase:
          behind = bucket(tables->suffixes_lowered.by_text, test.text);
          break;
        default:
          behind = tables->exists.size();
          break;
      }
    }
    switch (test.kind) {
      case ValueTestKind::kExact:
        breadth = 0;
        break;
      case ValueTestKind::kEqualsIgnoreCase:
        breadth = 1;
        break;
      case ValueTestKind::kExists:
        breadth = 1000;
        break;
      default:
        breadth = 4 + (test.text.size() < 3 ? 16 : 0);
        break;  // short affixes match a lot
    }
    cost += behind * 4 + breadth;
  }
  return cost;
}

void PatternIndex::IndexAnchor(const FieldTest& field, uint32_t branch, bool remove) {
  PathTables& tables = paths_[field.path];
  const auto affix = [&](AffixTable& table, const std::string& text) {
    Insert(table.by_text, text, branch, remove);
    uint32_t& count = table.lengths[text.size()];
    count += remove ? -1 : 1;
    if (count == 0) table.lengths.erase(text.size());
  };
  for (const ValueTest& test : field.alternatives) {
    switch (test.kind) {
      case ValueTestKind::kExact:
        // The key's first byte names the type; strings are stored by their text alone.
        if (test.text[0] == 's') {
          Insert(tables.strings, test.text.substr(1), branch, remove);
        } else {
          Insert(tables.others, test.text, branch, remove);
        }
        break;
      case ValueTestKind::kEqualsIgnoreCase:
        Insert(tables.lowered, test.text, branch, remove);
        break;
      case ValueTestKind::kPrefix:
        affix(tables.prefixes, test.text);
        break;
      case ValueTestKind::kPrefixIgnoreCase:
        affix(tables.prefixes_lowered, test.text);
        break;
      case ValueTestKind::kSuffix:
        affix(tables.suffixes, test.text);
        break;
      case ValueTestKind::kSuffixIgnoreCase:
        affix(tables.suffixes_lowered, test.text);
        break;
      case ValueTestKind::kExists:
        if (remove) {
          tables.exists.erase(std::find(tables.exists.begin(), tables.exists.end(), branch));
        } else {
          tables.exists.push_back(branch);
        }
        break;
      default:
        TARN_CHECK_MSG(false, "an anchor with an unindexable test reached the tables");
    }
  }
  if (remove && tables.Empty()) paths_.erase(field.path);
}

Status PatternIndex::Add(std::string rule_id, Pattern pattern) {
  if (rules_.contains(rule_id)) {
    return Status::AlreadyExists("rule \"" + rule_id + "\" is already in the pattern index");
  }
  const uint32_t slot = Allocate(rules_by_slot_, free_rules_);
  auto rule = std::make_unique<Rule>();
  rule->id = rule_id;
  rule->pattern = std::make_unique<Pattern>(std::move(pattern));
  for (const PatternBranch& branch : rule->pattern->branches()) {
    const uint32_t branch_id = Allocate(branches_, free_branches_);
    Branch& entry = branches_[branch_id];
    entry = Branch{};
    entry.rule = slot;
    size_t best_cost = 0;
    for (const FieldTest& field : branch.fields) {
      if (!IndexedClause(field)) continue;
      const size_t cost = AnchorCost(field);
      if (entry.anchor == nullptr || cost < best_cost) {
        entry.anchor = &field;
        best_cost = cost;
      }
    }
    for (const FieldTest& field : branch.fields) {
      if (&field != entry.anchor) entry.evaluated.push_back(&field);
    }
    if (entry.anchor != nullptr) {
      IndexAnchor(*entry.anchor, branch_id, /*remove=*/false);
    } else {
      unindexed_branches_.push_back(branch_id);
    }
    rule->branches.push_back(branch_id);
  }
  rules_by_slot_[slot] = std::move(rule);
  rules_.emplace(std::move(rule_id), slot);
  return Status::Ok();
}

Status PatternIndex::Remove(std::string_view rule_id) {
  const auto it = rules_.find(rule_id);
  if (it == rules_.end()) {
    return Status::NotFound("rule \"" + std::string(rule_id) + "\" is not in the pattern index");
  }
  const uint32_t slot = it->second;
  const std::unique_ptr<Rule> rule = std::move(rules_by_slot_[slot]);
  for (const uint32_t branch_id : rule->branches) {
    Branch& branch = branches_[branch_id];
    if (branch.anchor != nullptr) {
      IndexAnchor(*branch.anchor, branch_id, /*remove=*/true);
    } else {
      unindexed_branches_.erase(
          std::find(unindexed_branches_.begin(), unindexed_branches_.end(), branch_id));
    }
    branch = Branch{};
    free_branches_.push_back(branch_id);
  }
  free_rules_.push_back(slot);
  rules_.erase(it);
  return Status::Ok();
}

std::vector<std::string> PatternIndex::Match(const nlohmann::json& event) const {
  return Match(FlattenedEvent(event));
}

std::vector<std::string> PatternIndex::Match(const FlattenedEvent& event) const {
  std::vector<uint32_t> candidates;  // branch ids whose anchor is satisfied, maybe repeated
  const auto hit = [&](const std::vector<uint32_t>& branches) {
    candidates.insert(candidates.end(), branches.begin(), branches.end());
  };
  const auto probe = [&](const BranchMap& map, std::string_view key) {
    const auto it = map.find(key);
    if (it != map.end()) hit(it->second);
  };
  const auto probe_affixes = [&](const AffixTable& table, std::string_view text, bool prefix) {
    for (const auto& [length, unused] : table.lengths) {
      if (length > text.size()) break;
      probe(table.by_text, prefix ? text.substr(0, length) : text.substr(text.size() - length));
    }
  };

  for (const FlattenedEvent::Field& field : event.fields()) {
    const auto tables_it = paths_.find(field.path);
    if (tables_it == paths_.end()) continue;
    const PathTables& tables = tables_it->second;
    hit(tables.exists);
    const bool lowered_needed = tables.NeedsLowered();
    for (const nlohmann::json* leaf : field.values) {
      if (!leaf->is_string()) {
        if (!tables.others.empty()) probe(tables.others, ExactKey(*leaf));
        continue;
      }
      const std::string& text = leaf->get_ref<const std::string&>();
      probe(tables.strings, text);
      probe_affixes(tables.prefixes, text, /*prefix=*/true);
      probe_affixes(tables.suffixes, text, /*prefix=*/false);
      if (lowered_needed) {
        const std::string lowered = LowerAscii(text);
        probe(tables.lowered, lowered);
        probe_affixes(tables.prefixes_lowered, lowered, /*prefix=*/true);
        probe_affixes(tables.suffixes_lowered, lowered, /*prefix=*/false);
      }
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  std::vector<uint32_t> matched;  // rule slots
  const auto evaluate = [&](uint32_t branch_id) {
    const Branch& branch = branches_[branch_id];
    const bool all =
        std::all_of(branch.evaluated.begin(), branch.evaluated.end(),
                    [&event](const FieldTest* field) { return field->Matches(event); });
    if (all) matched.push_back(branch.rule);
  };
  for (const uint32_t branch_id : candidates) evaluate(branch_id);
  for (const uint32_t branch_id : unindexed_branches_) evaluate(branch_id);

  std::sort(matched.begin(), matched.end());
  matched.erase(std::unique(matched.begin(), matched.end()), matched.end());
  std::vector<std::string> ids;
  ids.reserve(matched.size());
  for (const uint32_t slot : matched) ids.push_back(rules_by_slot_[slot]->id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace tarn::events
