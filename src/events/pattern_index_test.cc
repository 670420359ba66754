#include "events/pattern_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace tarn::events {
namespace {

Pattern MustParse(const char* text) {
  auto pattern = Pattern::Parse(text);
  EXPECT_TRUE(pattern.has_value()) << text;
  return std::move(*pattern);
}

using Ids = std::vector<std::string>;

TEST(PatternIndexTest, ReturnsEveryMatchingRuleOnceSorted) {
  PatternIndex index;
  ASSERT_TRUE(index.Add("ec2", MustParse(R"({"source": ["aws.ec2"]})")).ok());
  ASSERT_TRUE(index.Add("any-aws", MustParse(R"({"source": [{"prefix": "aws."}]})")).ok());
  ASSERT_TRUE(index.Add("big", MustParse(R"({"detail": {"n": [{"numeric": [">", 100]}]}})")).ok());
  ASSERT_TRUE(
      index.Add("both", MustParse(R"({"$or": [{"source": ["aws.ec2"]}, {"region": ["eu"]}]})"))
          .ok());
  EXPECT_EQ(index.size(), 4u);
  EXPECT_EQ(index.Match(nlohmann::json::parse(R"({"source": "aws.ec2", "region": "eu"})")),
            (Ids{"any-aws", "both", "ec2"}));
  EXPECT_EQ(index.Match(nlohmann::json::parse(R"({"source": "x", "detail": {"n": 101}})")),
            Ids{"big"});
  EXPECT_EQ(index.Match(nlohmann::json::parse(R"({"source": "x"})")), Ids{});
}

TEST(PatternIndexTest, RefusesDuplicateIdsAndUnknownRemovals) {
  PatternIndex index;
  ASSERT_TRUE(index.Add("r", MustParse(R"({"a": [1]})")).ok());
  EXPECT_EQ(index.Add("r", MustParse(R"({"a": [2]})")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(index.Remove("other").code(), StatusCode::kNotFound);
  EXPECT_TRUE(index.Remove("r").ok());
  EXPECT_EQ(index.Remove("r").code(), StatusCode::kNotFound);
  EXPECT_EQ(index.size(), 0u);
}

TEST(PatternIndexTest, RemovedRulesNoLongerMatchAndIdsCanBeReused) {
  PatternIndex index;
  ASSERT_TRUE(index.Add("a", MustParse(R"({"s": ["x"], "n": [{"numeric": [">", 1]}]})")).ok());
  ASSERT_TRUE(index.Add("b", MustParse(R"({"s": ["x", {"prefix": "x"}]})")).ok());
  ASSERT_TRUE(index.Add("c", MustParse(R"({"t": [{"exists": false}]})")).ok());
  const auto event = nlohmann::json::parse(R"({"s": "x", "n": 2})");
  EXPECT_EQ(index.Match(event), (Ids{"a", "b", "c"}));
  ASSERT_TRUE(index.Remove("b").ok());
  ASSERT_TRUE(index.Remove("c").ok());
  EXPECT_EQ(index.Match(event), Ids{"a"});
  ASSERT_TRUE(index.Add("b", MustParse(R"({"s": [{"suffix": "x"}]})")).ok());
  EXPECT_EQ(index.Match(event), (Ids{"a", "b"}));
  ASSERT_TRUE(index.Remove("a").ok());
  ASSERT_TRUE(index.Remove("b").ok());
  EXPECT_EQ(index.Match(event), Ids{});
}

TEST(PatternIndexTest, AClauseHitTwiceCountsOnce) {
  PatternIndex index;
  // Both leaves satisfy the clause on s; without t the rule must not match.
  ASSERT_TRUE(index.Add("r", MustParse(R"({"s": ["a", {"prefix": "a"}], "t": ["y"]})")).ok());
  EXPECT_EQ(index.Match(nlohmann::json::parse(R"({"s": ["a", "ab"]})")), Ids{});
  EXPECT_EQ(index.Match(nlohmann::json::parse(R"({"s": ["a", "ab"], "t": "y"})")), Ids{"r"});
}

// Random rule sets and events, drawn from small pools so that matches are common; the index
// must give exactly the rules whose patterns match one by one.
class RandomPatterns {
 public:
  explicit RandomPatterns(uint32_t seed) : rng_(seed) {}

  nlohmann::json Pattern(int depth = 0) {
    nlohmann::json pattern = nlohmann::json::object();
    const int fields = Uniform(1, 3);
    for (int i = 0; i < fields; ++i) SetPath(pattern, Pick(kPaths), Values());
    if (depth < 2 && Chance(0.2)) {
      nlohmann::json alternatives = nlohmann::json::array();
      const int count = Uniform(2, 3);
      for (int i = 0; i < count; ++i) alternatives.push_back(Pattern(depth + 1));
      pattern["$or"] = std::move(alternatives);
    }
    return pattern;
  }

  nlohmann::json Event() {
    nlohmann::json event = nlohmann::json::object();
    for (const char* path : kPaths) {
      if (Chance(0.35)) continue;
      if (Chance(0.2)) {
        nlohmann::json array = nlohmann::json::array();
        const int count = Uniform(0, 3);
        for (int i = 0; i < count; ++i) array.push_back(Leaf());
        SetPath(event, path, std::move(array));
      } else {
        SetPath(event, path, Leaf());
      }
    }
    return event;
  }

 private:
  static constexpr const char* kPaths[] = {"source",   "type",      "detail.state",
                                           "detail.n", "detail.ip", "detail.more.tag"};
  static constexpr const char* kStrings[] = {
      "",      "a",     "ab",       "abc",      "ABC",         "b", "ba",
      "x.png", "X.PNG", "10.0.0.1", "10.1.2.3", "2001:db8::1", "*"};

  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  template <typename T, size_t N>
  T Pick(const T (&items)[N]) {
    return items[Uniform(0, N - 1)];
  }

  static void SetPath(nlohmann::json& root, std::string_view path, nlohmann::json value) {
    nlohmann::json* node = &root;
    size_t start = 0;
    while (true) {
      const size_t dot = path.find('.', start);
      const std::string key(path.substr(start, dot - start));
      if (dot == std::string_view::npos) {
        (*node)[key] = std::move(value);
        return;
      }
      if (!(*node)[key].is_object()) (*node)[key] = nlohmann::json::object();
      node = &(*node)[key];
      start = dot + 1;
    }
  }

  nlohmann::json Leaf() {
    switch (Uniform(0, 9)) {
      case 0:
        return nullptr;
      case 1:
        return Chance(0.5);
      case 2:
        return Uniform(-3, 3);
      case 3:
        return Uniform(-3, 3) + 0.5;
      case 4:
        return static_cast<double>(Uniform(0, 3));  // whole floats equal to integers
      default:
        return Pick(kStrings);
    }
  }

  nlohmann::json Values() {
    nlohmann::json values = nlohmann::json::array();
    const int count = Uniform(1, 3);
    for (int i = 0; i < count; ++i) values.push_back(Value());
    return values;
  }

  nlohmann::json Value() {
    const std::string s = Pick(kStrings);
    const auto op = [](const char* name, nlohmann::json operand) {
      return nlohmann::json{{name, std::move(operand)}};
    };
    switch (Uniform(0, 16)) {
      case 0:
      case 1:
      case 2:
        return Leaf();
      case 3:
        return op("prefix", s.substr(0, Uniform(0, s.size())));
      case 4:
        return op("prefix", {{"equals-ignore-case", s.substr(0, Uniform(0, s.size()))}});
      case 5:
        return op("suffix", s.substr(Uniform(0, s.size())));
      case 6:
        return op("suffix", {{"equals-ignore-case", s.substr(Uniform(0, s.size()))}});
      case 7:
        return op("equals-ignore-case", s);
      case 8:
        return op("wildcard", Pick(kWildcards));
      case 9:
        return op("anything-but", Chance(0.5) ? nlohmann::json(s) : nlohmann::json(Uniform(-3, 3)));
      case 10:
        return op("anything-but", {{Chance(0.5) ? "prefix" : "suffix", Chance(0.5) ? "a" : "b"}});
      case 11:
        return op("anything-but", {{Chance(0.5) ? "equals-ignore-case" : "wildcard",
                                    Chance(0.5) ? "ab*" : "x.png"}});
      case 12: {
        const int low = Uniform(-3, 2);
        return Chance(0.5) ? op("numeric", {">=", low, "<", low + Uniform(1, 3)})
                           : op("numeric", {Chance(0.5) ? "<" : "=", low});
      }
      case 13:
        return op("cidr", Chance(0.5) ? "10.0.0.0/16" : "2001:db8::/32");
      case 14:
        return op("exists", false);
      default:
        return op("exists", true);
    }
  }

  static constexpr const char* kWildcards[] = {"*", "a*", "*b", "a*c", "*.png", "\\*", "a*b*"};
  std::mt19937 rng_;
};

TEST(PatternIndexTest, AgreesWithMatchingEachPatternAloneOnRandomRules) {
  RandomPatterns random(20240611);
  std::map<std::string, Pattern> patterns;
  PatternIndex index;
  for (int i = 0; i < 400; ++i) {
    const nlohmann::json json = random.Pattern();
    auto pattern = Pattern::FromJson(json);
    ASSERT_TRUE(pattern.has_value()) << json.dump() << ": " << pattern.error().ToString();
    const std::string id = "rule-" + std::to_string(i);
    ASSERT_TRUE(index.Add(id, *pattern).ok());
    patterns.emplace(id, std::move(*pattern));
  }

  size_t total_matches = 0;
  const auto check_events = [&](int count) {
    for (int i = 0; i < count; ++i) {
      const nlohmann::json event = random.Event();
      const FlattenedEvent flat(event);
      Ids expected;
      for (const auto& [id, pattern] : patterns) {
        if (pattern.Matches(flat)) expected.push_back(id);
      }
      total_matches += expected.size();
      ASSERT_EQ(index.Match(flat), expected) << event.dump();
    }
  };
  check_events(1500);

  // Remove every third rule and check again: removal must leave no trace in the tables.
  for (int i = 0; i < 400; i += 3) {
    const std::string id = "rule-" + std::to_string(i);
    ASSERT_TRUE(index.Remove(id).ok());
    patterns.erase(id);
  }
  check_events(1500);
  EXPECT_GT(total_matches, 3000u);  // the pools are small enough that the test is not vacuous
}

}  // namespace
}  // namespace tarn::events
